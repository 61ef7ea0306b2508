// What a parsed head means for the message (RFC 9112 sections 3.2, 3.3, 6,
// 9.3): the path and query, Host, the body's length, Expect, and whether the
// connection persists. Chunked request bodies are refused with 411 Length
// Required (a client can resend with Content-Length); other transfer codings
// with 501. Either way the connection closes, since the body's end is unknown.
import { HttpRequest } from "./request";
import { HttpLimits } from "./limits";

/** The outcome of framing: 0 and the body length, or an error status and why. */
export class Framing {
  status: i32 = 0;
  reason: string = "";
  /** Content-Length, 0 without one. */
  bodyLength: i32 = 0;

  fail(status: i32, reason: string): Framing {
    this.status = status;
    this.reason = reason;
    return this;
  }
}

/** Checks `r`'s head and fills its path, query, keepAlive and expectContinue. */
export function frameRequest(r: HttpRequest, limits: HttpLimits): Framing {
  const f = new Framing();
  const h = r.headers;
  // Persistence first: error answers to this request still need it.
  if (h.hasToken("connection", "close")) r.keepAlive = false;
  else r.keepAlive = r.minor >= 1 || h.hasToken("connection", "keep-alive");

  if (!splitTarget(r)) return f.fail(400, "the request target is not /PATH, an absolute URI, or * for OPTIONS");
  // A client MUST send exactly one Host in HTTP/1.1 (RFC 9112 section 3.2).
  const hosts = h.count("host");
  if (hosts > 1 || (hosts == 0 && r.minor >= 1)) return f.fail(400, hosts > 1 ? "more than one Host header" : "HTTP/1.1 request without Host");

  if (h.has("transfer-encoding")) {
    r.keepAlive = false;
    const te = h.get("transfer-encoding")!.trim();
    const last = te.substring(te.lastIndexOf(",") + 1).trim().toLowerCase();
    if (last == "chunked") return f.fail(411, "chunked request bodies are not accepted; send Content-Length");
    return f.fail(501, "transfer coding '" + te + "' is not implemented");
  }
  const cls = h.count("content-length");
  if (cls > 0) {
    // Repeated Content-Length values must agree (RFC 9110 section 8.6), as "5, 5" or on separate lines.
    let n: i64 = -1;
    for (let i = 0; i < h.list.length; i++) {
      if (!h.list[i].is("content-length")) continue;
      const parts = h.list[i].value.split(",");
      for (let j = 0; j < parts.length; j++) {
        const v = parseLength(parts[j].trim());
        if (v < 0 || (n >= 0 && v != n)) { r.keepAlive = false; return f.fail(400, "Content-Length '" + h.list[i].value + "' is not one length"); }
        n = v;
      }
    }
    if (n > <i64>limits.maxBody) { r.keepAlive = false; return f.fail(413, "the body of " + n.toString() + " bytes is over the limit of " + limits.maxBody.toString()); }
    f.bodyLength = <i32>n;
  }
  if (h.has("expect")) {
    if (!h.hasToken("expect", "100-continue")) return f.fail(417, "only Expect: 100-continue is understood");
    r.expectContinue = r.minor >= 1 && f.bodyLength > 0;
  }
  return f;
}

/** A decimal length of at most 15 digits, or -1. */
function parseLength(s: string): i64 {
  if (s.length == 0 || s.length > 15) return -1;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Fills path and query from the origin, absolute or asterisk form (RFC 9112 section 3.2); false for anything else. */
function splitTarget(r: HttpRequest): bool {
  let t = r.target;
  if (t == "*") {
    r.path = "*";
    return r.method == "OPTIONS";
  }
  const scheme = t.indexOf("://");
  if (scheme > 0 && t.charCodeAt(0) != 47) {
    const name = t.substring(0, scheme).toLowerCase();
    if (name != "http" && name != "https") return false;
    const slash = t.indexOf("/", scheme + 3);
    t = slash < 0 ? "/" : t.substring(slash);
  }
  if (t.charCodeAt(0) != 47) return false;
  const q = t.indexOf("?");
  r.path = q < 0 ? t : t.substring(0, q);
  r.query = q < 0 ? "" : t.substring(q + 1);
  return true;
}
