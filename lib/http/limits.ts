// What a server accepts before it refuses a request, and the status each
// limit answers with (RFC 9110 sections 15.5.14, 15.5.15; RFC 6585 section 5).

/** Limits on one request; the defaults suit a small appliance. */
export class HttpLimits {
  /** Longest request line (method, target, version); longer is 414 URI Too Long. */
  maxRequestLine: i32 = 8 * 1024;
  /** Largest header block, request line included; larger is 431. */
  maxHeadBytes: i32 = 16 * 1024;
  /** Most header fields; more is 431. */
  maxHeaders: i32 = 100;
  /** Largest Content-Length body; larger is 413 Content Too Large. */
  maxBody: i32 = 1024 * 1024;
  /** Idle time (ns) a kept-alive connection may wait for its next request, and a started request for its remaining bytes; 0: forever. */
  idleTimeout: i64 = 60_000_000_000;
}
