// Slims asc's source map to what a trap report needs (sources and mappings;
// sourcesContent is most of its size) and says how its paths map to files.
import path from "node:path";
import { repoRoot } from "../paths.ts";

/** The source map without sourcesContent and names. */
export function slimSourceMap(json: string): string {
  if (!json) return "";
  const m = JSON.parse(json) as { version: number; sources: string[]; mappings: string };
  return JSON.stringify({ version: m.version, sources: m.sources, mappings: m.mappings });
}

/** [prefix, replacement] pairs from compiled-in paths to paths relative to the current folder. */
export function sourceRoots(buildDir: string): [string, string][] {
  const rel = (p: string): string => (path.relative(process.cwd(), p) || ".") + "/";
  return [
    ["~lib/atoll-drivers/", rel(path.join(repoRoot, "drivers"))],
    ["~lib/atoll/", rel(path.join(repoRoot, "lib"))],
    ["../../", rel(path.dirname(path.dirname(buildDir)))],
  ];
}
