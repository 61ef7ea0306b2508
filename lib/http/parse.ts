// An incremental parser of a request's head (RFC 9112 sections 2-5): the
// request line and the field lines up to the empty line. Bytes may arrive
// split anywhere; each feed scans only what is new, parsing each line as
// soon as its LF arrives, so a head that dribbles in a byte at a time costs
// what it would cost in one piece. Limits are checked on partial lines too,
// so an endless line is refused without buffering it.
import { HttpRequest } from "./request";
import { HttpLimits } from "./limits";
import { TCHAR, FIELD, TARGET, allOf, text } from "./syntax";

const CR: u8 = 13;
const LF: u8 = 10;
const SP: u8 = 32;
const HTAB: u8 = 9;
const COLON: u8 = 58;

/** Where a feed left the head. */
export enum HeadState { Incomplete, Complete, Error }

/** Parses one request head at a time; reset() before the next. */
export class RequestParser {
  /** The request being parsed; complete once feed returns Complete. */
  request: HttpRequest = new HttpRequest();
  /** The status to answer with once feed returned Error (400, 414, 431 or 505). */
  status: i32 = 0;
  /** Why, for a log line or the error page. */
  reason: string = "";
  /** Bytes of the head (from its first byte through the empty line's LF) once Complete. */
  consumed: i32 = 0;
  private pos: i32 = 0;
  private lineStart: i32 = 0;
  private sawRequestLine: bool = false;

  constructor(private limits: HttpLimits) {}

  /** Starts on a new request. */
  reset(): void {
    this.request = new HttpRequest();
    this.status = 0;
    this.reason = "";
    this.consumed = 0;
    this.pos = 0;
    this.lineStart = 0;
    this.sawRequestLine = false;
  }

  /** True once some byte of a request has been seen (leading empty lines aside). */
  get started(): bool { return this.sawRequestLine || this.pos > this.lineStart; }

  /**
   * Scans the head, which starts at buf[base] and has arrived up to buf[end]
   * (positions are kept relative to base, so the caller may move the bytes
   * between feeds as long as base follows them).
   */
  feed(buf: Uint8Array, base: i32, end: i32): HeadState {
    const p = buf.dataStart + <usize>base;
    const avail = end - base;
    while (this.pos < avail) {
      const b = load<u8>(p + <usize>this.pos);
      this.pos++;
      if (this.pos > this.limits.maxHeadBytes) return this.fail(431, "the header block is over " + this.limits.maxHeadBytes.toString() + " bytes");
      if (b != LF) {
        if (!this.sawRequestLine && this.pos - this.lineStart > this.limits.maxRequestLine) return this.fail(414, "the request line is over " + this.limits.maxRequestLine.toString() + " bytes");
        continue;
      }
      // A lone LF ends a line too (RFC 9112 section 2.2 allows it); a CR before it is dropped.
      let lineEnd = base + this.pos - 1;
      const lineBegin = base + this.lineStart;
      if (lineEnd > lineBegin && buf[lineEnd - 1] == CR) lineEnd--;
      this.lineStart = this.pos;
      const state = this.sawRequestLine ? this.fieldLine(buf, lineBegin, lineEnd) : this.requestLine(buf, lineBegin, lineEnd);
      if (state != HeadState.Incomplete) {
        if (state == HeadState.Complete) this.consumed = this.pos;
        return state;
      }
    }
    return HeadState.Incomplete;
  }

  private fail(status: i32, reason: string): HeadState {
    this.status = status;
    this.reason = reason;
    return HeadState.Error;
  }

  /** method SP request-target SP HTTP-version (RFC 9112 section 3). */
  private requestLine(buf: Uint8Array, from: i32, to: i32): HeadState {
    // Empty lines before the request line are skipped (RFC 9112 section 2.2).
    if (to == from) return HeadState.Incomplete;
    this.sawRequestLine = true;
    let sp1 = -1, sp2 = -1;
    for (let i = from; i < to; i++) {
      if (buf[i] != SP) continue;
      if (sp1 < 0) sp1 = i;
      else if (sp2 < 0) sp2 = i;
      else return this.fail(400, "the request line has more than two spaces");
    }
    if (sp2 < 0) return this.fail(400, "the request line is not METHOD TARGET VERSION");
    if (!allOf(buf, from, sp1, TCHAR)) return this.fail(400, "the method is not a token");
    if (!allOf(buf, sp1 + 1, sp2, TARGET)) return this.fail(400, "the request target is empty or holds a byte outside visible ASCII");
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 section 2.3).
    const v = sp2 + 1;
    if (to - v != 8 || buf[v] != 72 || buf[v + 1] != 84 || buf[v + 2] != 84 || buf[v + 3] != 80 || buf[v + 4] != 47 || buf[v + 6] != 46
      || !isDigit(buf[v + 5]) || !isDigit(buf[v + 7])) return this.fail(400, "the version is not HTTP/DIGIT.DIGIT");
    if (buf[v + 5] != 49) return this.fail(505, "only HTTP/1.x is served");
    const r = this.request;
    r.method = methodOf(buf, from, sp1);
    r.target = text(buf, sp1 + 1, sp2);
    r.minor = buf[v + 7] == 48 ? 0 : 1;
    return HeadState.Incomplete;
  }

  /** field-name ":" OWS field-value OWS (RFC 9112 section 5), or the empty line that ends the head. */
  private fieldLine(buf: Uint8Array, from: i32, to: i32): HeadState {
    if (to == from) return HeadState.Complete;
    const first = buf[from];
    if (first == SP || first == HTAB) return this.fail(400, "obsolete line folding is not accepted");
    const r = this.request;
    if (r.headers.length >= this.limits.maxHeaders) return this.fail(431, "more than " + this.limits.maxHeaders.toString() + " header fields");
    let colon = -1;
    for (let i = from; i < to; i++) if (buf[i] == COLON) { colon = i; break; }
    // A space before the colon is refused outright (RFC 9112 section 5.1): it smuggles requests past lenient proxies.
    if (colon < 0 || !allOf(buf, from, colon, TCHAR)) return this.fail(400, "a header line is not NAME: VALUE");
    let vs = colon + 1, ve = to;
    while (vs < ve && (buf[vs] == SP || buf[vs] == HTAB)) vs++;
    while (ve > vs && (buf[ve - 1] == SP || buf[ve - 1] == HTAB)) ve--;
    if (!allOf(buf, vs, ve, FIELD, false)) return this.fail(400, "a header value holds a control character");
    r.headers.add(text(buf, from, colon), text(buf, vs, ve));
    return HeadState.Incomplete;
  }
}

/** The common methods (RFC 9110 section 9.3), shared instead of decoded per request. */
const METHODS: string[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/** buf[from..to) as a method name: one of METHODS when it is one (methods are case-sensitive). */
function methodOf(buf: Uint8Array, from: i32, to: i32): string {
  const n = to - from;
  for (let m = 0; m < METHODS.length; m++) {
    const name = METHODS[m];
    if (name.length != n) continue;
    let same = true;
    for (let i = 0; i < n && same; i++) same = <i32>buf[from + i] == name.charCodeAt(i);
    if (same) return name;
  }
  return text(buf, from, to);
}

function isDigit(b: u8): bool { return b >= 48 && b <= 57; }
