#!/usr/bin/env node
// Launcher of `npm run spec`: Node 20 cannot run TypeScript, so this bundles
// tools/spec/main.ts with esbuild (about 100 ms) into node_modules/.cache and
// runs it.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.dirname(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
const cacheDir = path.join(root, "node_modules", ".cache", "atoll");
const bundle = path.join(cacheDir, "spec.mjs");
mkdirSync(cacheDir, { recursive: true });
await build({
  entryPoints: [path.join(root, "tools", "spec", "main.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
process.env.ATOLL_ROOT = root;
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
