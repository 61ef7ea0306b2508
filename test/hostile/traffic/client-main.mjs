// What every Node traffic client of the lab shares: its options as
// --name=value words checked against a table (a wrong or missing one is a
// one-line usage error, status 2), a deadline after which it reports what it
// has, and its result as one JSON line on standard output. Plain JavaScript:
// the clients run inside the lab's network namespace, outside vitest.

/**
 * Parses process.argv against `spec` ({ name: { kind: "int"|"number"|"string"|"list"|"choice", of?, default?, doc } };
 * "choice" takes one of `of`); a spec entry without a default is required.
 * Exits 2 with the usage on a bad word.
 */
export function options(tool, summary, spec) {
  const metavar = (s) => (s.kind === "choice" ? s.of.join("|") : s.kind.toUpperCase());
  const usage = () => `usage: ${tool} ${Object.entries(spec).map(([n, s]) => (s.default === undefined ? `--${n}=${metavar(s)}` : `[--${n}=${metavar(s)}]`)).join(" ")}\n  ${summary}\n${Object.entries(spec).map(([n, s]) => `  --${n}: ${s.doc}${s.default === undefined || s.default === "" ? "" : ` (default ${s.default})`}`).join("\n")}\n`;
  const fail = (why) => { process.stderr.write(`${tool}: ${why}\n${usage()}`); process.exit(2); };
  const out = {};
  for (const word of process.argv.slice(2)) {
    const m = /^--([a-z-]+)=(.*)$/.exec(word);
    if (m === null) fail(`'${word}' is not --NAME=VALUE`);
    const s = spec[m[1]];
    if (s === undefined) fail(`unknown option --${m[1]}`);
    out[m[1]] = parseValue(m[1], s, m[2], fail);
  }
  for (const [n, s] of Object.entries(spec)) {
    if (out[n] === undefined) {
      if (s.default === undefined) fail(`--${n} is required`);
      out[n] = s.kind === "list" ? String(s.default).split(",").filter((x) => x !== "") : s.default;
    }
  }
  return out;
}

function parseValue(name, { kind, of }, text, fail) {
  if (kind === "string") return text;
  if (kind === "choice") return of.includes(text) ? text : fail(`--${name} takes ${of.join(" or ")}, not '${text}'`);
  if (kind === "list") return text.split(",").filter((x) => x !== "");
  const v = Number(text);
  if (text === "" || !Number.isFinite(v) || v < 0 || (kind === "int" && !Number.isInteger(v))) fail(`--${name} takes a ${kind === "int" ? "whole " : ""}number of 0 or more, not '${text}'`);
  return v;
}

/**
 * Runs `body(report)` and prints its result; `report()` is what it has so
 * far, printed (with "error") if `deadlineMs` passes or a SIGTERM comes
 * first (a harness stops a client when the server it attacks has died).
 */
export async function run(cmd, deadlineMs, body) {
  let partial = () => ({});
  const stop = (why) => {
    process.stdout.write(JSON.stringify({ cmd, ...partial(), error: why }) + "\n");
    process.exit(1);
  };
  const timer = setTimeout(() => stop(`timed out after ${deadlineMs} ms`), deadlineMs);
  process.once("SIGTERM", () => stop("stopped by SIGTERM"));
  try {
    const r = await body((f) => { partial = f; });
    clearTimeout(timer);
    process.stdout.write(JSON.stringify({ cmd, ...r }) + "\n");
    process.exit(0);
  } catch (e) {
    clearTimeout(timer);
    process.stdout.write(JSON.stringify({ cmd, ...partial(), error: e?.code ?? e?.message ?? String(e) }) + "\n");
    process.exit(1);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Counts of each key, as a plain object. */
export class Tally {
  counts = {};
  add(key, n = 1) { this.counts[key] = (this.counts[key] ?? 0) + n; }
  get(key) { return this.counts[key] ?? 0; }
}

/** min, median, p99 and max of `values` (ms), rounded; {} when empty. */
export function spread(values) {
  if (values.length === 0) return {};
  const s = [...values].sort((a, b) => a - b);
  const q = (f) => Math.round(s[Math.min(s.length - 1, Math.floor(f * s.length))]);
  return { min: Math.round(s[0]), median: q(0.5), p99: q(0.99), max: Math.round(s[s.length - 1]) };
}

/** Expands "10.0.0.3-9,10.0.0.1" into addresses (a range in the last byte). */
export function addresses(list) {
  const out = [];
  for (const item of list) {
    const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$/.exec(item);
    if (m === null) throw new Error(`'${item}' is not an IPv4 address or A.B.C.D-E`);
    for (let i = Number(m[2]); i <= Number(m[3] ?? m[2]); i++) out.push(`${m[1]}${i}`);
  }
  return out;
}
