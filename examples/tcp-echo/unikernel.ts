import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { exit, EXIT_USAGE } from "atoll/exit";
import { Ipv4Addr, ipv4ToString } from "atoll/net/addr";
import { Stack, StackHandler, TcpAcceptHandler, TcpConn, TcpConnHandler, TcpError, TcpListen } from "atoll/net/stack";

/** Bytes a connection reads at once; what the peer cannot take yet waits here and reading stops. */
const CHUNK: i32 = 16 * 1024;

/**
 * The echo service of RFC 862 over TCP: each connection gets back every
 * byte it sends, in order. Half-close is respected: when the client shuts
 * down its sending side, the echo finishes sending what it has and closes.
 * Serves any number of connections until it is killed.
 */
export function start(out: Console, args: Args, stack: Stack): void {
  const port = args.int("port");
  if (port < 1 || port > 65535) {
    out.log("error: --port takes a port from 1 to 65535, not " + port.toString());
    exit(EXIT_USAGE);
  }
  const l = stack.tcpListen(<u16>port, new Acceptor());
  if (l == null) {
    out.log("error: tcp-echo: " + stack.lastError);
    exit(1);
    return;
  }
  stack.watch(new Ready(out, l));
}

class Acceptor extends TcpAcceptHandler {
  onAccept(c: TcpConn): void { c.handler = new Echo(); }
}

/** One connection: reads while what it read has been written back, then closes after the peer's FIN. */
class Echo extends TcpConnHandler {
  private buf: Uint8Array = new Uint8Array(CHUNK);
  private off: i32 = 0;
  private len: i32 = 0;
  private closing: bool = false;

  onReadable(c: TcpConn): void { this.pump(c); }
  onWritable(c: TcpConn): void { this.pump(c); }
  onPeerClosed(c: TcpConn): void { this.pump(c); }
  onClosed(c: TcpConn, error: TcpError): void {}

  private pump(c: TcpConn): void {
    while (true) {
      if (this.len > 0) {
        const n = c.write(this.buf, this.off, this.len);
        this.off += n;
        this.len -= n;
        // The rest waits for onWritable; unread bytes hold the peer back meanwhile.
        if (this.len > 0) return;
      }
      const n = c.read(this.buf);
      if (n == 0) break;
      this.off = 0;
      this.len = n;
    }
    if (c.peerClosed && !this.closing) {
      this.closing = true;
      c.close();
    }
  }
}

/** Announces the service once the stack has an address. */
class Ready extends StackHandler {
  constructor(private out: Console, private l: TcpListen) { super(); }
  onAddress(stack: Stack, address: Ipv4Addr, prefixLen: i32): void {
    this.out.log("tcp-echo: " + stack.name + " " + ipv4ToString(address) + "/" + prefixLen.toString() + ", echoing TCP port " + this.l.port.toString());
  }
}
