// Serves files from a read-only KV (config.ts `device.kvRo`, lib/kv/ro.ts):
// the request path, percent-decoded, is the key; a path ending in '/' serves
// its index.html; a folder asked for without its '/' is redirected to it, so
// relative links in its index resolve. Bodies are kept after the first
// request (the KV hands out copies, and embedded files never change).
import { ReadOnlyKv } from "../kv/ro";
import { HttpHandler } from "./handler";
import { HttpRequest } from "./request";
import { HttpResponse } from "./response";
import { contentTypeOf } from "./mime";

const INDEX = "index.html";
/** Request paths remembered with what they resolved to; percent-encoding makes the set of paths unbounded, so the memo is capped. */
const MEMO_LIMIT = 256;

/** A file as served: its bytes and content type. */
class Served {
  constructor(readonly body: Uint8Array, readonly type: string) {}
}

/** Answers GET and HEAD from the files of a ReadOnlyKv. */
export class KvFiles extends HttpHandler {
  private cache: Map<string, Uint8Array> = new Map();
  private byPath: Map<string, Served> = new Map();

  /** Serves `kv`'s files under the URL path `mount` ("/" for the root). */
  constructor(readonly kv: ReadOnlyKv, readonly mount: string = "/") { super(); }

  handle(req: HttpRequest, res: HttpResponse): void {
    if (this.byPath.has(req.path)) {
      const f = this.byPath.get(req.path);
      res.headers.set("Content-Type", f.type);
      res.send(f.body);
      return;
    }
    const key = this.keyOf(req.path);
    if (key == null) { this.notFound(req, res); return; }
    const k = key!;
    if (k.length == 0 || k.endsWith("/")) {
      this.serve(k + INDEX, req, res);
      return;
    }
    if (this.kv.size(k) < 0 && this.kv.size(k + "/" + INDEX) >= 0) {
      res.status = 301;
      res.headers.set("Location", req.path + "/");
      res.sendText("moved to " + req.path + "/\n");
      return;
    }
    this.serve(k, req, res);
  }

  private serve(key: string, req: HttpRequest, res: HttpResponse): void {
    let body: Uint8Array | null = null;
    if (this.cache.has(key)) body = this.cache.get(key);
    else {
      body = this.kv.get(key);
      if (body != null) this.cache.set(key, body!);
    }
    if (body == null) { this.notFound(req, res); return; }
    const f = new Served(body!, contentTypeOf(key));
    if (this.byPath.size < MEMO_LIMIT) this.byPath.set(req.path, f);
    res.headers.set("Content-Type", f.type);
    res.send(f.body);
  }

  private notFound(req: HttpRequest, res: HttpResponse): void {
    res.status = 404;
    res.sendText("404 Not Found: " + req.path + "\n");
  }

  /** The KV key of a URL path under the mount, or null for one outside it, badly encoded, or with a '..' or '.' segment. */
  private keyOf(path: string): string | null {
    if (!path.startsWith(this.mount)) return null;
    const decoded = percentDecode(path.substring(this.mount.length));
    if (decoded == null) return null;
    if (!cleanSegments(decoded!)) return null;
    return decoded;
  }
}

/** True when no '/'-separated segment of `key` is "." or "..", and none but the last is empty. */
function cleanSegments(key: string): bool {
  let start = 0;
  const n = key.length;
  for (let i = 0; i <= n; i++) {
    if (i < n && key.charCodeAt(i) != 47) continue;
    const len = i - start;
    if (len == 0 && i < n) return false;
    if (len == 1 && key.charCodeAt(start) == 46) return false;
    if (len == 2 && key.charCodeAt(start) == 46 && key.charCodeAt(start + 1) == 46) return false;
    start = i + 1;
  }
  return true;
}

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** `s` with %XX escapes decoded as UTF-8 (RFC 3986 section 2.1), or null when an escape is malformed or decodes to NUL. */
export function percentDecode(s: string): string | null {
  if (s.indexOf("%") < 0) return s;
  const src = String.UTF8.encode(s);
  const b = Uint8Array.wrap(src);
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    let c = <i32>b[i];
    if (c == 37) {
      if (i + 2 >= b.length) return null;
      const h = hexValue(b[i + 1]), l = hexValue(b[i + 2]);
      if (h < 0 || l < 0) return null;
      c = h * 16 + l;
      if (c == 0) return null;
      i += 2;
    }
    out[n++] = <u8>c;
  }
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>n);
}
