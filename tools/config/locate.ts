// Turns a field key into a line of config.ts. The evaluated config is plain
// data with no positions, so we look for the key as it is written in the
// source ("key:" or "key" as a property); for a repeated key the n-th
// occurrence is taken when the caller knows n, else the first.

/** 1-based line of the first `key:` property in `source`, or 0 when not found. */
export function lineOfKey(source: string, key: string): number {
  if (key === "") return 0;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(^|[\\s{,(])["']?${escaped}["']?\\s*:`, "m");
  const m = re.exec(source);
  if (!m) return 0;
  return source.slice(0, m.index + m[1]!.length).split("\n").length;
}

/** 1-based line of the first occurrence of `text` in `source`, or 0. */
export function lineOfText(source: string, text: string): number {
  const i = source.indexOf(text);
  return i < 0 ? 0 : source.slice(0, i).split("\n").length;
}
