import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { Stack, StackHandler } from "atoll/net/stack";
import { ipv4ToString } from "atoll/net/addr";
import { ReadOnlyKv } from "atoll/kv/ro";
import { HttpServer } from "atoll/http/server";
import { Router } from "atoll/http/router";
import { KvFiles } from "atoll/http/files";
import { HttpHandler } from "atoll/http/handler";
import { HttpRequest } from "atoll/http/request";
import { HttpResponse } from "atoll/http/response";
import { heapBytes, heapUsedBytes } from "atoll/heap";
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
  const router = new Router();
  const server = new HttpServer(router);
  if (args.bool("stats")) router.exact("GET", "/_atoll/stats", new Stats(stack, server));
  router.prefix("GET", "/", new KvFiles(site));
  if (server.listen(stack, <u16>port) == null) {
    out.log("error: cannot listen on TCP port " + port.toString() + " of " + stack.name + ": " + stack.lastError);
    exit(EXIT_LISTEN);
  }
  stack.watch(new Announce(out, <u16>port, site.list("").length));
}

/**
 * `NAME VALUE` lines for whoever watches the appliance (the soak tests read
 * heap_bytes to see that memory stays flat under load).
 */
class Stats extends HttpHandler {
  constructor(private stack: Stack, private server: HttpServer) { super(); }
  handle(req: HttpRequest, res: HttpResponse): void {
    const u = this.stack.usage;
    const h = this.server.stats;
    res.sendText(
      "heap_bytes " + heapBytes().toString() + "\n" +
      "heap_used_bytes " + heapUsedBytes().toString() + "\n" +
      "tcp_connections " + u.tcpConnections.toString() + "\n" +
      "tcp_time_wait " + u.tcpTimeWait.toString() + "\n" +
      "tcp_refused " + u.tcpRefused.toString() + "\n" +
      "tcp_limit " + u.tcpLimit.toString() + "\n" +
      "buffer_bytes " + u.bufferBytes.toString() + "\n" +
      "buffer_limit " + u.bufferLimit.toString() + "\n" +
      "http_connections " + h.open.toString() + "\n" +
      "http_requests " + h.requests.toString() + "\n" +
      "http_timed_out " + h.timedOut.toString() + "\n" +
      "http_shed " + h.shed.toString() + "\n");
  }
}

/** Says where the site is once the stack has an address. */
class Announce extends StackHandler {
  constructor(private out: Console, private port: u16, private files: i32) { super(); }
  onAddress(stack: Stack, address: u32, prefixLen: i32): void {
    this.out.log("web: " + this.files.toString() + " files on http://" + ipv4ToString(address) + ":" + this.port.toString() + "/ (" + stack.name + ")");
  }
}
