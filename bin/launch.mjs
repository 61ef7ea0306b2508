// Shared by the launchers in bin/: tools/ is TypeScript and Node 20 cannot
// run it directly, so a launcher bundles its entry with esbuild into a cache
// file (about 50 ms) whenever a file under tools/ is newer, then imports it.
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Bundles ENTRY when stale (a file under one of `sources`, folders of the
 * repository, is newer than the bundle) and runs its `main(argv)`; sets the exit status.
 */
export async function launch(entry, bundleName, sources = ["tools"]) {
  const cacheDir = path.join(root, "node_modules", ".cache", "atoll");
  const bundle = path.join(cacheDir, bundleName);
  const newest = Math.max(...sources.map((s) => newestMtime(path.join(root, s))));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest) {
    mkdirSync(cacheDir, { recursive: true });
    // Written aside and renamed, so a launcher running beside this one never
    // imports half a file; stamped with the sources' time seen before the
    // build, so an edit made while it ran still counts as newer.
    const tmp = `${bundle}.${process.pid}.tmp`;
    await build({
      entryPoints: [path.join(root, entry)],
      outfile: tmp,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "warning",
    });
    utimesSync(tmp, new Date(), new Date(newest));
    renameSync(tmp, bundle);
  }
  process.env.ATOLL_ROOT = root;
  const { main } = await import(pathToFileURL(bundle).href);
  process.exitCode = await main(process.argv.slice(2));
}
