// The node target's link step: bundles the Node host (tools/host) with the
// module, its source map and its source roots into one executable .mjs.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { writeFileAtomic } from "../atomic-write.ts";

/** Writes `outfile`, a self-contained Node program running `wasm`. */
export async function bundleNode(outfile: string, wasm: Uint8Array, sourceMap: string, sourceRoots: [string, string][]): Promise<void> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  // Bundled in memory, then written in one piece (esbuild writing outfile itself would truncate it under a running reader).
  const result = await build({
    entryPoints: [path.join(repoRoot, "tools", "host", "main.ts")],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node" },
    define: {
      __ATOLL_WASM__: JSON.stringify(Buffer.from(wasm).toString("base64")),
      __ATOLL_SOURCE_MAP__: JSON.stringify(sourceMap),
      __ATOLL_SOURCE_ROOTS__: JSON.stringify(sourceRoots),
    },
  });
  const out = result.outputFiles.find((f) => f.path === path.resolve(outfile));
  if (!out) throw new Error(`esbuild produced no ${outfile}`);
  writeFileAtomic(outfile, out.contents, { mode: 0o755 });
}
