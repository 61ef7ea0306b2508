// A parsed request as the application sees it.
import { Headers } from "./headers";

const NO_BODY = new Uint8Array(0);

/** One HTTP/1.x request: its request line, header fields and (Content-Length) body. */
export class HttpRequest {
  /** The method as sent (case-sensitive, RFC 9110 section 9.1): "GET", "POST"... */
  method: string = "";
  /** The request-target as sent: "/a/b?x=1", an absolute URI, or "*". */
  target: string = "";
  /** The target's path, still percent-encoded: "/a/b" ("*" for OPTIONS *). */
  path: string = "";
  /** What followed '?' in the target, without it; "" when there was none. */
  query: string = "";
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (a later 1.x is answered as 1.1). */
  minor: i32 = 1;
  /** The header fields, in order. */
  readonly headers: Headers = new Headers();
  /** The content: empty without Content-Length. */
  body: Uint8Array = NO_BODY;
  /** Whether the connection stays open after the response (RFC 9112 section 9.3). */
  keepAlive: bool = true;
  /** The client sent Expect: 100-continue. */
  expectContinue: bool = false;

  /** "HTTP/1.0" or "HTTP/1.1". */
  get version(): string { return this.minor == 0 ? "HTTP/1.0" : "HTTP/1.1"; }

  /** The body decoded as UTF-8. */
  bodyText(): string { return String.UTF8.decode(this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength)); }
}
