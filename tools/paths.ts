// Where the project's own folders are, wherever the CLI is started from.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";

/** Finds the repository root: the nearest ancestor holding asconfig.json and lib/. */
function findRoot(start: string): string {
  let dir = start;
  while (true) {
    if (existsSync(path.join(dir, "asconfig.json")) && existsSync(path.join(dir, "lib"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the atoll installation above ${start}`);
    dir = parent;
  }
}

/** Absolute path of the atoll repository (or installed package) root. */
// The launcher (bin/atoll.mjs) runs a bundled copy of tools/ from a cache
// folder, so it says where the root is; tests import tools/ in place.
export const repoRoot: string = process.env.ATOLL_ROOT ?? findRoot(path.dirname(fileURLToPath(import.meta.url)));
