// Unit tests written in AssemblyScript: a file exporting `test_NAME()`
// functions is compiled against lib/ (imports as `atoll/...`) and each export
// becomes a vitest case, run under V8 with the Node host's ABI. A failing
// `assert` aborts: the case fails with the assertion's message and line.
import path from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { it } from "vitest";
import { compileAssemblyScript } from "../../tools/compile/asc.ts";
import { atollImports, Exit } from "../../tools/host/abi.ts";

/** A compiled AssemblyScript test module. */
export interface AsModule {
  tests: string[];
  /** Runs one export in a fresh instance; resolves to what it printed; rejects with the abort message. */
  run(name: string): Promise<string>;
}

/**
 * Compiles `file` (relative to test/) with the repository's asconfig.json,
 * through a generated entry that pulls in lib/'s abort and seed hooks, as the
 * generated main.ts of an application does.
 */
export async function loadAsTests(file: string): Promise<AsModule> {
  const abs = path.resolve(import.meta.dirname, "..", file);
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-as-test-"));
  const entry = path.join(dir, "entry.ts");
  const rel = path.relative(dir, abs).replace(/\.ts$/, "");
  writeFileSync(entry, `import "atoll/abort";\nimport "atoll/random";\nexport * from ${JSON.stringify(rel)};\n`);
  const { wasm } = await compileAssemblyScript(entry);
  const module = await WebAssembly.compile(new Uint8Array(wasm));
  const tests = WebAssembly.Module.exports(module).map((e) => e.name).filter((n) => n.startsWith("test_"));
  return {
    tests,
    async run(name: string): Promise<string> {
      let memory: WebAssembly.Memory | null = null;
      let out = "";
      let err = "";
      const imports = atollImports({
        memory: () => memory!,
        args: [],
        stdout: (b) => { out += Buffer.from(b).toString(); },
        stderr: (t) => { err += t; },
        monotonic: () => process.hrtime.bigint(),
        // asc names files relative to the generated entry's temp folder
        sourcePath: (p) => (p.startsWith("~lib/atoll/") ? "lib/" + p.slice(11) : path.relative(process.cwd(), path.resolve(dir, p))),
      });
      const instance = await WebAssembly.instantiate(module, { atoll: imports } as WebAssembly.Imports);
      const ex = instance.exports as Record<string, unknown> & { memory: WebAssembly.Memory; _initialize(): void };
      memory = ex.memory;
      try {
        ex._initialize();
        (ex[name] as () => void)();
      } catch (e) {
        if (e instanceof Exit) throw new Error(err.trim() || `exit ${e.status}`);
        throw e;
      }
      return out;
    },
  };
}

/** Declares one vitest case per `test_` export of the compiled `file`. */
export async function asTests(file: string): Promise<void> {
  const m = await loadAsTests(file);
  if (m.tests.length === 0) throw new Error(`${file} exports no test_ functions`);
  for (const name of m.tests) it(name.slice(5).replace(/_/g, " "), async () => { await m.run(name); });
}
