// A response under construction. The application sets status and headers,
// then either sends a whole body (framed by Content-Length) or streams one
// (Transfer-Encoding: chunked, RFC 9112 section 7.1; close-delimited for an
// HTTP/1.0 client, which knows no chunked coding). A streamed body is pulled:
// the connection asks its BodySource for more only when the client has taken
// what came before, so a slow client slows the source instead of filling
// memory.
import { Headers } from "./headers";
import { HttpRequest } from "./request";
import { statusReason, statusHasNoBody } from "./status";
import { ByteBuilder } from "./bytes";

/** Supplies a streamed body to HttpResponse.stream. */
export abstract class BodySource {
  /** The connection has room for about `room` bytes: res.write() some, res.end() after the last; writing nothing waits until res.resume(). */
  abstract onPull(res: HttpResponse, room: i32): void;
  /** The connection closed before res.end(): release what the source holds. */
  onAbort(res: HttpResponse): void {}
}

/** The connection behind a response: where its bytes go. */
export abstract class ResponseSink {
  /** Queues bytes for the client, in order. */
  abstract emit(bytes: Uint8Array): void;
  /** A builder for the next emitBuilt (the connection reuses one once its bytes are written). */
  abstract builder(capacity: i32): ByteBuilder;
  /** Queues what `b` (from builder()) holds; `b` is not touched again by the response. */
  abstract emitBuilt(b: ByteBuilder): void;
  /** The response has something new (sent, more streamed, resumed): carry on. */
  abstract wake(): void;
}

const CRLF = "\r\n";
/** Bodies up to this size go out in the same write as the head (one segment for a small page). */
const COALESCE_LIMIT = 16 * 1024;
/** Room for a typical head, so building it rarely grows the buffer. */
const HEAD_ESTIMATE = 256;

/** The answer to one request. */
export class HttpResponse {
  /** The status code; 200 unless set. */
  status: i32 = 200;
  /** Header fields the application adds (Date, Content-Length, Transfer-Encoding and Connection are the server's). */
  readonly headers: Headers = new Headers();
  /** False to close the connection after this response. */
  keepAlive: bool;
  private headSent: bool = false;
  private done: bool = false;
  private chunked: bool = false;
  private source: BodySource | null = null;

  /** `date` is the Date header's value ("" for none); `headOnly` for HEAD (RFC 9110 section 9.3.2). */
  constructor(readonly request: HttpRequest, private sink: ResponseSink, private date: string, readonly headOnly: bool) {
    this.keepAlive = request.keepAlive;
  }

  /** True once the head has been queued (status and headers are fixed). */
  get started(): bool { return this.headSent; }
  /** True once the whole response is queued. */
  get finished(): bool { return this.done; }
  /** True while a streamed body is being pulled. */
  get streaming(): bool { return this.source != null && !this.done; }

  /** Sends `body` with Content-Length and finishes the response. */
  send(body: Uint8Array): void {
    assert(!this.headSent, "HttpResponse: the response was already sent");
    const noBody = statusHasNoBody(this.status);
    const carry = !noBody && !this.headOnly;
    const inline = carry && body.length <= COALESCE_LIMIT;
    const b = this.sink.builder(HEAD_ESTIMATE + (inline ? body.length : 0));
    this.head(b, noBody ? -1 : body.length, false);
    if (inline) b.bytes(body);
    this.sink.emitBuilt(b);
    if (carry && !inline) this.sink.emit(body);
    this.done = true;
    this.sink.wake();
  }

  /** Sends `text` as UTF-8 with the given content type (unless one is set already) and finishes. */
  sendText(text: string, contentType: string = "text/plain; charset=utf-8"): void {
    if (!this.headers.has("content-type")) this.headers.set("Content-Type", contentType);
    this.send(Uint8Array.wrap(String.UTF8.encode(text)));
  }

  /** Sends the head now and streams the body from `source`, chunked for HTTP/1.1 (close-delimited for HTTP/1.0). */
  stream(source: BodySource): void {
    assert(!this.headSent, "HttpResponse: the response was already sent");
    if (statusHasNoBody(this.status)) { this.send(new Uint8Array(0)); return; }
    this.chunked = this.request.minor >= 1;
    if (!this.chunked) this.keepAlive = false;
    const b = this.sink.builder(HEAD_ESTIMATE);
    this.head(b, -1, this.chunked);
    this.sink.emitBuilt(b);
    if (this.headOnly) this.done = true;
    else this.source = source;
    this.sink.wake();
  }

  /** From BodySource.onPull: queues `len` bytes of `data` from `off` (-1: to the end) as one chunk. */
  write(data: Uint8Array, off: i32 = 0, len: i32 = -1): void {
    assert(this.source != null, "HttpResponse.write outside a streamed body");
    if (this.done) return;
    if (len < 0) len = data.length - off;
    if (len <= 0) return;
    if (!this.chunked) {
      this.sink.emit(data.slice(off, off + len));
      return;
    }
    // chunk = chunk-size (hex) CRLF chunk-data CRLF (RFC 9112 section 7.1)
    this.sink.emit(new ByteBuilder(len + 12).text(len.toString(16)).text(CRLF).bytes(data, off, len).text(CRLF).finish());
  }

  /** From a streamed body: the last chunk was written. */
  end(): void {
    if (this.done) return;
    if (this.chunked) this.sink.emit(Uint8Array.wrap(String.UTF8.encode("0" + CRLF + CRLF)));
    this.done = true;
    this.source = null;
    this.sink.wake();
  }

  /** A source that wrote nothing in onPull has more now: pull again. */
  resume(): void { this.sink.wake(); }

  /** Asks the source for more (the connection calls this). */
  pull(room: i32): void {
    const s = this.source;
    if (s != null && !this.done) s.onPull(this, room);
  }

  /** The connection is gone (the connection calls this). */
  abort(): void {
    const s = this.source;
    this.source = null;
    this.done = true;
    if (s != null) s.onAbort(this);
  }

  /** The status line and header fields, with Content-Length `contentLength` (-1: none) or chunked framing. */
  private head(b: ByteBuilder, contentLength: i64, chunked: bool): void {
    b.text("HTTP/1.1 ").int(this.status).text(" ").text(statusReason(this.status)).text(CRLF);
    if (this.date.length > 0) b.text("Date: ").text(this.date).text(CRLF);
    const list = this.headers.list;
    for (let i = 0; i < list.length; i++) b.text(list[i].name).text(": ").text(list[i].value).text(CRLF);
    if (contentLength >= 0) b.text("Content-Length: ").int(contentLength).text(CRLF);
    if (chunked) b.text("Transfer-Encoding: chunked" + CRLF);
    // HTTP/1.1 persists by default; HTTP/1.0 only when both sides said keep-alive (RFC 9112 section 9.3).
    if (!this.keepAlive) b.text("Connection: close" + CRLF);
    else if (this.request.minor == 0) b.text("Connection: keep-alive" + CRLF);
    b.text(CRLF);
    this.headSent = true;
  }
}
