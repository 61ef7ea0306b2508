// The entry of a node artefact (dist/NAME.mjs): the build bundles this file
// with the module, its source map and its source roots inlined.
import { runUnikernel } from "./runner.ts";

declare const __ATOLL_WASM__: string;
declare const __ATOLL_SOURCE_MAP__: string;
declare const __ATOLL_SOURCE_ROOTS__: [string, string][];

const status = await runUnikernel(Buffer.from(__ATOLL_WASM__, "base64"), {
  args: process.argv.slice(2),
  sourceMap: __ATOLL_SOURCE_MAP__,
  sourceRoots: __ATOLL_SOURCE_ROOTS__,
});
process.exit(status);
