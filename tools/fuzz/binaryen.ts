// wasm-opt run inside this process. The binaryen npm package ships its tools
// as Emscripten builds: one 11 MB JavaScript file per tool with the wasm
// binary inside it as a string. Started as a program, wasm-opt takes about
// 0.3 s before it reads its input (parsing that file, compiling the wasm),
// more than translate-to-fuzz itself takes, and the fuzzer runs it for every
// module. Here the glue code runs once in a vm context of its own with
// `noInitialRun`, and each invocation is a call of its `callMain`: about
// 80 ms per module instead of 550 ms.
//
// Calling main again on the same instance is safe for what the fuzzer does:
// wasm-opt keeps its options and the module in main's locals, and
// translate-to-fuzz's output depends on its input bytes only (checked: 100
// modules made in one instance, in order, are byte for byte those made one
// per fresh instance in reverse order). The instance is replaced after
// RUNS_PER_INSTANCE calls anyway, so whatever main leaks stays bounded, and
// after any call that did not return normally.
//
// The glue reads and writes real files (Emscripten's NODERAWFS), so the
// arguments are a command line as for the program, and what the program
// writes to its standard output and error goes to this process's.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";

const RUNS_PER_INSTANCE = 500;

interface Compiled {
  wasm: WebAssembly.Module;
  glue: vm.Script;
  /** The program's path, for __filename/__dirname. */
  file: string;
}

interface Instance {
  callMain: (args: string[]) => unknown;
  runs: number;
}

const compiled = new Map<string, Compiled>();
const instances = new Map<string, Promise<Instance>>();

/** The glue and the wasm of the tool at `file`, each compiled once per process. */
function load(file: string): Compiled {
  let c = compiled.get(file);
  if (c !== undefined) return c;
  const src = readFileSync(file, "utf8");
  // `function findWasmBinary(){return binaryDecode('...')}`: the literal is
  // the module, one char per byte (binaryDecode maps it back).
  const key = "function findWasmBinary(){return binaryDecode('";
  const start = src.indexOf(key);
  if (start < 0) throw new Error(`${file}: not the Emscripten build this loader knows (no embedded wasm binary)`);
  const from = start + key.length;
  let to = from;
  while (to < src.length && src[to] !== "'") to += src[to] === "\\" ? 2 : 1;
  const literal: unknown = vm.runInNewContext(`'${src.slice(from, to)}'`);
  if (typeof literal !== "string") throw new Error(`${file}: the embedded binary is not a string`);
  const bytes = new Uint8Array(literal.length);
  for (let i = 0; i < literal.length; i++) {
    const ch = literal.charCodeAt(i);
    bytes[i] = ~ch >> 8 & ch;
  }
  // The shebang line is not JavaScript; the literal is left empty since the
  // instance comes from Module.instantiateWasm.
  const body = src.slice(src.indexOf("\n") + 1, from) + src.slice(to);
  c = { wasm: new WebAssembly.Module(bytes), glue: new vm.Script(body, { filename: file }), file };
  compiled.set(file, c);
  return c;
}

/** Runs the glue in a new context up to the point where main could run. */
function instantiate(c: Compiled): Promise<Instance> {
  return new Promise((resolve, reject) => {
    const print = (s: unknown): void => {
      process.stderr.write(`${String(s)}\n`);
    };
    const Module = {
      noInitialRun: true,
      thisProgram: path.basename(c.file),
      print,
      printErr: print,
      instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance) => void): object {
        WebAssembly.instantiate(c.wasm, imports).then(receive, reject);
        return {};
      },
      onRuntimeInitialized: (): void => {
        const callMain: unknown = (context as { callMain?: unknown }).callMain;
        if (typeof callMain !== "function") reject(new Error(`${c.file}: the glue defines no callMain`));
        else resolve({ callMain: callMain as Instance["callMain"], runs: 0 });
      },
      onAbort: (what: unknown): void => reject(new Error(`${c.file} aborted: ${String(what)}`)),
    };
    // The program sets process.exitCode on exit; it must not set ours.
    const proc: object = Object.create(process, {
      argv: { value: [process.argv[0], c.file] },
      exitCode: { value: 0, writable: true },
    });
    const context = vm.createContext({
      Module,
      process: proc,
      require: createRequire(c.file),
      __filename: c.file,
      __dirname: path.dirname(c.file),
      console: { log: print, error: print, warn: print },
      Buffer,
      URL,
      TextDecoder,
      TextEncoder,
      WebAssembly,
      setTimeout,
      clearTimeout,
      performance,
      crypto: globalThis.crypto,
    });
    c.glue.runInContext(context);
  });
}

/** Where the binaryen package keeps the tool `name` (wasm-opt...). */
export function binaryenTool(root: string, name: string): string {
  return path.join(root, "node_modules", "binaryen", "bin", name);
}

/**
 * Runs binaryen's `name` (e.g. "wasm-opt") with `args` as its command line,
 * in this process, and returns its exit status. `root` is the repository.
 */
export async function runBinaryen(root: string, name: string, args: readonly string[]): Promise<number> {
  const file = binaryenTool(root, name);
  let pending = instances.get(file);
  if (pending === undefined) {
    pending = instantiate(load(file));
    instances.set(file, pending);
  }
  const inst = await pending;
  inst.runs++;
  if (inst.runs >= RUNS_PER_INSTANCE) instances.delete(file);
  let status: unknown;
  try {
    status = inst.callMain([...args]);
  } catch (e) {
    instances.delete(file);
    throw e;
  }
  if (status !== 0) instances.delete(file);
  return typeof status === "number" ? status : 1;
}
