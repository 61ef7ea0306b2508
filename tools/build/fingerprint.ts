// Decides whether an artefact is up to date: a hash over the target, the
// tools themselves, and the content of every file the last compile read.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { writeFileAtomic } from "../atomic-write.ts";

/** What build.ts records next to the artefact. */
export interface Stamp {
  fingerprint: string;
  inputs: string[];
  /** sha256 of each input, to name the file that changed. */
  hashes?: Record<string, string>;
}

function fileHash(f: string): string {
  return createHash("sha256").update(readFileSync(f)).digest("hex");
}

let toolsHash: string | null = null;

/** A hash of tools/, asconfig.json and the compiler's version: a change to any of them rebuilds. */
function hashTools(): string {
  if (toolsHash) return toolsHash;
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) h.update(p).update(readFileSync(p));
    }
  };
  walk(path.join(repoRoot, "tools"));
  h.update(readFileSync(path.join(repoRoot, "asconfig.json")));
  h.update(readFileSync(path.join(repoRoot, "node_modules", "assemblyscript", "package.json")));
  toolsHash = h.digest("hex");
  return toolsHash;
}

/** The fingerprint of a build of `target` from `inputs`; null when an input is gone. */
export function fingerprint(target: string, inputs: string[]): string | null {
  const h = createHash("sha256").update(target).update(hashTools());
  for (const f of inputs) {
    if (!existsSync(f) || !statSync(f).isFile()) return null;
    h.update(f).update(readFileSync(f));
  }
  return h.digest("hex");
}

/** Why `artefact` must be rebuilt, or null when it is up to date. */
export function staleReason(stampFile: string, target: string, artefact: string): string | null {
  if (!existsSync(artefact)) return "no artefact yet";
  if (!existsSync(stampFile)) return "no record of the last build";
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Stamp;
  } catch {
    return "the record of the last build is unreadable";
  }
  const now = fingerprint(target, stamp.inputs);
  if (now === null) {
    const gone = stamp.inputs.find((f) => !existsSync(f));
    return `${gone ? path.relative(process.cwd(), gone) : "a source file"} was removed`;
  }
  if (now === stamp.fingerprint) return null;
  const changed = stamp.inputs.filter((f) => stamp.hashes?.[f] !== fileHash(f));
  if (changed.length === 0) return "the tools changed";
  const shown = changed.slice(0, 3).map((f) => path.relative(process.cwd(), f)).join(", ");
  return `changed: ${shown}${changed.length > 3 ? ` and ${changed.length - 3} more` : ""}`;
}

/** Records a build of `target` from `inputs`. */
export function writeStamp(stampFile: string, target: string, inputs: string[]): void {
  const stamp: Stamp = { fingerprint: fingerprint(target, inputs) ?? "", inputs, hashes: Object.fromEntries(inputs.map((f) => [f, fileHash(f)])) };
  writeFileAtomic(stampFile, JSON.stringify(stamp, null, 2) + "\n");
}
