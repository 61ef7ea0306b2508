// One client connection: reads requests through the incremental parser,
// answers them one at a time in arrival order (so pipelined requests are
// answered in order without buffering responses), keeps the connection
// alive or closes it (RFC 9112 section 9), and writes only as fast as the
// client reads (TcpConn.write's return and onWritable). While a response is
// in progress no more input is read: the TCP window closes, which is the
// back-pressure of a pipelining client.
import { TcpConn, TcpConnHandler, TcpError } from "../net/stack";
import { Timer, TimerHandler, Timers } from "../timer";
import { clock_monotonic } from "../abi";
import { RequestParser, HeadState } from "./parse";
import { frameRequest } from "./framing";
import { HttpLimits } from "./limits";
import { HttpRequest } from "./request";
import { HttpResponse, ResponseSink } from "./response";
import { ByteBuilder } from "./bytes";
import { HttpHandler } from "./handler";
import { DateCache } from "./date";
import { statusReason } from "./status";

/** Room for a full head plus some pipelined bytes behind it. */
const INPUT_SLACK = 4096;
/** Pull at least this much from a streamed body even when the send buffer looks full: the cut-short write brings onWritable. */
const MIN_PULL = 4096;

const CONTINUE = Uint8Array.wrap(String.UTF8.encode("HTTP/1.1 100 Continue\r\n\r\n"));

enum Phase { Head, Body }

/** Counters a server keeps over its connections. */
export class HttpStats {
  connections: i64 = 0;
  open: i32 = 0;
  requests: i64 = 0;
  errors: i64 = 0;
}

/** Sends a connection's response bytes to it. */
class Sink extends ResponseSink {
  constructor(private c: HttpConnection) { super(); }
  emit(bytes: Uint8Array): void { this.c.queue(bytes, bytes.length, false); }
  builder(capacity: i32): ByteBuilder { return this.c.builder(capacity); }
  emitBuilt(b: ByteBuilder): void { this.c.queue(b.raw, b.length, b == this.c.spare); }
  wake(): void { this.c.pump(); }
}

/** Closes a connection that has been idle longer than the limit. */
class IdleCheck extends TimerHandler {
  constructor(private c: HttpConnection) { super(); }
  onTimer(timer: Timer, now: i64): void { this.c.idleCheck(timer, now); }
}

/** The server's side of one TCP connection. */
export class HttpConnection extends TcpConnHandler {
  private input: Uint8Array;
  private inStart: i32 = 0;
  private inEnd: i32 = 0;
  private parser: RequestParser;
  private phase: Phase = Phase.Head;
  private request: HttpRequest | null = null;
  private body: Uint8Array = new Uint8Array(0);
  private bodyFill: i32 = 0;
  private response: HttpResponse | null = null;
  private out: Uint8Array[] = [];
  /** How many bytes of each queued piece are to be sent. */
  private outLen: i32[] = [];
  /** Which queued piece is the spare builder's buffer. */
  private outSpare: bool[] = [];
  private outOff: i32 = 0;
  /** One builder per connection for response heads: reused once its bytes are written, which is at once unless the client is slow. */
  readonly spare: ByteBuilder = new ByteBuilder(1024);
  private spareBusy: bool = false;
  private emitted: i64 = 0;
  private sink!: Sink;
  private closeAfter: bool = false;
  private peerDone: bool = false;
  private closing: bool = false;
  private gone: bool = false;
  private pumping: bool = false;
  private again: bool = false;
  private lastActive: i64 = 0;
  private idle: Timer | null = null;
  private scratch: Uint8Array | null = null;

  constructor(readonly conn: TcpConn, private handler: HttpHandler, private limits: HttpLimits, private dates: DateCache | null, private stats: HttpStats, private timers: Timers | null) {
    super();
    this.input = new Uint8Array(limits.maxHeadBytes + INPUT_SLACK);
    this.parser = new RequestParser(limits);
    this.sink = new Sink(this);
    stats.connections++;
    stats.open++;
    this.lastActive = clock_monotonic();
    if (timers != null && limits.idleTimeout > 0) this.idle = timers.after(limits.idleTimeout, new IdleCheck(this));
  }

  onReadable(c: TcpConn): void { this.activity(); this.pump(); }
  onWritable(c: TcpConn): void { this.activity(); this.pump(); }
  onPeerClosed(c: TcpConn): void { this.peerDone = true; this.pump(); }
  onClosed(c: TcpConn, error: TcpError): void {
    if (this.gone) return;
    this.gone = true;
    this.stats.open--;
    const t = this.idle;
    if (t != null) t.cancel();
    const r = this.response;
    if (r != null && !r.finished) r.abort();
    this.response = null;
    this.dropOutput();
  }

  /** Queues the first `len` bytes of `bytes` (through the response's sink); `spare` when they are the spare builder's. */
  queue(bytes: Uint8Array, len: i32, spare: bool): void {
    if (this.gone || this.closing) return;
    this.out.push(bytes);
    this.outLen.push(len);
    this.outSpare.push(spare);
    if (spare) this.spareBusy = true;
    this.emitted++;
  }

  /** The spare builder when its last bytes are written, else a new one. */
  builder(capacity: i32): ByteBuilder {
    return this.spareBusy ? new ByteBuilder(capacity) : this.spare.reset(capacity);
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
  }

  /** The idle timer fired: close when nothing moved either way for the whole timeout (a slow or vanished client). */
  idleCheck(timer: Timer, now: i64): void {
    this.idle = null;
    if (this.gone || this.closing) return;
    const timeout = this.limits.idleTimeout;
    const quiet = now - this.lastActive;
    if (quiet >= timeout) {
      const r = this.response;
      if (r != null && !r.finished) r.abort();
      this.response = null;
      this.dropOutput();
      this.close();
      return;
    }
    this.idle = this.timers!.after(timeout - quiet, new IdleCheck(this));
  }

  private dropOutput(): void {
    this.out = [];
    this.outLen = [];
    this.outSpare = [];
    this.outOff = 0;
    this.spareBusy = false;
  }

  private activity(): void { this.lastActive = clock_monotonic(); }

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
      const b = this.out[0];
      const len = this.outLen[0];
      // TcpConn.write copies what it takes, so a written piece may be reused.
      const n = this.conn.write(b, this.outOff, len - this.outOff);
      if (n < 0) return false;
      this.outOff += n;
      if (this.outOff < len) return false;
      this.out.shift();
      this.outLen.shift();
      if (this.outSpare.shift()) this.spareBusy = false;
      this.outOff = 0;
    }
    return true;
  }

  /** Reads and parses; true when it made a response or decided to close (step goes on), false to wait for input. */
  private advance(): bool {
    this.fill();
    if (this.phase == Phase.Head) {
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
      this.body = new Uint8Array(framing.bodyLength);
      this.bodyFill = 0;
      this.phase = Phase.Body;
      // The client waits for this before sending a large body (RFC 9110 section 10.1.1).
      if (req.expectContinue) this.queue(CONTINUE, CONTINUE.length, false);
    }
    const take = min<i32>(this.inEnd - this.inStart, this.body.length - this.bodyFill);
    if (take > 0) {
      memory.copy(this.body.dataStart + <usize>this.bodyFill, this.input.dataStart + <usize>this.inStart, <usize>take);
      this.bodyFill += take;
      this.inStart += take;
    }
    while (this.bodyFill < this.body.length) {
      const n = this.conn.read(this.body, this.bodyFill, this.body.length - this.bodyFill);
      if (n <= 0) break;
      this.bodyFill += n;
    }
    if (this.bodyFill < this.body.length) {
      if (this.peerDone && this.conn.readable == 0) { this.closeAfter = true; return true; }
      this.flush(); // a 100 Continue may be waiting
      return false;
    }
    const req = this.request!;
    req.body = this.body;
    this.body = new Uint8Array(0);
    this.dispatch(req);
    return true;
  }

  private dispatch(req: HttpRequest): void {
    this.phase = Phase.Head;
    this.parser.reset();
    this.request = null;
    this.stats.requests++;
    const res = new HttpResponse(req, this.sink, this.dates != null ? this.dates!.now() : "", req.method == "HEAD");
    this.response = res;
    this.handler.handle(req, res);
  }

  /** Answers a request that cannot be served with `status` and closes after it. */
  private fail(status: i32, reason: string, req: HttpRequest | null): void {
    this.stats.errors++;
    const r = req != null ? req : this.parser.request;
    r.keepAlive = false;
    this.phase = Phase.Head;
    this.parser.reset();
    const res = new HttpResponse(r, this.sink, this.dates != null ? this.dates!.now() : "", r.method == "HEAD");
    res.keepAlive = false;
    res.status = status;
    this.response = res;
    res.sendText(status.toString() + " " + statusReason(status) + ": " + reason + "\n");
  }

  /** Moves what the connection has into the input buffer. */
  private fill(): void {
    if (this.inStart == this.inEnd) { this.inStart = 0; this.inEnd = 0; }
    if (this.inEnd == this.input.length && this.inStart > 0) {
      this.input.copyWithin(0, this.inStart, this.inEnd);
      this.inEnd -= this.inStart;
      this.inStart = 0;
    }
    while (this.inEnd < this.input.length) {
      const n = this.conn.read(this.input, this.inEnd, this.input.length - this.inEnd);
      if (n <= 0) break;
      this.inEnd += n;
    }
  }

  /** After our close: keep reading so unread input does not turn the close into a reset that loses the response. */
  private discardInput(): void {
    let s = this.scratch;
    if (s == null) { s = new Uint8Array(4096); this.scratch = s; }
    while (this.conn.read(s) > 0) {}
  }

  private close(): void {
    this.closing = true;
    const t = this.idle;
    if (t != null) { t.cancel(); this.idle = null; }
    this.conn.close();
    this.discardInput();
  }
}
