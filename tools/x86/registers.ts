// The registers an instruction can name in 64-bit mode, and the condition
// codes of jcc/setcc/cmovcc. A register is a plain frozen object: its number
// (0-15, the value that goes into ModRM/SIB/opcode fields with the fourth bit
// in REX) and, for general-purpose registers, its width.
//
// The legacy high-byte registers ah/ch/dh/bh are left out on purpose: they
// cannot be encoded together with a REX prefix, and with them gone every
// 8-bit register numbered 4-7 is spl/bpl/sil/dil, which always needs one
// (SDM Vol 2A §2.2.1.2, Table 3-1 "Register Codes Associated With +rb").

export type GprSize = 8 | 16 | 32 | 64;

export interface Gpr {
  readonly kind: "gpr";
  readonly num: number;
  readonly size: GprSize;
  readonly name: string;
}

export interface Xmm {
  readonly kind: "xmm";
  readonly num: number;
  readonly name: string;
}

export interface ControlReg {
  readonly kind: "cr";
  readonly num: number;
  readonly name: string;
}

/** The instruction pointer, usable only as the base of a memory operand. */
export interface Rip {
  readonly kind: "rip";
  readonly name: "rip";
}

export type Register = Gpr | Xmm | ControlReg;

const names64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
const names32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const names16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const names8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];

function gprName(num: number, size: GprSize): string {
  if (num < 8) {
    const table = size === 64 ? names64 : size === 32 ? names32 : size === 16 ? names16 : names8;
    return table[num]!;
  }
  const suffix = size === 64 ? "" : size === 32 ? "d" : size === 16 ? "w" : "b";
  return `r${num}${suffix}`;
}

function makeGprs(size: GprSize): readonly Gpr[] {
  return Object.freeze(
    Array.from({ length: 16 }, (_, num) => Object.freeze({ kind: "gpr", num, size, name: gprName(num, size) } as const)),
  );
}

/** All general-purpose registers of one width, indexed by register number. */
export const gpr64 = makeGprs(64);
export const gpr32 = makeGprs(32);
export const gpr16 = makeGprs(16);
export const gpr8 = makeGprs(8);

/** xmm0-xmm15, indexed by register number. */
export const xmms: readonly Xmm[] = Object.freeze(
  Array.from({ length: 16 }, (_, num) => Object.freeze({ kind: "xmm", num, name: `xmm${num}` } as const)),
);

/** The general-purpose register with this number and width (for register allocators). */
export function gpr(num: number, size: GprSize): Gpr {
  const table = size === 64 ? gpr64 : size === 32 ? gpr32 : size === 16 ? gpr16 : gpr8;
  const r = table[num];
  if (r === undefined) throw new Error(`no general-purpose register number ${num}`);
  return r;
}

/** The same register at another width: `resize(rax, 32)` is eax. */
export function resize(r: Gpr, size: GprSize): Gpr {
  return gpr(r.num, size);
}

/** xmmN. */
export function xmm(num: number): Xmm {
  const r = xmms[num];
  if (r === undefined) throw new Error(`no register xmm${num}`);
  return r;
}

export const [rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15] = gpr64 as [
  Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr,
];
export const [eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d] = gpr32 as [
  Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr,
];
export const [ax, cx, dx, bx, sp, bp, si, di, r8w, r9w, r10w, r11w, r12w, r13w, r14w, r15w] = gpr16 as [
  Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr,
];
export const [al, cl, dl, bl, spl, bpl, sil, dil, r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b] = gpr8 as [
  Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr, Gpr,
];
export const [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15] =
  xmms as [Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm, Xmm];

function makeCr(num: number): ControlReg {
  return Object.freeze({ kind: "cr", num, name: `cr${num}` } as const);
}
/** The control registers that exist in 64-bit mode (cr8 is the task-priority register). */
export const cr0 = makeCr(0);
export const cr2 = makeCr(2);
export const cr3 = makeCr(3);
export const cr4 = makeCr(4);
export const cr8 = makeCr(8);
export const controlRegs: readonly ControlReg[] = Object.freeze([cr0, cr2, cr3, cr4, cr8]);

export const rip: Rip = Object.freeze({ kind: "rip", name: "rip" } as const);

// Condition codes: the low nibble of jcc/setcc/cmovcc opcodes (SDM Vol 1
// Appendix B, Table B-1). Every alias Intel lists is accepted; `condName`
// gives the one objdump prints.
const condCodes = {
  o: 0, no: 1,
  b: 2, c: 2, nae: 2,
  ae: 3, nb: 3, nc: 3,
  e: 4, z: 4,
  ne: 5, nz: 5,
  be: 6, na: 6,
  a: 7, nbe: 7,
  s: 8, ns: 9,
  p: 10, pe: 10,
  np: 11, po: 11,
  l: 12, nge: 12,
  ge: 13, nl: 13,
  le: 14, ng: 14,
  g: 15, nle: 15,
} as const;

export type Cond = keyof typeof condCodes;

/** Canonical names by code, as the disassembler prints them. */
export const condNames: readonly Cond[] = Object.freeze([
  "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
]);

/** The 4-bit code of a condition. */
export function condCode(cc: Cond): number {
  const code: number | undefined = condCodes[cc];
  if (code === undefined) throw new Error(`unknown condition code "${String(cc)}"`);
  return code;
}

/** The canonical name of a condition ("z" → "e"). */
export function condName(cc: Cond): Cond {
  return condNames[condCode(cc)]!;
}

/** The opposite condition: flipping bit 0 of the code negates it. */
export function negate(cc: Cond): Cond {
  return condNames[condCode(cc) ^ 1]!;
}
