// Status codes and their reason phrases (RFC 9110 section 15). The reason
// phrase is advisory; clients go by the code, so an unknown code gets a
// generic phrase of its class rather than an error.

/** [code, reason phrase] for the codes this server or its applications send. */
const REASONS: Array<Array<string>> = [
  ["100", "Continue"],
  ["101", "Switching Protocols"],
  ["200", "OK"],
  ["201", "Created"],
  ["202", "Accepted"],
  ["204", "No Content"],
  ["206", "Partial Content"],
  ["301", "Moved Permanently"],
  ["302", "Found"],
  ["303", "See Other"],
  ["304", "Not Modified"],
  ["307", "Temporary Redirect"],
  ["308", "Permanent Redirect"],
  ["400", "Bad Request"],
  ["401", "Unauthorized"],
  ["403", "Forbidden"],
  ["404", "Not Found"],
  ["405", "Method Not Allowed"],
  ["408", "Request Timeout"],
  ["409", "Conflict"],
  ["411", "Length Required"],
  ["413", "Content Too Large"],
  ["414", "URI Too Long"],
  ["415", "Unsupported Media Type"],
  ["417", "Expectation Failed"],
  ["429", "Too Many Requests"],
  ["431", "Request Header Fields Too Large"],
  ["500", "Internal Server Error"],
  ["501", "Not Implemented"],
  ["503", "Service Unavailable"],
  ["505", "HTTP Version Not Supported"],
];

/** Generic phrases by class (1xx..5xx) for codes missing from the table. */
const CLASS_REASONS: string[] = ["Informational", "Success", "Redirection", "Client Error", "Server Error"];

let byCode: Map<i32, string> | null = null;

/** The reason phrase of `code` (RFC 9110 section 15). */
export function statusReason(code: i32): string {
  let m = byCode;
  if (m == null) {
    m = new Map<i32, string>();
    for (let i = 0; i < REASONS.length; i++) m.set(I32.parseInt(REASONS[i][0], 10), REASONS[i][1]);
    byCode = m;
  }
  if (m.has(code)) return m.get(code);
  const cls = code / 100;
  return cls >= 1 && cls <= 5 ? CLASS_REASONS[cls - 1] : "Unknown";
}

/** True when a response with this status never has content (RFC 9110 sections 15.2, 15.3.5, 15.4.5). */
export function statusHasNoBody(code: i32): bool {
  return (code >= 100 && code < 200) || code == 204 || code == 304;
}
