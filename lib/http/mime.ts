// Content types by file extension (the IANA media types registry), for
// serving files; text types say UTF-8.

/** [extension, media type]; lower-case extensions without the dot. */
const TYPES: Array<Array<string>> = [
  ["html", "text/html; charset=utf-8"],
  ["htm", "text/html; charset=utf-8"],
  ["css", "text/css; charset=utf-8"],
  ["js", "text/javascript; charset=utf-8"],
  ["mjs", "text/javascript; charset=utf-8"],
  ["json", "application/json"],
  ["map", "application/json"],
  ["txt", "text/plain; charset=utf-8"],
  ["md", "text/markdown; charset=utf-8"],
  ["csv", "text/csv; charset=utf-8"],
  ["xml", "application/xml"],
  ["svg", "image/svg+xml"],
  ["png", "image/png"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["gif", "image/gif"],
  ["webp", "image/webp"],
  ["avif", "image/avif"],
  ["ico", "image/vnd.microsoft.icon"],
  ["woff", "font/woff"],
  ["woff2", "font/woff2"],
  ["wasm", "application/wasm"],
  ["pdf", "application/pdf"],
];

/** What a file of unknown type is sent as (RFC 9110 section 8.3). */
export const DEFAULT_TYPE = "application/octet-stream";

/** The media type for `path` by its extension, or DEFAULT_TYPE. */
export function contentTypeOf(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return DEFAULT_TYPE; // no extension, or a dot file
  const ext = path.substring(dot + 1).toLowerCase();
  for (let i = 0; i < TYPES.length; i++) if (TYPES[i][0] == ext) return TYPES[i][1];
  return DEFAULT_TYPE;
}
