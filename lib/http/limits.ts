// What a server accepts before it refuses a request, and the status each
// limit answers with (RFC 9110 sections 15.5.14, 15.5.15; RFC 6585 section 5),
// and how long a client may take: deadlines bound what a slow or hostile
// client can hold (a slowloris that sends a byte now and then, a body that
// never ends, a response nobody reads).

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
  /**
   * Time (ns) a request head may take, from its first byte (from the
   * connection's start for the first request) to its empty line; then the
   * connection is reset. Bytes arriving meanwhile do not extend it. 0: forever.
   */
  headTimeout: i64 = 10_000_000_000;
  /** Slowest a request body may arrive, in bytes per second after headTimeout's grace: a body of N bytes may take headTimeout + N / minBodyRate s. 0: no bound. */
  minBodyRate: i32 = 16 * 1024;
  /**
   * Time (ns) a kept-alive connection may wait for its next request, and a
   * response may go without the client taking a byte of it. 0: forever.
   */
  idleTimeout: i64 = 60_000_000_000;
}
