// The HTTP/1.1 server: accepts TCP connections from a Stack and gives each
// an HttpConnection that calls the application's handler. It keeps the
// connections that wait for a request head in the order they began to wait,
// so when the stack is at its connection limit or its memory budget is
// spent, the longest-waiting ones (idle keep-alive connections, slow heads)
// are shed first and the clients that are sending requests keep being served.
import { Stack, TcpConn, TcpAcceptHandler, TcpListen } from "../net/stack";
import { clock_wall, clock_monotonic } from "../abi";
import { loop } from "../loop";
import { Timers } from "../timer";
import { HttpHandler } from "./handler";
import { HttpLimits } from "./limits";
import { HttpConnection, HttpStats, ConnectionOwner } from "./connection";
import { DateCache } from "./date";

function wallNow(): i64 { return clock_wall(); }

/** Connections one request may shed when the budget has no room for it. */
const MAX_SHED_FOR_MEMORY = 8;

/** Serves `handler` on every connection it accepts. */
export class HttpServer extends TcpAcceptHandler {
  /** Connection and request counters. */
  readonly stats: HttpStats = new HttpStats();
  /** Where Date headers come from (RFC 9110 section 6.6.1: a server with a clock sends one); null for none. */
  dates: DateCache | null = new DateCache(wallNow);
  /** Whether deadlines (limits.headTimeout, idleTimeout) run on the event loop's timers; tests driving connections by hand turn it off or set `timers`. */
  useTimers: bool = true;
  /** The timers deadlines run on when useTimers: the event loop's unless a test sets its own. */
  timers: Timers = loop.timers;
  /** The monotonic clock deadlines are measured with. */
  clock: () => i64 = clock_monotonic;
  private owner: Waiters = new Waiters();

  constructor(readonly handler: HttpHandler, readonly limits: HttpLimits = new HttpLimits()) {
    super();
    this.owner.server = this;
  }

  /** Listens on TCP `port` of `stack`; null when it cannot (stack.lastError says why). */
  listen(stack: Stack, port: u16): TcpListen | null {
    return stack.tcpListen(port, this);
  }

  /** Takes a connection (from a listener, or a test's in-memory one); returns its HTTP side. */
  accept(c: TcpConn): HttpConnection {
    const h = new HttpConnection(c, this.handler, this.limits, this.dates, this.stats, this.owner);
    c.handler = h;
    // Bytes that came with the handshake are already readable.
    h.pump();
    return h;
  }

  onAccept(c: TcpConn): void { this.accept(c); }

  /** The stack is full: the connection that has waited longest for a request head goes. */
  shed(): bool { return this.owner.shedOne(null); }

  /** Connections waiting for a request head (idle, or with part of one): those shedding picks from. */
  get waiting(): i32 { return this.owner.count; }
}

/** The server's side of its connections: the clock, the timers, and the list shedding takes from (oldest first). */
class Waiters extends ConnectionOwner {
  private head: HttpConnection | null = null;
  private tail: HttpConnection | null = null;
  count: i32 = 0;
  /** Set by the server's constructor, which cannot pass itself earlier. */
  server: HttpServer | null = null;

  now(): i64 { return this.server!.clock(); }
  get timers(): Timers | null { return this.server!.useTimers ? this.server!.timers : null; }

  waiting(c: HttpConnection): void {
    if (c.inWaitList) return;
    c.inWaitList = true;
    c.waitNext = null;
    c.waitPrev = this.tail;
    const t = this.tail;
    if (t != null) t.waitNext = c;
    else this.head = c;
    this.tail = c;
    this.count++;
  }

  busy(c: HttpConnection): void {
    if (!c.inWaitList) return;
    c.inWaitList = false;
    const p = c.waitPrev, n = c.waitNext;
    if (p != null) p.waitNext = n;
    else this.head = n;
    if (n != null) n.waitPrev = p;
    else this.tail = p;
    c.waitPrev = null;
    c.waitNext = null;
    this.count--;
  }

  shedFor(bytes: i64, keep: HttpConnection): bool {
    // Idle connections hold almost nothing of the budget; the ones with part
    // of a head do. A few sheds at most, so one large request cannot empty
    // the server of every waiting client.
    const budget = keep.conn.budget;
    for (let i = 0; i < MAX_SHED_FOR_MEMORY && budget.available < bytes; i++) {
      if (!this.shedOne(keep)) break;
    }
    return budget.available >= bytes;
  }

  /** Resets the connection that has waited longest (not `keep`); false when there is none. */
  shedOne(keep: HttpConnection | null): bool {
    let c = this.head;
    if (c != null && c === keep) c = c.waitNext;
    if (c == null) return false;
    this.server!.stats.shed++;
    c.abort();
    return true;
  }
}
