// The bare-metal runtime as one LinkObject: the PVH entry and start-up, the
// ABI imports (everywhere and privileged), traps and interrupts, page
// tables and memory.grow, and the output helpers they share.
import type { LinkObject } from "../../link/index.ts";
import { emitAbi } from "./abi.ts";
import { Ctx, type Layout } from "./context.ts";
import { emitIrq } from "./irq.ts";
import { emitMemory } from "./memory.ts";
import { emitPrint } from "./print.ts";
import { emitPrivileged } from "./privileged.ts";
import { emitStart } from "./start.ts";
import { emitTrap } from "./trap.ts";

export interface KvmRuntimeOptions {
  /** Usable bytes of the call stack; default 1 MiB. */
  stackSize?: number;
  /** [prefix, replacement] pairs applied to source paths in reports, as on the unix target. */
  sourceRoots?: readonly (readonly [string, string])[];
  /** Print `atoll-boot-ns: N` (TSC time from the PVH entry) before the first console line; for the boot bench. */
  bootTrace?: boolean;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The physical address the image is linked and loaded at (1 MiB: above the legacy BIOS area, where PVH loaders put kernels). */
export const KVM_IMAGE_BASE = 0x10_0000;

/** The memory layout for `options`. */
export function kvmLayout(options: KvmRuntimeOptions = {}): Layout {
  const stackSize = options.stackSize ?? 1 * MiB;
  if (!Number.isInteger(stackSize) || stackSize % (4 * KiB) !== 0 || stackSize < 64 * KiB || stackSize > 256 * MiB) {
    throw new Error(`kvm runtime: stack size ${stackSize} must be a multiple of 4 KiB between 64 KiB and 256 MiB`);
  }
  return {
    stackSize, guardSize: 4 * KiB, headroom: 16 * KiB, istSize: 16 * KiB,
    linearBase: 0x80_0000_0000n, reservation: 8 * 1024 * MiB + 64 * KiB, ramLimit: 1024 * MiB,
    bootTrace: options.bootTrace ?? false,
  };
}

/** The runtime's object, for tools/link next to the module's, with `pvhEntry: "atoll_rt:pvh_entry"`, `layoutSymbols: true` and `base: KVM_IMAGE_BASE`. */
export function kvmRuntime(options: KvmRuntimeOptions = {}): LinkObject {
  const c = new Ctx(kvmLayout(options), options.sourceRoots ?? []);
  emitStart(c);
  emitAbi(c);
  emitPrivileged(c);
  emitMemory(c);
  emitTrap(c);
  emitIrq(c);
  emitPrint(c);
  return c.b.finish();
}
