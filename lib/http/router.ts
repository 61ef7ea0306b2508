// Routes by method and path: exact paths first, then the longest matching
// prefix. A path no route has is 404; a path that has routes, none for this
// method, is 405 with Allow listing the methods that would do (RFC 9110
// section 15.5.6). A GET route answers HEAD too (the server drops the body).
import { HttpHandler } from "./handler";
import { HttpRequest } from "./request";
import { HttpResponse } from "./response";

class Route {
  constructor(readonly method: string, readonly path: string, readonly prefix: bool, readonly handler: HttpHandler) {}

  matchesPath(path: string): bool { return this.prefix ? path.startsWith(this.path) : path == this.path; }
  matchesMethod(method: string): bool { return this.method == method || (method == "HEAD" && this.method == "GET"); }
}

/** A table of routes; itself a handler. */
export class Router extends HttpHandler {
  private routes: Route[] = [];

  /** Routes `method` requests for exactly `path`. */
  exact(method: string, path: string, handler: HttpHandler): Router {
    this.routes.push(new Route(method, path, false, handler));
    return this;
  }

  /** Routes `method` requests whose path starts with `prefix` ("/" for all). */
  prefix(method: string, prefix: string, handler: HttpHandler): Router {
    this.routes.push(new Route(method, prefix, true, handler));
    return this;
  }

  /** The route for `method` and `path`, or null. */
  find(method: string, path: string): HttpHandler | null {
    const r = this.best(method, path, true);
    return r != null ? r.handler : null;
  }

  handle(req: HttpRequest, res: HttpResponse): void {
    const r = this.best(req.method, req.path, true);
    if (r != null) { r.handler.handle(req, res); return; }
    const allow = this.allowed(req.path);
    if (allow.length == 0) {
      res.status = 404;
      res.sendText("404 Not Found: " + req.path + "\n");
      return;
    }
    res.status = 405;
    res.headers.set("Allow", allow.join(", "));
    res.sendText("405 Method Not Allowed: " + req.method + " " + req.path + "; allowed: " + allow.join(", ") + "\n");
  }

  /** Exact routes win; among prefixes, the longest. With `byMethod` false, any method counts. */
  private best(method: string, path: string, byMethod: bool): Route | null {
    let best: Route | null = null;
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i];
      if (!r.matchesPath(path) || (byMethod && !r.matchesMethod(method))) continue;
      if (!r.prefix) return r;
      if (best == null || r.path.length > best.path.length) best = r;
    }
    return best;
  }

  /** The methods some route takes for `path` (HEAD beside GET), in the order routes were added. */
  private allowed(path: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i];
      if (!r.matchesPath(path)) continue;
      if (!out.includes(r.method)) out.push(r.method);
      if (r.method == "GET" && !out.includes("HEAD")) out.push("HEAD");
    }
    return out;
  }
}
