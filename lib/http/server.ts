// The HTTP/1.1 server: accepts TCP connections from a Stack and gives each
// an HttpConnection that calls the application's handler.
import { Stack, TcpConn, TcpAcceptHandler, TcpListen } from "../net/stack";
import { clock_wall } from "../abi";
import { loop } from "../loop";
import { HttpHandler } from "./handler";
import { HttpLimits } from "./limits";
import { HttpConnection, HttpStats } from "./connection";
import { DateCache } from "./date";

function wallNow(): i64 { return clock_wall(); }

/** Serves `handler` on every connection it accepts. */
export class HttpServer extends TcpAcceptHandler {
  /** Connection and request counters. */
  readonly stats: HttpStats = new HttpStats();
  /** Where Date headers come from (RFC 9110 section 6.6.1: a server with a clock sends one); null for none. */
  dates: DateCache | null = new DateCache(wallNow);
  /** Whether idle connections are timed out on the event loop's timers (limits.idleTimeout); tests driving connections by hand turn it off. */
  useTimers: bool = true;

  constructor(readonly handler: HttpHandler, readonly limits: HttpLimits = new HttpLimits()) { super(); }

  /** Listens on TCP `port` of `stack`; null when it cannot (stack.lastError says why). */
  listen(stack: Stack, port: u16): TcpListen | null {
    return stack.tcpListen(port, this);
  }

  /** Takes a connection (from a listener, or a test's in-memory one); returns its HTTP side. */
  accept(c: TcpConn): HttpConnection {
    const h = new HttpConnection(c, this.handler, this.limits, this.dates, this.stats, this.useTimers ? loop.timers : null);
    c.handler = h;
    // Bytes that came with the handshake are already readable.
    h.pump();
    return h;
  }

  onAccept(c: TcpConn): void { this.accept(c); }
}
