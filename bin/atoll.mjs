#!/usr/bin/env node
// Launcher of the `atoll` command. tools/ is TypeScript and Node 20 cannot
// run it directly, so this bundles tools/cli/main.ts with esbuild into a
// cache file (about 50 ms) whenever a file under tools/ is newer than the
// cache, then runs it.
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cacheDir = path.join(root, "node_modules", ".cache", "atoll");
const bundle = path.join(cacheDir, "cli.mjs");

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestMtime(path.join(root, "tools"))) {
  mkdirSync(cacheDir, { recursive: true });
  await build({
    entryPoints: [path.join(root, "tools", "cli", "main.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
}

process.env.ATOLL_ROOT = root;
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
