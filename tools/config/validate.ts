// Checks the data a config.ts exported against schema.ts. Every problem is
// reported with the field's path, and the caller turns the field's key into a
// line of the file (locate.ts), so a typo reads "config.ts:7: devcies: ...".
import type { Field, FieldType } from "./schema.ts";

/** One problem: `path` is the field's path (["devices", 1, "name"]), `key` the key to find in the source. */
export interface Problem {
  path: (string | number)[];
  key: string;
  message: string;
}

/** Validates `value` against `type`; returns every problem found. */
export function validate(value: unknown, type: FieldType, path: (string | number)[] = []): Problem[] {
  const out: Problem[] = [];
  check(value, type, path, out);
  return out;
}

function lastKey(path: (string | number)[]): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === "string") return path[i] as string;
  return "";
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v);
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function check(v: unknown, type: FieldType, path: (string | number)[], out: Problem[]): void {
  const fail = (message: string): void => {
    out.push({ path, key: lastKey(path), message });
  };
  switch (type.t) {
    case "string":
      if (typeof v !== "string") return fail(`expected a string, got ${describe(v)}`);
      if (type.pattern && !type.pattern.test(v)) return fail(`${JSON.stringify(v)} is not valid: ${type.hint ?? type.pattern}`);
      return;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v)) return fail(`expected a number, got ${describe(v)}`);
      if (type.integer && !Number.isInteger(v)) return fail(`expected an integer, got ${v}`);
      if (type.min !== undefined && v < type.min) return fail(`expected ${type.min} or more, got ${v}`);
      return;
    case "boolean":
      if (typeof v !== "boolean") return fail(`expected true or false, got ${describe(v)}`);
      return;
    case "size":
      if (typeof v !== "string" || parseSize(v) === null) return fail(`expected a size such as "512K", "16M" or "1G", got ${describe(v)}`);
      if (type.min !== undefined && parseSize(v)! < type.min) return fail(`${JSON.stringify(v)} is less than the minimum, ${type.min} bytes`);
      return;
    case "array":
      if (!Array.isArray(v)) return fail(`expected an array, got ${describe(v)}`);
      v.forEach((item, i) => check(item, type.of, [...path, i], out));
      return;
    case "record":
      if (!isPlainObject(v)) return fail(`expected an object, got ${describe(v)}`);
      for (const [k, item] of Object.entries(v)) check(item, type.of, [...path, k], out);
      return;
    case "object":
      if (!isPlainObject(v)) return fail(`expected an object, got ${describe(v)}`);
      return checkFields(v, type.fields, path, out);
    case "union": {
      if (!isPlainObject(v)) return fail(`expected an object, got ${describe(v)}`);
      const tag = v[type.tag];
      const variants = Object.keys(type.variants);
      const fields = typeof tag === "string" ? type.variants[tag] : undefined;
      if (fields === undefined) {
        out.push({ path: [...path, type.tag], key: type.tag, message: `unknown ${type.tag} ${describe(tag)}${suggest(String(tag), variants)}; one of: ${variants.join(", ")}` });
        return;
      }
      return checkFields(v, { [type.tag]: { type: { t: "string" }, required: true }, ...fields }, path, out);
    }
  }
}

function checkFields(v: Record<string, unknown>, fields: Record<string, Field>, path: (string | number)[], out: Problem[]): void {
  const known = Object.keys(fields);
  for (const key of Object.keys(v)) {
    if (!(key in fields)) out.push({ path: [...path, key], key, message: `unknown field${suggest(key, known)}; known fields: ${known.join(", ")}` });
  }
  for (const [key, f] of Object.entries(fields)) {
    if (v[key] === undefined) {
      if (f.required) out.push({ path: [...path, key], key: lastKey(path) || key, message: `missing required field '${key}'` });
      continue;
    }
    check(v[key], f.type, [...path, key], out);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** " (did you mean 'x'?)" when a known word is within two edits of `word`. */
export function suggest(word: string, known: string[]): string {
  let best = "";
  let bestDist = 3;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDist) { best = k; bestDist = d; }
  }
  return best ? ` (did you mean '${best}'?)` : "";
}

/** Levenshtein distance with transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Parses "512", "64K", "16M", "1G" (powers of 1024) into bytes; null when malformed. */
export function parseSize(s: string): number | null {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(s.trim());
  if (!m) return null;
  const mult: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  return Number(m[1]) * mult[m[2]!.toUpperCase()]!;
}
