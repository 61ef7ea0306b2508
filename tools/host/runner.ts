// Runs a unikernel module under V8: instantiate, check the ABI version, call
// the entry points, then drive the event loop with atoll_step from Node's own
// loop: a turn when the module's deadline comes (setTimeout) or when the host
// sockets have an event (setImmediate, with their bit in the ready set).
// While the module waits only for events, Node is kept alive by the open
// sockets themselves; with none open nothing can ever wake it, so it has
// finished (status 0) rather than letting Node exit under an unsettled
// promise (status 13).
import { atollImports, Exit, processStreams, type HostEnv } from "./abi.ts";
import { describeTrap } from "./trap.ts";
import { WasmSourceMap } from "./sourcemap.ts";
import { codeRanges } from "./code-ranges.ts";
import { EXIT_TRAP, EXIT_USAGE } from "./exit-codes.ts";
import { splitArgs } from "./options.ts";
import { HostSockets } from "./sockets.ts";

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
  let wake = (_bit: number): void => {};
  const memory = (): WebAssembly.Memory => {
    if (!exports) throw new Error("the module called the ABI before its memory was exported");
    return exports.memory;
  };
  const sockets = new HostSockets({ memory, wake: (bit) => wake(bit) });
  const env: HostEnv = {
    memory,
    args: split.moduleArgs,
    disks: split.disks,
    stdout: opts.stdout ?? processStreams.stdout,
    stderr,
    monotonic: opts.monotonic ?? (() => process.hrtime.bigint()),
    sourcePath,
    sockets,
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
  const ex = exports;
  const outcome = (e: unknown): number => {
    if (e instanceof Exit) return e.status;
    if (opts.sourceMap && !map) map = new WasmSourceMap(opts.sourceMap);
    const trap = describeTrap(e, map, codeRanges(wasm), sourcePath, ex.memory.buffer.byteLength);
    if (trap === null) throw e;
    stderr(trap + "\n");
    return EXIT_TRAP;
  };

  try {
    ex._initialize();
    ex.atoll_init();
  } catch (e) {
    sockets.dispose();
    return outcome(e);
  }
  return new Promise<number>((resolve, reject) => {
    let ready = 0n;
    let immediate: NodeJS.Immediate | null = null;
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (status: number): void => {
      done = true;
      if (immediate !== null) clearImmediate(immediate);
      if (timer !== null) clearTimeout(timer);
      sockets.dispose();
      resolve(status);
    };
    const turn = (): void => {
      immediate = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const bits = ready;
      ready = 0n;
      try {
        const deadline = ex.atoll_step(bits);
        if (deadline < 0n) return finish(0);
        if (deadline === FOREVER) {
          if (sockets.live === 0 && ready === 0n && immediate === null) finish(0);
          return;
        }
        const waitMs = Number(deadline - env.monotonic()) / 1e6;
        timer = setTimeout(turn, Math.max(0, Math.ceil(waitMs)));
      } catch (e) {
        try {
          finish(outcome(e));
        } catch (bug) {
          sockets.dispose();
          reject(bug);
        }
      }
    };
    wake = (bit: number): void => {
      ready |= 1n << BigInt(bit);
      if (!done && immediate === null) immediate = setImmediate(turn);
    };
    turn();
  });
}
