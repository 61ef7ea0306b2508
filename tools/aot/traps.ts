// Trap codes: the value in edi when generated code calls `atoll_trap`
// (docs/aot.md, "Trap codes"), and the spec's text for each.

export const Trap = {
  Unreachable: 1,
  DivideByZero: 2,
  IntegerOverflow: 3,
  InvalidConversion: 4,
  MemoryOutOfBounds: 5,
  UndefinedElement: 6,
  UninitializedElement: 7,
  IndirectCallTypeMismatch: 8,
  StackExhausted: 9,
  TableOutOfBounds: 10,
} as const;

export type TrapCode = (typeof Trap)[keyof typeof Trap];

export const TRAP_TEXT: Readonly<Record<TrapCode, string>> = {
  1: "unreachable",
  2: "integer divide by zero",
  3: "integer overflow",
  4: "invalid conversion to integer",
  5: "out of bounds memory access",
  6: "undefined element",
  7: "uninitialized element",
  8: "indirect call type mismatch",
  9: "call stack exhausted",
  10: "out of bounds table access",
};

/** The symbols of docs/aot.md that the runtime defines and generated code uses. */
export const RUNTIME = {
  trap: "atoll_trap",
  stackLimit: "atoll_stack_limit",
  memoryGrow: "atoll_memory_grow",
} as const;
