// What the server calls for each request.
import { HttpRequest } from "./request";
import { HttpResponse } from "./response";

/** Answers requests; override handle. */
export abstract class HttpHandler {
  /** Answers `req` through `res` (send, sendText or stream), now or later; the next request on the connection waits until it is finished. */
  abstract handle(req: HttpRequest, res: HttpResponse): void;
}
