// V8's trap messages as Atoll's trap codes (tools/aot/traps.ts). V8 words
// some traps differently from the spec and folds some together: a float
// truncation of a NaN ("invalid conversion to integer") and of a number out
// of range ("integer overflow") are one message, so are a null table entry
// and a signature mismatch, and an index past a table's end is one message
// for call_indirect (the spec's "undefined element") and for
// table.copy/table.init ("out of bounds table access").
// Such a message stands for each code it may be; the comparison accepts any.

import { Trap, type TrapCode } from "../aot/index.ts";

const V8_TRAPS: ReadonlyMap<string, readonly TrapCode[]> = new Map([
  ["unreachable", [Trap.Unreachable]],
  ["divide by zero", [Trap.DivideByZero]],
  ["remainder by zero", [Trap.DivideByZero]],
  ["divide result unrepresentable", [Trap.IntegerOverflow]],
  ["float unrepresentable in integer range", [Trap.InvalidConversion, Trap.IntegerOverflow]],
  ["memory access out of bounds", [Trap.MemoryOutOfBounds]],
  ["data segment out of bounds", [Trap.MemoryOutOfBounds]],
  ["table index is out of bounds", [Trap.UndefinedElement, Trap.TableOutOfBounds]],
  ["element segment out of bounds", [Trap.TableOutOfBounds]],
  ["null function or function signature mismatch", [Trap.UninitializedElement, Trap.IndirectCallTypeMismatch]],
]);

/** The codes a V8 RuntimeError message stands for; undefined for a message this table does not know. */
export function v8TrapCodes(message: string): readonly TrapCode[] | undefined {
  return V8_TRAPS.get(message);
}
