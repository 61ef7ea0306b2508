// lib/http over an in-memory TcpConn: requests split at every byte, a byte
// at a time, pipelined; keep-alive and close; every limit's status; HEAD;
// Content-Length request bodies and 100-continue; chunked and close-delimited
// streamed responses under back-pressure; the router's 404 and 405; files
// from a read-only KV.
import { TcpConn, TcpError } from "atoll/net/stack";
import { Ipv4Addr } from "atoll/net/addr";
import { HttpServer } from "atoll/http/server";
import { HttpConnection } from "atoll/http/connection";
import { HttpHandler } from "atoll/http/handler";
import { HttpRequest } from "atoll/http/request";
import { HttpResponse, BodySource } from "atoll/http/response";
import { HttpLimits } from "atoll/http/limits";
import { Router } from "atoll/http/router";
import { DateCache, imfFixdate } from "atoll/http/date";
import { KvFiles, percentDecode } from "atoll/http/files";
import { contentTypeOf } from "atoll/http/mime";
import { EmbeddedKv } from "atoll/kv/ro";
import { Timers } from "atoll/timer";
import { MemoryBudget } from "atoll/budget";


/** A TcpConn whose peer is the test: push() delivers bytes, take() returns what the server wrote. */
class MemConn extends TcpConn {
  private inq: u8[] = [];
  private rd: i32 = 0;
  private sent: u8[] = [];
  /** Send-buffer room; write() takes at most this much. */
  room: i32 = 1 << 20;
  cutShort: bool = false;
  fin: bool = false;
  closed: bool = false;
  aborted: bool = false;
  writes: i32 = 0;

  get remoteAddress(): Ipv4Addr { return 0x0A000001; }
  get remotePort(): u16 { return 40000; }
  get localPort(): u16 { return 80; }
  write(data: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    if (len < 0) len = data.length - off;
    const n = this.closed ? 0 : min<i32>(len, this.room);
    for (let i = 0; i < n; i++) this.sent.push(data[off + i]);
    this.room -= n;
    if (n < len) this.cutShort = true;
    this.writes++;
    return n;
  }
  get writable(): i32 { return this.closed ? 0 : this.room; }
  read(dst: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    if (len < 0) len = dst.length - off;
    const n = min<i32>(len, this.inq.length - this.rd);
    for (let i = 0; i < n; i++) dst[off + i] = this.inq[this.rd + i];
    this.rd += n;
    return n;
  }
  get readable(): i32 { return this.inq.length - this.rd; }
  get peerClosed(): bool { return this.fin && this.readable == 0; }
  close(): void { this.closed = true; }
  abort(): void { this.aborted = true; }

  /** Delivers bytes as one segment. */
  push(s: string): void {
    const b = Uint8Array.wrap(String.UTF8.encode(s));
    for (let i = 0; i < b.length; i++) this.inq.push(b[i]);
    this.handler!.onReadable(this);
  }
  /** The peer's FIN. */
  pushFin(): void { this.fin = true; this.handler!.onPeerClosed(this); }
  /** Everything written so far, as text, and forgets it. */
  take(): string {
    const b = new Uint8Array(this.sent.length);
    for (let i = 0; i < this.sent.length; i++) b[i] = this.sent[i];
    this.sent = [];
    return String.UTF8.decode(b.buffer);
  }
  /** The client read `n` bytes: room again, and onWritable if a write was cut short. */
  drain(n: i32): void {
    this.room += n;
    if (this.cutShort) { this.cutShort = false; this.handler!.onWritable(this); }
  }
}

const FIXED_NS: i64 = 784111777 * 1_000_000_000;
function fixedNow(): i64 { return FIXED_NS; }
const DATE = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

/** Answers "PATH METHOD BODY" in text; /later waits for release(); /empty is 204. */
class Echo extends HttpHandler {
  held: HttpResponse | null = null;
  handle(req: HttpRequest, res: HttpResponse): void {
    if (req.path == "/later") { this.held = res; return; }
    if (req.path == "/empty") { res.status = 204; res.send(new Uint8Array(0)); return; }
    res.sendText(req.path + " " + req.method + " " + req.bodyText());
  }
  release(): void { this.held!.sendText("late"); this.held = null; }
}

function server(h: HttpHandler, limits: HttpLimits = new HttpLimits()): HttpServer {
  const s = new HttpServer(h, limits);
  s.dates = new DateCache(fixedNow);
  s.useTimers = false;
  return s;
}

function ok(body: string, extra: string = ""): string {
  return "HTTP/1.1 200 OK\r\n" + DATE + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + body.length.toString() + "\r\n" + extra + "\r\n" + body;
}

function get(path: string, extra: string = ""): string { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"; }

function expectEq(got: string, want: string, what: string): void {
  if (got != want) assert(false, what + ": got " + got.replaceAll("\r", "\\r").replaceAll("\n", "\\n") + " want " + want.replaceAll("\r", "\\r").replaceAll("\n", "\\n"));
}

/** The status code of each response in `out` (HTTP/1.1 NNN at line starts). */
function statuses(out: string): string {
  const parts = out.split("HTTP/1.1 ");
  let s = "";
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.length < 4 || p.charAt(3) != " " || I32.parseInt(p.substring(0, 3), 10) < 100) continue; // "HTTP/1.1 " inside a body
    s += (s.length > 0 ? "," : "") + p.substring(0, 3);
  }
  return s;
}

export function test_a_GET_gets_a_Content_Length_response_with_the_date(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push(get("/a?q=1"));
  expectEq(c.take(), ok("/a GET "), "response");
  assert(!c.closed, "HTTP/1.1 keeps the connection");
}

export function test_imf_fixdate_of_known_instants(): void {
  expectEq(imfFixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT", "epoch");
  expectEq(imfFixdate(FIXED_NS), "Sun, 06 Nov 1994 08:49:37 GMT", "RFC 9110's example");
  expectEq(imfFixdate(<i64>951782400 * 1_000_000_000 + 86399_000_000_000), "Tue, 29 Feb 2000 23:59:59 GMT", "leap day");
  expectEq(imfFixdate(<i64>4102444800 * 1_000_000_000), "Fri, 01 Jan 2100 00:00:00 GMT", "2100");
}

export function test_two_pipelined_requests_split_at_every_byte_give_the_same_bytes(): void {
  const stream = get("/one") + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  const want = ok("/one GET ") + ok("/two POST hello");
  for (let k = 0; k <= stream.length; k++) {
    const c = new MemConn();
    server(new Echo()).accept(c);
    if (k > 0) c.push(stream.substring(0, k));
    if (k < stream.length) c.push(stream.substring(k));
    expectEq(c.take(), want, "split at " + k.toString());
    assert(!c.closed, "still open");
  }
}

export function test_a_request_dribbling_in_one_byte_at_a_time(): void {
  const stream = "\r\nPUT /drip HTTP/1.1\nHost: x\r\nContent-Length: 3\r\nX-A:  spaced value \t\r\n\r\nabc";
  const c = new MemConn();
  server(new Echo()).accept(c);
  for (let i = 0; i < stream.length; i++) {
    c.push(stream.charAt(i));
    if (i < stream.length - 1) assert(c.take().length == 0, "nothing before the last byte");
  }
  expectEq(c.take(), ok("/drip PUT abc"), "response");
}

export function test_pipelined_responses_keep_request_order_when_the_first_answers_late(): void {
  const c = new MemConn();
  const h = new Echo();
  server(h).accept(c);
  c.push(get("/later") + get("/b") + get("/c"));
  expectEq(c.take(), "", "nothing while the first is pending");
  h.release();
  expectEq(c.take(), ok("late") + ok("/b GET ") + ok("/c GET "), "in order");
}

export function test_connection_close_is_honoured_and_echoed(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push(get("/x", "Connection: close\r\n") + get("/never"));
  expectEq(c.take(), ok("/x GET ", "Connection: close\r\n"), "one response");
  assert(c.closed, "closed after it");
}

export function test_http_1_0_closes_unless_keep_alive(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push("GET /old HTTP/1.0\r\n\r\n");
  expectEq(c.take(), ok("/old GET ", "Connection: close\r\n"), "1.0 without Host is fine and closes");
  assert(c.closed, "closed");
  const k = new MemConn();
  server(new Echo()).accept(k);
  k.push("GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
  expectEq(k.take(), ok("/a GET ", "Connection: keep-alive\r\n") + ok("/b GET ", "Connection: close\r\n"), "kept alive once");
  assert(k.closed, "closed after the second");
}

export function test_peer_closing_mid_request_closes_without_an_answer(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push(get("/a") + "GET /b HT");
  c.pushFin();
  expectEq(c.take(), ok("/a GET "), "the complete one is answered");
  assert(c.closed, "closed");
  const idle = new MemConn();
  server(new Echo()).accept(idle);
  idle.pushFin();
  assert(idle.closed, "an idle connection closes on FIN");
}

/** One request's status, and whether the server closed after it. */
function answer(request: string, limits: HttpLimits = new HttpLimits()): string {
  const c = new MemConn();
  server(new Echo(), limits).accept(c);
  c.push(request);
  const out = c.take();
  return statuses(out) + (c.closed ? " closed" : " open");
}

export function test_limits_and_malformed_requests_get_their_status(): void {
  const l = new HttpLimits();
  l.maxRequestLine = 64;
  l.maxHeadBytes = 256;
  l.maxHeaders = 4;
  l.maxBody = 10;
  const long = "/" + "a".repeat(100);
  const cases: string[][] = [
    [get(long), "414 closed"],
    ["GET /" + "b".repeat(100), "414 closed"], // refused before the line ends
    [get("/", "X-Big: " + "c".repeat(300) + "\r\n"), "431 closed"],
    [get("/", "X-Big: " + "c".repeat(300)), "431 closed"], // refused before the line ends
    [get("/", "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), "431 closed"],
    [get("/", "A: 1\r\nB: 2\r\nC: 3\r\n"), "200 open"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", "413 closed"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", "200 open"],
    ["GET / HTTP/2.0\r\nHost: x\r\n\r\n", "505 closed"],
    ["GET / HTTP/1.1\r\n\r\n", "400 closed"],                        // no Host
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400 closed"],
    ["GET /  HTTP/1.1\r\nHost: x\r\n\r\n", "400 closed"],             // two spaces
    ["GET / http/1.1\r\nHost: x\r\n\r\n", "400 closed"],
    ["G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "400 closed"],
    ["GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", "400 closed"],
    ["GET relative HTTP/1.1\r\nHost: x\r\n\r\n", "400 closed"],
    ["GET * HTTP/1.1\r\nHost: x\r\n\r\n", "400 closed"],
    [get("/", "Bad : space\r\n"), "400 closed"],
    [get("/", "A: 1\r\n folded\r\n"), "400 closed"],
    [get("/", "NoColon\r\n"), "400 closed"],
    [get("/", "A: x\ry\r\n"), "400 closed"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "400 closed"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", "200 open"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "400 closed"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "411 closed"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "501 closed"],
    [get("/", "Expect: something\r\n"), "417 closed"],
    ["GET http://example.com/abs HTTP/1.1\r\nHost: example.com\r\n\r\n", "200 open"],
    ["OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "200 open"],
    ["GET /empty HTTP/1.1\r\nHost: x\r\n\r\n", "204 open"],
  ];
  for (let i = 0; i < cases.length; i++) expectEq(answer(cases[i][0], l), cases[i][1], "case " + i.toString() + " " + cases[i][0].substring(0, 40));
}

export function test_error_answers_say_why_and_204_has_no_body(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push("GET / HTTP/1.1\r\n\r\n");
  const out = c.take();
  assert(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
  assert(out.includes("Connection: close\r\n"), "closes");
  assert(out.endsWith("400 Bad Request: HTTP/1.1 request without Host\n"), out);
  const e = new MemConn();
  server(new Echo()).accept(e);
  e.push(get("/empty"));
  expectEq(e.take(), "HTTP/1.1 204 No Content\r\n" + DATE + "\r\n", "204 bare");
}

export function test_HEAD_has_the_GET_headers_and_no_body(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + get("/after"));
  expectEq(c.take(), "HTTP/1.1 200 OK\r\n" + DATE + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 8\r\n\r\n" + ok("/after GET "), "HEAD then GET");
}

export function test_expect_100_continue_comes_before_the_body_is_sent(): void {
  const c = new MemConn();
  server(new Echo()).accept(c);
  c.push("PUT /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  expectEq(c.take(), "HTTP/1.1 100 Continue\r\n\r\n", "interim response");
  c.push("da");
  expectEq(c.take(), "", "waiting for the rest");
  c.push("ta");
  expectEq(c.take(), ok("/up PUT data"), "final response");
}

/** Streams `count` chunks of `size` bytes ('a'+i), one per pull, counting pulls. */
class Counter extends BodySource {
  pulls: i32 = 0;
  sent: i32 = 0;
  aborted: bool = false;
  constructor(private count: i32, private size: i32) { super(); }
  onPull(res: HttpResponse, room: i32): void {
    this.pulls++;
    if (this.sent == this.count) { res.end(); return; }
    const b = new Uint8Array(this.size);
    b.fill(<u8>(97 + this.sent % 26));
    this.sent++;
    res.write(b);
  }
  onAbort(res: HttpResponse): void { this.aborted = true; }
}

class Streamer extends HttpHandler {
  source: Counter;
  constructor(count: i32, size: i32) { super(); this.source = new Counter(count, size); }
  handle(req: HttpRequest, res: HttpResponse): void {
    res.headers.set("Content-Type", "text/plain");
    res.stream(this.source);
  }
}

/** Decodes a chunked body (RFC 9112 section 7.1), asserting its framing. */
function dechunk(body: string): string {
  let out = "";
  let p = 0;
  while (true) {
    const eol = body.indexOf("\r\n", p);
    assert(eol > p, "chunk size line");
    const size = I32.parseInt(body.substring(p, eol), 16);
    p = eol + 2;
    if (size == 0) { assert(body.substring(p) == "\r\n", "last chunk then CRLF"); return out; }
    out += body.substring(p, p + size);
    assert(body.substring(p + size, p + size + 2) == "\r\n", "CRLF after chunk data");
    p += size + 2;
  }
}

export function test_a_streamed_body_is_chunked_and_pulled_only_as_the_client_reads(): void {
  const c = new MemConn();
  c.room = 3000;
  const h = new Streamer(20, 1000);
  server(h).accept(c);
  c.push(get("/s"));
  // 3000 bytes of room: the head, then chunks until a write is cut short; no more pulls until the client reads.
  const pullsBefore = h.source.pulls;
  assert(pullsBefore <= 4, "pulled only while there was room: " + pullsBefore.toString());
  c.push("");
  assert(h.source.pulls == pullsBefore, "no pull while the send buffer is full");
  let out = c.take();
  for (let i = 0; i < 100 && !out.endsWith("0\r\n\r\n"); i++) {
    c.drain(3000);
    out += c.take();
  }
  const sep = out.indexOf("\r\n\r\n");
  expectEq(out.substring(0, sep + 4), "HTTP/1.1 200 OK\r\n" + DATE + "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", "head");
  const body = dechunk(out.substring(sep + 4));
  assert(body.length == 20000, "all 20 chunks: " + body.length.toString());
  for (let i = 0; i < 20; i++) assert(body.charCodeAt(i * 1000) == 97 + i && body.charCodeAt(i * 1000 + 999) == 97 + i, "chunk order");
  assert(!c.closed, "kept alive after a chunked body");
  c.push(get("/next"));
  assert(c.take().startsWith("HTTP/1.1 200 OK\r\n"), "next request answered");
}

export function test_a_streamed_body_to_http_1_0_is_close_delimited(): void {
  const c = new MemConn();
  server(new Streamer(3, 5)).accept(c);
  c.push("GET /s HTTP/1.0\r\n\r\n");
  expectEq(c.take(), "HTTP/1.1 200 OK\r\n" + DATE + "Content-Type: text/plain\r\nConnection: close\r\n\r\naaaaabbbbbccccc", "raw body");
  assert(c.closed, "the close ends the body");
}

export function test_a_connection_closed_mid_stream_aborts_the_source(): void {
  const c = new MemConn();
  c.room = 100;
  const h = new Streamer(50, 1000);
  server(h).accept(c);
  c.push(get("/s"));
  c.handler!.onClosed(c, TcpError.Reset);
  assert(h.source.aborted, "source told");
  c.drain(100000);
  assert(h.source.sent < 50, "no more pulls");
}

class Named extends HttpHandler {
  constructor(private name: string) { super(); }
  handle(req: HttpRequest, res: HttpResponse): void { res.sendText(this.name); }
}

export function test_router_exact_prefix_404_and_405_with_allow(): void {
  const r = new Router()
    .exact("GET", "/", new Named("root"))
    .prefix("GET", "/static/", new Named("static"))
    .prefix("GET", "/static/deep/", new Named("deep"))
    .exact("POST", "/api", new Named("api-post"))
    .exact("DELETE", "/api", new Named("api-delete"));
  const c = new MemConn();
  server(r).accept(c);
  c.push(get("/") + get("/static/x.css") + get("/static/deep/y") + "POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  expectEq(c.take(), ok("root") + ok("static") + ok("deep") + ok("api-post"), "routes");
  c.push(get("/nope"));
  const nf = c.take();
  assert(nf.startsWith("HTTP/1.1 404 Not Found\r\n") && nf.endsWith("404 Not Found: /nope\n"), nf);
  c.push(get("/api"));
  const na = c.take();
  assert(na.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), na);
  assert(na.includes("\r\nAllow: POST, DELETE\r\n"), na);
  c.push("PUT /static/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  assert(c.take().includes("\r\nAllow: GET, HEAD\r\n"), "GET implies HEAD");
  c.push("HEAD /static/a HTTP/1.1\r\nHost: x\r\n\r\n");
  const head = c.take();
  assert(head.startsWith("HTTP/1.1 200 OK\r\n") && head.endsWith("Content-Length: 6\r\n\r\n"), head);
  assert(!c.closed, "404 and 405 keep the connection");
}

const keep: Uint8Array[] = [];
/** An EmbeddedKv over heap copies of `files` ([key, text]...). */
function kvOf(files: string[][]): EmbeddedKv {
  const kv = new EmbeddedKv("site");
  for (let i = 0; i < files.length; i++) {
    const b = Uint8Array.wrap(String.UTF8.encode(files[i][1]));
    keep.push(b);
    kv.add(files[i][0], b.dataStart, b.length);
  }
  return kv;
}

function ask(c: MemConn, path: string): string { c.push(get(path)); return c.take(); }
function typed(type: string, body: string): string { return "HTTP/1.1 200 OK\r\n" + DATE + "Content-Type: " + type + "\r\nContent-Length: " + body.length.toString() + "\r\n\r\n" + body; }

export function test_kv_files_index_types_redirects_and_404(): void {
  const kv = kvOf([["index.html", "<h1>home</h1>"], ["css/site.css", "body{}"], ["docs/index.html", "docs"], ["a b.txt", "spaced"], ["blob", "xyz"]]);
  const c = new MemConn();
  server(new Router().prefix("GET", "/", new KvFiles(kv))).accept(c);
  expectEq(ask(c, "/"), typed("text/html; charset=utf-8", "<h1>home</h1>"), "/ is index.html");
  expectEq(ask(c, "/"), typed("text/html; charset=utf-8", "<h1>home</h1>"), "/ again, from the memo");
  expectEq(ask(c, "/index.html"), typed("text/html; charset=utf-8", "<h1>home</h1>"), "by name");
  expectEq(ask(c, "/css/site.css"), typed("text/css; charset=utf-8", "body{}"), "css");
  expectEq(ask(c, "/docs/"), typed("text/html; charset=utf-8", "docs"), "folder index");
  expectEq(ask(c, "/a%20b.txt?v=2"), typed("text/plain; charset=utf-8", "spaced"), "percent-decoded, query ignored");
  expectEq(ask(c, "/blob"), typed("application/octet-stream", "xyz"), "no extension");
  const moved = ask(c, "/docs");
  assert(moved.startsWith("HTTP/1.1 301 Moved Permanently\r\n") && moved.includes("\r\nLocation: /docs/\r\n"), moved);
  for (let i = 0; i < 4; i++) {
    const p = ["/missing.html", "/../index.html", "/css/../index.html", "/%zz"][i];
    const r = ask(c, p);
    assert(r.startsWith("HTTP/1.1 404 Not Found\r\n"), p + ": " + r);
  }
  c.push("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  assert(c.take().includes("\r\nAllow: GET, HEAD\r\n"), "405 for POST");
  assert(!c.closed, "still open");
}

export function test_content_types_and_percent_decoding(): void {
  expectEq(contentTypeOf("a/b/c.PNG"), "image/png", "case-insensitive extension");
  expectEq(contentTypeOf("x.wasm"), "application/wasm", "wasm");
  expectEq(contentTypeOf(".hidden"), "application/octet-stream", "dot file");
  expectEq(contentTypeOf("dir.d/file"), "application/octet-stream", "dot in a folder");
  expectEq(percentDecode("%C3%A9t%C3%A9")!, "été", "UTF-8");
  assert(percentDecode("%4") == null && percentDecode("%00") == null && percentDecode("%g0") == null, "malformed escapes");
}

// --- deadlines, shedding and memory, under a fake clock ---------------------

let fakeNs: i64 = 0;
function fakeClock(): i64 { return fakeNs; }
const S: i64 = 1_000_000_000;

/** A server whose deadlines run on their own timers under the fake clock. */
function timedServer(h: HttpHandler, limits: HttpLimits = new HttpLimits()): HttpServer {
  fakeNs = 1000 * S;
  const s = server(h, limits);
  s.useTimers = true;
  s.clock = fakeClock;
  s.timers = new Timers(fakeClock);
  return s;
}

/** Moves the fake clock to `t` and runs the server's due timers. */
function advance(s: HttpServer, t: i64): void {
  fakeNs = t;
  s.timers.runDue(t);
}

export function test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(): void {
  const l = new HttpLimits();
  l.idleTimeout = 20 * S;
  const s = timedServer(new Echo(), l);
  const t0 = fakeNs;
  const quiet = new MemConn();
  s.accept(quiet);
  quiet.push(get("/one"));
  quiet.take();
  const busy = new MemConn();
  s.accept(busy);
  busy.push(get("/first"));
  busy.take();
  for (let i = 1; i <= 3; i++) {
    advance(s, t0 + <i64>i * 10 * S);
    busy.push(get("/keep"));
    busy.take();
  }
  assert(quiet.closed && !quiet.aborted, "closed (FIN) after 20 s without a request");
  assert(!busy.closed, "a connection with a request every 10 s stays");
  advance(s, t0 + 51 * S);
  assert(busy.closed, "and closes once it falls quiet");
  assert(s.stats.idleClosed == 2 && s.stats.timedOut == 0);
}

export function test_a_slowloris_head_is_reset_at_the_head_deadline(): void {
  const l = new HttpLimits();
  l.headTimeout = 10 * S;
  const s = timedServer(new Echo(), l);
  const t0 = fakeNs;
  const slow = new MemConn();
  s.accept(slow);
  const head = get("/slow");
  // A byte every 2 s: each one would have reset an idle timer.
  let i = 0;
  for (; i < head.length - 1 && !slow.aborted; i++) {
    advance(s, t0 + <i64>i * 2 * S);
    slow.push(head.charAt(i));
  }
  assert(slow.aborted, "reset");
  assert(fakeNs >= t0 + 10 * S && fakeNs <= t0 + 12 * S, "at the deadline from the connection's start: " + ((fakeNs - t0) / S).toString() + " s");
  assert(slow.take() == "", "no answer to half a request");
  assert(s.stats.timedOut == 1 && s.stats.open == 0);
  // A client that says nothing at all is closed at the same deadline.
  const mute = new MemConn();
  s.accept(mute);
  advance(s, fakeNs + 9 * S);
  assert(!mute.closed);
  advance(s, fakeNs + 2 * S);
  assert(mute.closed, "a connection without a request goes after headTimeout");
}

export function test_a_body_slower_than_the_minimum_rate_is_reset(): void {
  const l = new HttpLimits();
  l.headTimeout = 10 * S;
  l.minBodyRate = 1000; // bytes per second
  const s = timedServer(new Echo(), l);
  const t0 = fakeNs;
  const c = new MemConn();
  s.accept(c);
  // 20,000 bytes may take 10 s + 20 s.
  c.push("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n");
  for (let i = 1; i <= 40 && !c.aborted; i++) {
    advance(s, t0 + <i64>i * S);
    c.push("x".repeat(400)); // 400 bytes/s: 50 s for the whole body
  }
  assert(c.aborted, "reset");
  assert(fakeNs >= t0 + 30 * S && fakeNs <= t0 + 31 * S, "at 30 s: " + ((fakeNs - t0) / S).toString());
  // At the rate allowed, the same body is served.
  const ok2 = new MemConn();
  s.accept(ok2);
  const t1 = fakeNs;
  ok2.push("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n");
  for (let i = 1; i <= 10; i++) {
    advance(s, t1 + <i64>i * S);
    ok2.push("y".repeat(2000));
  }
  assert(!ok2.aborted && ok2.take().startsWith("HTTP/1.1 200 OK"), "served");
}

export function test_a_response_nobody_reads_is_reset_after_the_idle_timeout(): void {
  const l = new HttpLimits();
  l.idleTimeout = 20 * S;
  const s = timedServer(new Echo(), l);
  const t0 = fakeNs;
  const c = new MemConn();
  c.room = 10; // the client reads nothing past 10 bytes
  s.accept(c);
  c.push(get("/a-long-enough-path"));
  advance(s, t0 + 15 * S);
  assert(!c.aborted);
  c.drain(5); // a little progress moves the deadline
  advance(s, t0 + 30 * S);
  assert(!c.aborted, "20 s from the last progress, not from the request");
  advance(s, t0 + 36 * S);
  assert(c.aborted, "reset once nothing moved for 20 s");
}

/** A MemConn whose stack has a budget. */
class BudgetConn extends MemConn {
  constructor(readonly b: MemoryBudget) { super(); }
  get budget(): MemoryBudget { return this.b; }
}

export function test_memory_is_charged_while_a_request_arrives_and_given_back_when_idle(): void {
  const budget = new MemoryBudget(1 << 20);
  const s = timedServer(new Echo(), new HttpLimits());
  const c = new BudgetConn(budget);
  s.accept(c);
  assert(budget.used == 0, "an idle connection holds no buffer");
  c.push("GET /" + "a".repeat(3000) + " HTTP/1.1\r\nHost: x\r\n");
  assert(budget.used >= 3000, "a head being received is charged: " + budget.used.toString());
  c.push("\r\n");
  assert(c.take().startsWith("HTTP/1.1 200 OK"));
  assert(budget.used == 0, "given back once idle: " + budget.used.toString());
  c.push("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + "z".repeat(2000));
  assert(budget.used >= 2000 && budget.used < 5000 + 4096, "a body's buffer grows as it arrives: " + budget.used.toString());
  c.push("z".repeat(3000));
  assert(c.take().startsWith("HTTP/1.1 200 OK"));
  assert(budget.used == 0, "the body left with the request: " + budget.used.toString());
}

export function test_shedding_takes_the_longest_waiting_connection_first(): void {
  const s = timedServer(new Echo(), new HttpLimits());
  const conns: MemConn[] = [];
  for (let i = 0; i < 5; i++) {
    const c = new MemConn();
    s.accept(c);
    conns.push(c);
    advance(s, fakeNs + S);
  }
  // conns[0] is busy (its handler answers later), conns[1] has half a head.
  const later = new Echo();
  const s2 = timedServer(later, new HttpLimits());
  const busy = new MemConn();
  s2.accept(busy);
  busy.push(get("/later"));
  const idle = new MemConn();
  s2.accept(idle);
  assert(s2.waiting == 1, "the busy one is not waiting: " + s2.waiting.toString());
  assert(s2.shed() && idle.aborted && !busy.aborted, "the waiting one goes, not the busy one");
  assert(!s2.shed(), "nothing left to shed");
  conns[1].push("GET /x HT");
  assert(s.shed() && conns[0].aborted, "oldest first");
  assert(s.shed() && conns[1].aborted, "a half head waits too");
  assert(s.waiting == 3 && s.stats.shed == 2);
}

export function test_a_head_the_budget_cannot_hold_is_answered_503_after_shedding(): void {
  const budget = new MemoryBudget(6000);
  const s = timedServer(new Echo(), new HttpLimits());
  // Two clients sit on part of a head each: 2 KiB of the budget each.
  const sitters: BudgetConn[] = [];
  for (let i = 0; i < 2; i++) {
    const c = new BudgetConn(budget);
    s.accept(c);
    c.push("GET /" + "s".repeat(1500));
    sitters.push(c);
  }
  const used = budget.used;
  assert(used == 4096, "two 2 KiB input buffers: " + used.toString());
  const big = new BudgetConn(budget);
  s.accept(big);
  big.push("GET /" + "b".repeat(7000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const out = big.take();
  assert(sitters[0].aborted && sitters[1].aborted, "the waiting heads were shed to make room");
  assert(out.startsWith("HTTP/1.1 503 Service Unavailable"), out);
  assert(s.stats.outOfMemory == 1);
  assert(budget.used == 0, "all given back: " + budget.used.toString());
}

export function test_pipelined_responses_through_a_send_buffer_smaller_than_one_response(): void {
  const c = new MemConn();
  c.room = 37; // each response goes out in several cut-short writes
  server(new Echo()).accept(c);
  c.push(get("/first") + get("/second") + "POST /third HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz");
  let out = c.take();
  for (let i = 0; i < 200 && out.length < 400; i++) {
    c.drain(37);
    out += c.take();
  }
  expectEq(out, ok("/first GET ") + ok("/second GET ") + ok("/third POST xyz"), "every byte, in order");
}
