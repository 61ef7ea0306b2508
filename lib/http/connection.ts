// One client connection: reads requests through the incremental parser,
// answers them one at a time in arrival order (so pipelined requests are
// answered in order without buffering responses), keeps the connection
// alive or closes it (RFC 9112 section 9), and writes only as fast as the
// client reads (TcpConn.write's return and onWritable). While a response is
// in progress no more input is read: the TCP window closes, which is the
// back-pressure of a pipelining client.
//
// Memory follows the request: the input buffer starts small and grows (up
// to a full head) only as a head needs it, a body's buffer grows as the body
// arrives, and both are charged to the stack's budget (TcpConn.budget) and
// let go when the connection falls idle, so a thousand idle keep-alive
// connections cost little. When the budget refuses, the server first sheds
// its longest-waiting connections (HttpServer.shed); failing that, the
// request is answered 503. One timer per connection, moved rather than
// re-made, enforces the deadlines of limits.ts.
import { TcpConn, TcpConnHandler, TcpError } from "../net/stack";
import { Timer, TimerHandler, Timers } from "../timer";
import { RequestParser, HeadState } from "./parse";
import { frameRequest } from "./framing";
import { HttpLimits } from "./limits";
import { HttpRequest } from "./request";
import { HttpResponse, ResponseSink } from "./response";
import { ByteBuilder } from "./bytes";
import { HttpHandler } from "./handler";
import { DateCache } from "./date";
import { statusReason } from "./status";
import { BufferPool } from "../pool";

/** Room for a full head plus some pipelined bytes behind it. */
const INPUT_SLACK = 4096;
/** The input buffer's first size: a typical request head fits. Any connection may hold it whatever the budget says; the server pools buffers of this size. */
export const INPUT_MIN = 1024;
/** Largest spare builder a connection falling idle gives back to the server for the next one (a head and a small page). */
export const POOLED_BUILDER = 4096;
/** A body buffer's first size, also promised whatever the budget says. */
const BODY_MIN = 1024;
/** Pull at least this much from a streamed body even when the send buffer looks full: the cut-short write brings onWritable. */
const MIN_PULL = 4096;
const NEVER: i64 = i64.MAX_VALUE;
const EMPTY = new Uint8Array(0);

const CONTINUE = Uint8Array.wrap(String.UTF8.encode("HTTP/1.1 100 Continue\r\n\r\n"));

enum Phase { Head, Body }

/** Counters a server keeps over its connections. */
export class HttpStats {
  connections: i64 = 0;
  open: i32 = 0;
  requests: i64 = 0;
  errors: i64 = 0;
  /** Connections reset because a head, a body or a response overran its deadline. */
  timedOut: i64 = 0;
  /** Idle connections closed after limits.idleTimeout. */
  idleClosed: i64 = 0;
  /** Connections shed to make room for others (connection limit, memory budget). */
  shed: i64 = 0;
  /** Requests answered 503 because the budget had no room for them, even after shedding. */
  outOfMemory: i64 = 0;
}

/** What the connection's sheds and deadlines need of its server. */
export abstract class ConnectionOwner {
  /** Monotonic time, ns. */
  abstract now(): i64;
  /** The deadlines' timers; null for none (tests driving connections by hand). */
  abstract get timers(): Timers | null;
  /** `c` is waiting for (the rest of) a request head: it may be shed, oldest first. */
  abstract waiting(c: HttpConnection): void;
  /** `c` is busy with a request, or gone: not to be shed. */
  abstract busy(c: HttpConnection): void;
  /** Sheds connections waiting for a head (not `keep`) until the budget has `bytes` free; true when it has. */
  abstract shedFor(bytes: i64, keep: HttpConnection): bool;
  /** Spare INPUT_MIN buffers, shared by the server's connections. */
  abstract get inputPool(): BufferPool;
  /** A spare response builder of the server's, or null. */
  abstract takeBuilder(): ByteBuilder | null;
  /** Keeps a connection's spare builder for another (one of at most POOLED_BUILDER bytes). */
  abstract giveBuilder(b: ByteBuilder): void;
}

/** Sends a connection's response bytes to it. */
class Sink extends ResponseSink {
  constructor(private c: HttpConnection) { super(); }
  emit(bytes: Uint8Array): void { this.c.queue(bytes, bytes.length, false); }
  builder(capacity: i32): ByteBuilder { return this.c.builder(capacity); }
  emitBuilt(b: ByteBuilder): void { this.c.queue(b.raw, b.length, b === this.c.spareBuilder); }
  wake(): void { this.c.pump(); }
}

/** The connection's one timer: its current deadline passed, or was moved later. */
class Deadline extends TimerHandler {
  constructor(private c: HttpConnection) { super(); }
  onTimer(timer: Timer, now: i64): void { this.c.deadlineCheck(now); }
}

/** Bytes queued for the client: the first `len` of `bytes`; `spare` when they are the spare builder's. */
class Outgoing {
  constructor(readonly bytes: Uint8Array, readonly len: i32, readonly spare: bool) {}
}

/** The server's side of one TCP connection. */
export class HttpConnection extends TcpConnHandler {
  private input: Uint8Array = EMPTY;
  private inStart: i32 = 0;
  private inEnd: i32 = 0;
  private parser: RequestParser;
  private phase: Phase = Phase.Head;
  private request: HttpRequest | null = null;
  private body: Uint8Array = EMPTY;
  private bodyFill: i32 = 0;
  /** The body's length from Content-Length, while Phase.Body. */
  private bodyLength: i32 = 0;
  private response: HttpResponse | null = null;
  private out: Outgoing[] = [];
  private outOff: i32 = 0;
  /** One builder per connection for response heads, reused once its bytes are written; let go when idle. */
  private spare: ByteBuilder | null = null;
  private spareBusy: bool = false;
  private emitted: i64 = 0;
  private sink!: Sink;
  private closeAfter: bool = false;
  private peerDone: bool = false;
  private closing: bool = false;
  private gone: bool = false;
  private pumping: bool = false;
  private again: bool = false;
  private scratch: Uint8Array | null = null;
  /** Requests dispatched on this connection. */
  private served: i32 = 0;
  // The instants the deadlines count from.
  private idleSince: i64 = 0;
  private headStart: i64 = 0;
  private bodyStart: i64 = 0;
  private lastProgress: i64 = 0;
  private timer: Timer | null = null;
  private deadlineHandler: Deadline | null = null;
  /** The owner's list of connections waiting for a head (HttpServer's shedding order). */
  waitPrev: HttpConnection | null = null;
  waitNext: HttpConnection | null = null;
  inWaitList: bool = false;

  constructor(readonly conn: TcpConn, private handler: HttpHandler, private limits: HttpLimits, private dates: DateCache | null, private stats: HttpStats, private owner: ConnectionOwner) {
    super();
    this.parser = new RequestParser(limits);
    this.sink = new Sink(this);
    stats.connections++;
    stats.open++;
    const now = owner.now();
    this.idleSince = now;
    this.lastProgress = now;
    owner.waiting(this);
    this.schedule();
  }

  onReadable(c: TcpConn): void { this.progress(); this.pump(); }
  onWritable(c: TcpConn): void { this.progress(); this.pump(); }
  onPeerClosed(c: TcpConn): void { this.peerDone = true; this.pump(); }
  onClosed(c: TcpConn, error: TcpError): void { this.finish(); }

  /** The spare builder, when one is allocated. */
  get spareBuilder(): ByteBuilder | null { return this.spare; }

  /** True while waiting for a request head with none of it received: an idle keep-alive (or new) connection. */
  get idle(): bool {
    return !this.gone && !this.closing && this.response == null && this.phase == Phase.Head && this.inEnd == this.inStart && !this.parser.started;
  }

  /** Queues the first `len` bytes of `bytes` (through the response's sink); `spare` when they are the spare builder's. */
  queue(bytes: Uint8Array, len: i32, spare: bool): void {
    if (this.gone || this.closing) return;
    this.out.push(new Outgoing(bytes, len, spare));
    if (spare) this.spareBusy = true;
    this.emitted++;
  }

  /** The spare builder when its last bytes are written, else a new one. */
  builder(capacity: i32): ByteBuilder {
    if (this.spareBusy) return new ByteBuilder(capacity);
    let s = this.spare;
    if (s == null) {
      s = this.owner.takeBuilder();
      if (s == null) s = new ByteBuilder(capacity);
      this.spare = s;
    }
    return s.reset(capacity);
  }

  /** Does whatever can be done now; re-entrant calls (a handler answering at once) fold into the running one. */
  pump(): void {
    if (this.gone) return;
    if (this.pumping) { this.again = true; return; }
    this.pumping = true;
    do {
      this.again = false;
      this.step();
    } while (this.again && !this.gone);
    this.pumping = false;
    this.settle();
  }

  /** Resets the connection at once (a shed, a deadline): nothing more is read or written. */
  abort(): void {
    if (this.gone) return;
    this.conn.abort();
    this.finish();
  }

  /** The timer fired: act on the deadline if it has passed, else wait for it. */
  deadlineCheck(now: i64): void {
    if (this.gone || this.closing) return;
    const d = this.deadline();
    if (d == NEVER) return;
    if (now < d) {
      this.timers()!.rearm(this.timer!, d);
      return;
    }
    if (this.idle) {
      // A kept-alive connection that fell quiet: an ordinary close.
      this.stats.idleClosed++;
      this.close();
      return;
    }
    // A head, a body or a response that overran: the client is too slow or
    // hostile; a reset frees everything now, where a FIN would wait on it.
    this.stats.timedOut++;
    this.abort();
  }

  /** The instant the connection's current deadline passes; NEVER when it has none. */
  private deadline(): i64 {
    const l = this.limits;
    if (this.response != null) return l.idleTimeout > 0 ? this.lastProgress + l.idleTimeout : NEVER;
    if (this.phase == Phase.Body) {
      if (l.headTimeout <= 0) return NEVER;
      const rate = l.minBodyRate > 0 ? <i64>this.bodyLength * 1_000_000_000 / <i64>l.minBodyRate : 0;
      return l.minBodyRate > 0 ? this.bodyStart + l.headTimeout + rate : NEVER;
    }
    if (!this.idle) return l.headTimeout > 0 ? this.headStart + l.headTimeout : NEVER;
    // Waiting for a request: the first gets the head's deadline from the start, the next ones the idle time.
    if (this.served == 0) return l.headTimeout > 0 ? this.idleSince + l.headTimeout : NEVER;
    return l.idleTimeout > 0 ? this.idleSince + l.idleTimeout : NEVER;
  }

  /** Moves the timer to the deadline when that is earlier than where it stands (a late timer just re-arms when it fires). */
  private schedule(): void {
    const timers = this.timers();
    if (timers == null || this.gone || this.closing) return;
    const d = this.deadline();
    if (d == NEVER) return;
    let t = this.timer;
    if (t == null) {
      let h = this.deadlineHandler;
      if (h == null) { h = new Deadline(this); this.deadlineHandler = h; }
      this.timer = timers.at(d, h);
      return;
    }
    if (!t.active || d < t.deadline) timers.rearm(t, d);
  }

  private timers(): Timers | null { return this.owner.timers; }

  private progress(): void { this.lastProgress = this.owner.now(); }

  /** After a pump: tell the server whether the connection may be shed, let go of what an idle one does not need, move the timer. */
  private settle(): void {
    if (this.gone) return;
    if (this.idle) {
      this.releaseInput();
      if (!this.spareBusy) this.releaseSpare();
    }
    if (this.response == null && this.phase == Phase.Head && !this.closing) this.owner.waiting(this);
    else this.owner.busy(this);
    this.schedule();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    this.stats.open--;
    this.owner.busy(this);
    const t = this.timer;
    if (t != null) t.cancel();
    this.timer = null;
    this.deadlineHandler = null;
    const r = this.response;
    if (r != null && !r.finished) r.abort();
    this.response = null;
    this.request = null;
    this.dropOutput();
    this.releaseInput();
    this.releaseBody();
    if (!this.spareBusy) this.releaseSpare();
    this.spare = null;
    this.scratch = null;
  }

  /** Gives the spare builder back to the server when it is small enough to be worth keeping. */
  private releaseSpare(): void {
    const s = this.spare;
    if (s == null) return;
    this.spare = null;
    if (s.capacity <= POOLED_BUILDER) this.owner.giveBuilder(s);
  }

  private dropOutput(): void {
    this.out = [];
    this.outOff = 0;
    this.spareBusy = false;
  }

  private step(): void {
    while (!this.gone) {
      if (this.closing) { this.discardInput(); return; }
      if (!this.flush()) return;
      const res = this.response;
      if (res != null) {
        if (!res.finished) {
          if (!res.streaming) return; // the handler answers later
          const before = this.emitted;
          res.pull(max<i32>(this.conn.writable, MIN_PULL));
          if (this.emitted == before && !res.finished) return; // the source waits for res.resume()
          continue;
        }
        this.response = null;
        this.idleSince = this.owner.now();
        if (!res.keepAlive) this.closeAfter = true;
        continue;
      }
      if (this.closeAfter) { this.close(); return; }
      if (!this.advance()) return;
    }
  }

  /** Writes queued bytes; true when all are written. */
  private flush(): bool {
    while (this.out.length > 0) {
      const o = this.out[0];
      // TcpConn.write copies what it takes, so a written piece may be reused.
      const n = this.conn.write(o.bytes, this.outOff, o.len - this.outOff);
      if (n < 0) return false;
      this.outOff += n;
      if (this.outOff < o.len) return false;
      this.out.shift();
      if (o.spare) this.spareBusy = false;
      this.outOff = 0;
    }
    return true;
  }

  /** Reads and parses; true when it made a response or decided to close (step goes on), false to wait for input. */
  private advance(): bool {
    const hadBytes = this.inEnd > this.inStart || this.parser.started;
    if (!this.fill()) return true;
    if (this.phase == Phase.Head) {
      // The head's deadline counts from its first byte.
      if (!hadBytes && this.inEnd > this.inStart) this.headStart = this.owner.now();
      const state = this.parser.feed(this.input, this.inStart, this.inEnd);
      if (state == HeadState.Error) {
        this.fail(this.parser.status, this.parser.reason, null);
        return true;
      }
      if (state == HeadState.Incomplete) {
        // A client that stops mid-request gets no answer (there is no request to answer), just the close.
        if (this.peerDone && this.conn.readable == 0) { this.closeAfter = true; return true; }
        return false;
      }
      this.inStart += this.parser.consumed;
      const req = this.parser.request;
      const framing = frameRequest(req, this.limits);
      if (framing.status != 0) {
        this.fail(framing.status, framing.reason, req);
        return true;
      }
      this.request = req;
      if (framing.bodyLength == 0) {
        this.dispatch(req);
        return true;
      }
      this.bodyLength = <i32>framing.bodyLength;
      this.bodyFill = 0;
      this.bodyStart = this.owner.now();
      this.phase = Phase.Body;
      // The client waits for this before sending a large body (RFC 9110 section 10.1.1).
      if (req.expectContinue) this.queue(CONTINUE, CONTINUE.length, false);
    }
    // The body's buffer grows as the body arrives, not to what Content-Length claims.
    while (this.bodyFill < this.bodyLength) {
      const have = this.inEnd - this.inStart;
      const want = this.bodyFill + (have > 0 ? have : max(this.conn.readable, 1));
      if (!this.growBody(min(want, this.bodyLength))) return true;
      const room = this.body.length - this.bodyFill;
      const take = min<i32>(have, room);
      if (take > 0) {
        memory.copy(this.body.dataStart + <usize>this.bodyFill, this.input.dataStart + <usize>this.inStart, <usize>take);
        this.bodyFill += take;
        this.inStart += take;
        continue;
      }
      const n = this.conn.read(this.body, this.bodyFill, room);
      if (n <= 0) break;
      this.bodyFill += n;
    }
    if (this.bodyFill < this.bodyLength) {
      if (this.peerDone && this.conn.readable == 0) { this.closeAfter = true; return true; }
      this.flush(); // a 100 Continue may be waiting
      return false;
    }
    const req = this.request!;
    // The application owns the body now: it leaves the budget with it.
    req.body = this.body.length == this.bodyLength ? this.body : this.body.subarray(0, this.bodyLength);
    this.conn.budget.release(this.body.length);
    this.body = EMPTY;
    this.dispatch(req);
    return true;
  }

  private dispatch(req: HttpRequest): void {
    this.phase = Phase.Head;
    this.parser.reset();
    this.request = null;
    this.served++;
    this.stats.requests++;
    const res = new HttpResponse(req, this.sink, this.dates != null ? this.dates!.now() : "", req.method == "HEAD");
    this.response = res;
    this.progress();
    this.owner.busy(this);
    this.handler.handle(req, res);
  }

  /** Answers a request that cannot be served with `status` and closes after it. */
  private fail(status: i32, reason: string, req: HttpRequest | null): void {
    this.stats.errors++;
    const r = req != null ? req : this.parser.request;
    r.keepAlive = false;
    this.phase = Phase.Head;
    this.parser.reset();
    this.releaseBody();
    const res = new HttpResponse(r, this.sink, this.dates != null ? this.dates!.now() : "", r.method == "HEAD");
    res.keepAlive = false;
    res.status = status;
    this.response = res;
    this.progress();
    res.sendText(status.toString() + " " + statusReason(status) + ": " + reason + "\n");
  }

  /** The budget had no room even after shedding others: 503, and close. */
  private outOfMemory(): void {
    this.stats.outOfMemory++;
    this.inStart = this.inEnd;
    this.fail(503, "the server is short of memory; try again later", this.request);
    this.request = null;
  }

  /** Moves what the connection has into the input buffer, growing it as a head needs; false when the budget had no room (answered 503). */
  private fill(): bool {
    if (this.inStart == this.inEnd) { this.inStart = 0; this.inEnd = 0; }
    if (this.inEnd == this.input.length && this.inStart > 0) {
      this.input.copyWithin(0, this.inStart, this.inEnd);
      this.inEnd -= this.inStart;
      this.inStart = 0;
    }
    while (true) {
      if (this.inEnd == this.input.length) {
        if (this.conn.readable == 0) break;
        const full = this.limits.maxHeadBytes + INPUT_SLACK;
        // A full buffer: in Phase.Body the body takes the bytes; in a head, the parser refuses one too long.
        if (this.input.length >= full || this.phase == Phase.Body) break;
        const want = min(full, max(this.input.length * 2, INPUT_MIN));
        if (!this.resizeInput(want)) {
          this.outOfMemory();
          return false;
        }
      }
      const n = this.conn.read(this.input, this.inEnd, this.input.length - this.inEnd);
      if (n <= 0) break;
      this.inEnd += n;
    }
    return true;
  }

  /** Grows the input buffer to `want` bytes, charged to the budget (shedding others to make room); false when there is none. */
  private resizeInput(want: i32): bool {
    const old = this.input.length;
    const size = <i32>this.charge(old, want, INPUT_MIN);
    if (size < want) {
      this.conn.budget.release(size - old);
      return false;
    }
    const pool = this.owner.inputPool;
    const b = pool.alloc(size);
    if (this.inEnd > this.inStart) memory.copy(b.dataStart + <usize>this.inStart, this.input.dataStart + <usize>this.inStart, <usize>(this.inEnd - this.inStart));
    pool.give(this.input);
    this.input = b;
    return true;
  }

  /** Grows the body buffer to hold `want` bytes (doubling, up to the body's length); false when the budget had no room (answered 503). */
  private growBody(want: i32): bool {
    const old = this.body.length;
    if (want <= old) return true;
    const size = min(max(old * 2, max(want, BODY_MIN)), this.bodyLength);
    const got = <i32>this.charge(old, size, BODY_MIN);
    if (got < want) {
      this.conn.budget.release(got - old);
      this.outOfMemory();
      return false;
    }
    const b = new Uint8Array(got);
    if (this.bodyFill > 0) memory.copy(b.dataStart, this.body.dataStart, <usize>this.bodyFill);
    this.body = b;
    return true;
  }

  /** Charges growth from `old` to `want` bytes to the budget (up to `floor` always), shedding waiting connections once if it falls short; returns the size granted. */
  private charge(old: i32, want: i32, floor: i32): i64 {
    const budget = this.conn.budget;
    let size = budget.grow(old, want, floor);
    if (size < want && this.owner.shedFor(<i64>(want - size), this)) size = budget.grow(size, want, floor);
    return size;
  }

  private releaseInput(): void {
    if (this.input.length == 0) return;
    this.conn.budget.release(this.input.length);
    this.owner.inputPool.give(this.input);
    this.input = EMPTY;
    this.inStart = 0;
    this.inEnd = 0;
  }

  private releaseBody(): void {
    if (this.body.length == 0) return;
    this.conn.budget.release(this.body.length);
    this.body = EMPTY;
    this.bodyFill = 0;
  }

  /** After our close: keep reading so unread input does not turn the close into a reset that loses the response. */
  private discardInput(): void {
    let s = this.scratch;
    if (s == null) { s = new Uint8Array(4096); this.scratch = s; }
    while (this.conn.read(s) > 0) {}
  }

  private close(): void {
    this.closing = true;
    this.owner.busy(this);
    const t = this.timer;
    if (t != null) t.cancel();
    this.releaseInput();
    this.releaseBody();
    this.conn.close();
    this.discardInput();
  }
}
