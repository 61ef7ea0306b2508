// The assembler's public surface, for `import { Assembler, rax, imm, mem } from "../x86/index.ts"`.
export { Assembler, cmpPredicates, type Assembled, type CmpPredicate, type Reloc } from "./assembler.ts";
export { AsmError } from "./errors.ts";
export { IntOp } from "./direct.ts";
export { imm, imm64, Label, mem, sym, formatOperand, formatInstruction } from "./operands.ts";
export type { Imm, Mem, MemOptions, MemSize, Operand, Scale, Sym } from "./operands.ts";
export * from "./registers.ts";
