// Runs a unikernel module under V8: instantiate, check the ABI version, call
// the entry points, then drive the event loop with atoll_step from Node's own
// loop (timers now; device events with the block and network issues).
import { atollImports, Exit, processStreams, type HostEnv } from "./abi.ts";
import { describeTrap } from "./trap.ts";
import { WasmSourceMap } from "./sourcemap.ts";
import { codeRanges } from "./code-ranges.ts";
import { EXIT_TRAP, EXIT_USAGE } from "./exit-codes.ts";
import { splitArgs } from "./options.ts";

/** The ABI version this host implements. */
export const HOST_ABI_VERSION = 1;

/** How to run one module. */
export interface RunOptions {
  /** The command line after the artefact: runtime options (--atoll-...) and the module's arguments. */
  args: string[];
  /** Source map JSON of the module, for trap reports with file and line. */
  sourceMap?: string | null;
  /** [prefix, replacement] pairs that turn compiled-in source paths into real ones. */
  sourceRoots?: [string, string][];
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (text: string) => void;
  monotonic?: () => bigint;
}

interface Exports {
  memory: WebAssembly.Memory;
  atoll_abi_version: () => number;
  _initialize: () => void;
  atoll_init: () => void;
  atoll_step: (ready: bigint) => bigint;
}

const FOREVER = 0x7fffffffffffffffn;

/** Runs `wasm` to completion; resolves to the exit status. */
export async function runUnikernel(wasm: Uint8Array, opts: RunOptions): Promise<number> {
  const stderr = opts.stderr ?? processStreams.stderr;
  const roots = opts.sourceRoots ?? [];
  const sourcePath = (p: string): string => {
    for (const [prefix, real] of roots) if (p.startsWith(prefix)) return real + p.slice(prefix.length);
    return p;
  };
  const split = splitArgs(opts.args);
  if (split.error !== "") {
    stderr(`atoll: ${split.error}\n`);
    return EXIT_USAGE;
  }
  let exports: Exports | null = null;
  const env: HostEnv = {
    memory: () => {
      if (!exports) throw new Error("the module called the ABI before its memory was exported");
      return exports.memory;
    },
    args: split.moduleArgs,
    disks: split.disks,
    stdout: opts.stdout ?? processStreams.stdout,
    stderr,
    monotonic: opts.monotonic ?? (() => process.hrtime.bigint()),
    sourcePath,
  };
  const module = await WebAssembly.compile(new Uint8Array(wasm));
  const instance = await WebAssembly.instantiate(module, { atoll: atollImports(env) } as WebAssembly.Imports);
  exports = instance.exports as unknown as Exports;
  for (const name of ["memory", "atoll_abi_version", "_initialize", "atoll_init", "atoll_step"] as const) {
    if (!(name in exports)) {
      stderr(`atoll: this module does not export '${name}': it was not built by atoll for the node target\n`);
      return 1;
    }
  }
  const version = exports.atoll_abi_version();
  if (version !== HOST_ABI_VERSION) {
    stderr(`atoll: the module was built for ABI version ${version}, this host implements version ${HOST_ABI_VERSION}; rebuild it\n`);
    return 1;
  }

  let map: WasmSourceMap | null = null;
  const outcome = (e: unknown): number => {
    if (e instanceof Exit) return e.status;
    if (opts.sourceMap && !map) map = new WasmSourceMap(opts.sourceMap);
    const trap = describeTrap(e, map, codeRanges(wasm), sourcePath);
    if (trap === null) throw e;
    stderr(trap + "\n");
    return EXIT_TRAP;
  };

  const ex = exports;
  try {
    ex._initialize();
    ex.atoll_init();
  } catch (e) {
    return outcome(e);
  }
  return new Promise<number>((resolve, reject) => {
    const turn = (): void => {
      try {
        const deadline = ex.atoll_step(0n);
        if (deadline < 0n) return resolve(0);
        if (deadline === FOREVER) return; // waits for device events: none on node yet
        const waitMs = Number(deadline - env.monotonic()) / 1e6;
        setTimeout(turn, Math.max(0, Math.ceil(waitMs)));
      } catch (e) {
        try {
          resolve(outcome(e));
        } catch (bug) {
          reject(bug);
        }
      }
    };
    turn();
  });
}
