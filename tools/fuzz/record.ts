// What one engine did with a plan (plan.ts): per call, the values logged
// through the fuzzing-support imports, how the call ended and the state
// after it. Both engines' runs are written down in this form and compared
// (compare.ts).

import type { NumType } from "../wasm/index.ts";
import type { TrapCode } from "../aot/index.ts";

export type Outcome =
  | { kind: "values"; bits: bigint[] }
  /** Traps: Atoll's code; V8's message can stand for more than one (see traps.ts). */
  | { kind: "trap"; codes: readonly TrapCode[]; text: string }
  /** The call stack ran out ("call stack exhausted" natively, RangeError in V8). */
  | { kind: "exhausted" };

export interface LogEntry {
  type: NumType;
  bits: bigint;
}

export interface State {
  /** Memory size in pages and a hash of its bytes (memoryHash); absent without an exported memory. */
  pages?: number;
  hash?: number;
  /** The plan's observed globals, in order, as bits. */
  globals: bigint[];
}

export interface CallRecord {
  logs: LogEntry[];
  outcome: Outcome;
  state: State;
  /** Native only: the call returned with rsp or a callee-saved register changed. */
  brokeConvention?: true;
}

export interface EngineRun {
  /** Instantiation (data and element segments, start function); absent when the run died before it ended. */
  init?: { logs: LogEntry[]; outcome: Outcome };
  /** One per planned call, in order; fewer when the run ended early. */
  calls: CallRecord[];
  /** Why the run ended before the plan did (a crash, a timeout); the calls not run were never attempted. */
  died?: string;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/**
 * The state hash: FNV-1a over the memory as little-endian 32-bit words, in
 * four lanes (word i goes to lane i mod 4, so the multiplications of the
 * lanes overlap instead of waiting on one another), then FNV-1a over the
 * four lane hashes. The native driver computes the same in machine code
 * (driver.ts). `words.length` is a multiple of 4 (memory comes in pages).
 */
export function memoryHash(words: Uint32Array): number {
  let h0 = FNV_OFFSET;
  let h1 = FNV_OFFSET;
  let h2 = FNV_OFFSET;
  let h3 = FNV_OFFSET;
  for (let i = 0; i < words.length; i += 4) {
    h0 = Math.imul(h0 ^ words[i]!, FNV_PRIME);
    h1 = Math.imul(h1 ^ words[i + 1]!, FNV_PRIME);
    h2 = Math.imul(h2 ^ words[i + 2]!, FNV_PRIME);
    h3 = Math.imul(h3 ^ words[i + 3]!, FNV_PRIME);
  }
  let h = FNV_OFFSET;
  for (const x of [h0, h1, h2, h3]) h = Math.imul(h ^ x, FNV_PRIME);
  return h >>> 0;
}
