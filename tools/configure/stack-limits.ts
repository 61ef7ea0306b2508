// The limits a network stack gets in the generated main.ts
// (lib/net/stack-limits.ts): config.ts's device.stack options, and for each
// one left out a default derived from the unikernel's memory, so a kvm
// image's stack fits the RAM it boots with (examples/web at 32 MiB: 4,096
// connections, 4 MiB of buffers). What is live may take about a third of
// memory: the incremental collector lets garbage pile up to about twice
// what is live before it frees it, and the allocator grows memory rather
// than wait for a collection.
import type { Device } from "../config/dsl.ts";
import { parseSize } from "../config/validate.ts";

/** The numbers lib/net's stackLimits() takes. */
export interface StackLimitValues {
  maxConnections: number;
  maxTimeWait: number;
  bufferBytes: number;
  connectionBuffer: number;
}

/**
 * Memory one connection may cost outside the buffer budget: an idle
 * examples/web connection holds 1.4 KiB (TCP's state and lib/http's objects,
 * measured on kvm with 4,000 of them: heap_used_bytes of /_atoll/stats),
 * and the collector's slack doubles it; the rest is room for a busy one's
 * garbage.
 */
const PER_CONNECTION = 8 * 1024;
/** The share of memory all connection buffers may take. */
const BUFFER_SHARE = 1 / 8;
const DEFAULT_CONNECTION_BUFFER = 64 * 1024;

/** The limits for stack device `d` of a unikernel with `memory` (a size such as "32M"). */
export function stackLimitsFor(d: Extract<Device, { kind: "stack" }>, memory: string): StackLimitValues {
  // validate.ts has checked every size here.
  const bytes = parseSize(memory)!;
  const maxConnections = d.maxConnections ?? Math.max(16, Math.floor(bytes / PER_CONNECTION));
  const bufferBytes = d.bufferMemory !== undefined ? parseSize(d.bufferMemory)! : Math.floor(bytes * BUFFER_SHARE);
  return {
    maxConnections,
    // A TIME-WAIT connection keeps no buffers, only its state (about 0.7 KiB).
    maxTimeWait: d.maxTimeWait ?? Math.max(16, maxConnections >> 1),
    bufferBytes,
    connectionBuffer: d.connectionBuffer !== undefined ? parseSize(d.connectionBuffer)! : Math.min(DEFAULT_CONNECTION_BUFFER, Math.max(4096, Math.floor(bufferBytes / 16))),
  };
}

/** The AssemblyScript expression building them. */
export function stackLimitsExpr(v: StackLimitValues): string {
  return `stackLimits(${v.maxConnections}, ${v.maxTimeWait}, ${v.bufferBytes}, ${v.connectionBuffer})`;
}
