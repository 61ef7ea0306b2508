// The unix target's steps after asc: the wasm compiled to x86-64 (tools/wasm
// then tools/aot), then linked with the Linux runtime (tools/runtime/unix,
// tools/link) into dist/NAME, a static executable.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { compileModule, type AotObject } from "../aot/index.ts";
import { link, LinkError } from "../link/index.ts";
import { unixRuntime } from "../runtime/unix/index.ts";
import { decodeModule, validateModule, WasmError } from "../wasm/index.ts";
import type { Report } from "../report.ts";
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../atomic-write.ts";
import { functionSymbolNames } from "./symbol-names.ts";

/** The module's code, and the names its functions get in the executable's symbol table. */
interface Compiled {
  aot: AotObject;
  symbolNames: Map<string, string>;
}

/** Bytes for people. */
function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Compiles `wasm` ahead of time and links it with the runtime into `outfile`. */
export async function buildUnix(outfile: string, wasm: Uint8Array, sourceRoots: [string, string][], report: Report): Promise<void> {
  const compiled = await report.step("aot", () => compileWasm(wasm), ({ aot: o }) => `x86-64 ${size(o.text.length)} code, ${size(o.rodata.length + o.data.length)} data (tools/aot)`);
  await report.step("link", () => linkUnix(outfile, compiled, sourceRoots), (n) => `${path.relative(process.cwd(), outfile)} ${size(n)} (static ELF, unix runtime)`);
}

function compileWasm(wasm: Uint8Array): Compiled {
  try {
    const m = decodeModule(wasm);
    validateModule(m);
    const aot = compileModule(m, { name: "app.wasm" });
    return { aot, symbolNames: functionSymbolNames(m, aot.inlined) };
  } catch (e) {
    if (e instanceof WasmError) throw new UserError(`app.wasm: ${e.message}`);
    throw e;
  }
}

/** Writes the executable; returns its size. */
function linkUnix(outfile: string, { aot, symbolNames }: Compiled, sourceRoots: [string, string][]): number {
  let image: Uint8Array;
  try {
    image = link(
      [
        { name: "app.wasm", object: aot },
        { name: "unix runtime", object: unixRuntime({ sourceRoots }) },
      ],
      { entry: "_start", symbolNames },
    ).image;
  } catch (e) {
    if (e instanceof LinkError) throw new UserError(explain(e.message));
    throw e;
  }
  mkdirSync(path.dirname(outfile), { recursive: true });
  writeFileAtomic(outfile, image, { mode: 0o755 });
  return image.length;
}

/** A missing `import:MODULE.NAME` is an import the runtime lacks: say so in the module's words. */
function explain(message: string): string {
  const imports = [...message.matchAll(/^ {2}import:(\S+)/gm)].map((m) => m[1]!);
  if (imports.length === 0) return `link: ${message}`;
  return `link: the module imports ${imports.join(", ")}, which the unix runtime does not provide (docs/abi.md lists what it does)\n${message}`;
}
