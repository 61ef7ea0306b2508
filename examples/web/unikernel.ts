import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { Stack, StackHandler } from "atoll/net/stack";
import { ipv4ToString } from "atoll/net/addr";
import { ReadOnlyKv } from "atoll/kv/ro";
import { HttpServer } from "atoll/http/server";
import { Router } from "atoll/http/router";
import { KvFiles } from "atoll/http/files";
import { exit, EXIT_USAGE } from "atoll/exit";

/** Exit status when the port cannot be listened on. */
const EXIT_LISTEN: i32 = 1;

/**
 * A static web site: the files of the folder site/, embedded at build time,
 * served over HTTP/1.1 (lib/http) on --port (80 by default), "/" being
 * index.html. The same code runs on lib/net's stack (unix, kvm) and on the
 * host's sockets (node).
 */
export function start(out: Console, args: Args, stack: Stack, site: ReadOnlyKv): void {
  const port = args.int("port");
  if (port < 1 || port > 65535) {
    out.log("error: --port takes a TCP port from 1 to 65535, not " + port.toString());
    exit(EXIT_USAGE);
  }
  const server = new HttpServer(new Router().prefix("GET", "/", new KvFiles(site)));
  if (server.listen(stack, <u16>port) == null) {
    out.log("error: cannot listen on TCP port " + port.toString() + " of " + stack.name + ": " + stack.lastError);
    exit(EXIT_LISTEN);
  }
  stack.watch(new Announce(out, <u16>port, site.list("").length));
}

/** Says where the site is once the stack has an address. */
class Announce extends StackHandler {
  constructor(private out: Console, private port: u16, private files: i32) { super(); }
  onAddress(stack: Stack, address: u32, prefixLen: i32): void {
    this.out.log("web: " + this.files.toString() + " files on http://" + ipv4ToString(address) + ":" + this.port.toString() + "/ (" + stack.name + ")");
  }
}
