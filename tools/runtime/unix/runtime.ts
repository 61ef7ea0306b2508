// The Linux runtime as one LinkObject: _start, the ABI imports, traps and
// signals, memory.grow, and the helpers they share.
import type { LinkObject } from "../../link/index.ts";
import { emitAbi } from "./abi.ts";
import { emitBlock } from "./block.ts";
import { emitErrno } from "./errno.ts";
import { Ctx, type Layout } from "./context.ts";
import { emitNet } from "./net.ts";
import { emitMemory } from "./memory.ts";
import { emitPrint } from "./print.ts";
import { emitStart, type StartMode } from "./start.ts";
import { emitTrap } from "./trap.ts";

export interface UnixRuntimeOptions {
  /** Usable bytes of the wasm call stack; default 8 MiB. */
  stackSize?: number;
  /** See StartMode; default "abi". */
  start?: StartMode;
  /**
   * [prefix, replacement] pairs applied to source paths in abort and trap
   * reports (the first prefix that matches), as the Node host applies them:
   * asc compiles paths in relative to the generated entry.
   */
  sourceRoots?: readonly (readonly [string, string])[];
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The memory layout for `options`. */
export function unixLayout(options: UnixRuntimeOptions = {}): Layout {
  const stackSize = options.stackSize ?? 8 * MiB;
  if (!Number.isInteger(stackSize) || stackSize % (4 * KiB) !== 0 || stackSize < 256 * KiB || stackSize > 1024 * MiB) {
    throw new Error(`unix runtime: stack size ${stackSize} must be a multiple of 4 KiB between 256 KiB and 1 GiB`);
  }
  return { stackSize, guardSize: 64 * KiB, headroom: 64 * KiB, sigstackSize: 64 * KiB, reservation: 8 * 1024 * MiB + 64 * KiB };
}

/** The runtime's object, ready for tools/link next to the module's (entry symbol `_start`). */
export function unixRuntime(options: UnixRuntimeOptions = {}): LinkObject {
  const c = new Ctx(unixLayout(options), options.sourceRoots ?? []);
  emitStart(c, options.start ?? "abi");
  emitAbi(c);
  emitBlock(c);
  emitNet(c);
  emitMemory(c);
  emitTrap(c);
  emitPrint(c);
  emitErrno(c);
  return c.b.finish();
}
