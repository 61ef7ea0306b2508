// The public face of the assembler: one method per instruction, labels,
// data directives, and `finish()`, which lays the code out and resolves what
// it can.
//
// Branches to labels are relaxed: every jmp/jcc to a label starts as the
// 2-byte rel8 form and is widened to rel32 only when its target is out of
// reach, repeating the layout until nothing grows (sizes only ever grow, so
// this ends). Pass `"near"` to jmp/jcc to force rel32. Calls are always rel32.
// Because of this, offsets are only known after `finish()`; bind a label
// where you need one.
//
// How the code is kept until finish(): every instruction and datum whose size
// is known goes straight into one ByteBuffer; what is sized at finish (a
// relaxable branch, align() padding) is an Item that remembers where in those
// bytes it sits. A position in the final code is then a buffer position plus
// the bytes the items before it came to, so labels and fixups record the
// buffer position and the number of items before them, and a layout pass is
// one walk over the items. Nothing here formats a message until one is
// thrown: errors keep the mnemonic and operands, not a string.
import { ByteBuffer } from "./buffer.ts";
import { byteRex, directPlan, encodeDirect, Form, immClassOf, immValue, INT_OP_MNEMONICS, isAddress, isRegNum, RIP, sizeCode, sourceWidth, type IntOp } from "./direct.ts";
import { encode, encodePlanned, littleEndian, planOf, type FixupSink, type Plan } from "./encoder.ts";
import { encodingsOf, type Encoding } from "./encodings.ts";
import { AsmError } from "./errors.ts";
import { nopBytes } from "./nops.ts";
import {
  formatInstruction,
  imm,
  Label,
  mem,
  sym,
  type Imm,
  type Mem,
  type MemSize,
  type Operand,
  type Scale,
  type Sym,
} from "./operands.ts";
import { condCode, condNames, gpr, rip, type Cond, type ControlReg, type Gpr, type GprSize, type Xmm } from "./registers.ts";
import { selectByKey } from "./select.ts";
import { keyHasLabel, LONE_LABEL_KEY, shapeKey } from "./shape.ts";

/**
 * A place in `code` the linker must patch.
 * - `rel32`: the 4-byte field becomes S + addend - P, with S the symbol's
 *   address and P the field's own address (ELF R_X86_64_PC32/PLT32). A call or
 *   jmp has addend -4 (the field is the last 4 bytes of the instruction); a
 *   rip-relative operand has disp - 4 - (bytes of immediate after the field).
 * - `abs64`: the 8-byte field becomes S + addend (R_X86_64_64).
 * `symbol` null means this code itself: S is the address `code` is loaded at
 * (an absolute reference to a label, from `dq(label)`; addend is the label's offset).
 */
export interface Reloc {
  readonly offset: number;
  readonly symbol: string | null;
  readonly kind: "rel32" | "abs64";
  readonly addend: number;
}

export interface Assembled {
  readonly code: Uint8Array;
  /** Offsets of every bound label. */
  readonly labels: Map<Label, number>;
  readonly relocs: Reloc[];
  /** The largest boundary passed to align(): load `code` at a multiple of it. */
  readonly alignment: number;
}

/** The SSE comparison predicates of cmpss/cmpsd (SDM Vol 2A "CMPSS", Table 3-1). */
export const cmpPredicates = { eq: 0, lt: 1, le: 2, unord: 3, neq: 4, nlt: 5, nle: 6, ord: 7 } as const;
export type CmpPredicate = keyof typeof cmpPredicates;

type RM = Gpr | Mem;
type XM = Xmm | Mem;

/** Describes the instruction or directive for a message; computed only when one is needed. */
type What = () => string;

/** What a field resolved at finish holds. */
const enum FixKind {
  /** A 1- or 4-byte displacement from the end of the field: a relocation for a symbol, filled in for a label. */
  PcRel,
  /** An 8-byte address: always a relocation. */
  Abs64,
  /** A 4-byte label difference (dd). */
  Diff32,
}

/** One size of a relaxable branch: its bytes (the displacement zero) and where the displacement is. */
interface BranchForm {
  readonly bytes: readonly number[];
  readonly at: number;
  readonly size: 1 | 4;
  readonly addend: number;
}

/** A relaxable branch's two forms and its mnemonic (for messages): one per jmp/jcc memo, shared by its items. */
interface BranchForms {
  readonly short: BranchForm;
  readonly near: BranchForm;
  readonly mnemonic: string;
}

const jccMnemonics = new Set(condNames.map((c) => `j${c}`));


let callForm: BranchForm | null = null;
/** The plans of `push r64` and `pop r64`, chosen on first use. */
let pushPlan: Plan | null = null;
let popPlan: Plan | null = null;

/** call's rel32 form (the one row that takes a label or symbol), encoded once. */
function callFormOf(target: Label | Sym): BranchForm {
  if (callForm === null) {
    const { bytes, fixups } = encode(encodingsOf("call").find((e) => e.operands[0] === "rel32")!, [target]);
    const field = fixups[0]!;
    callForm = { bytes, at: field.at, size: field.size, addend: field.addend };
  }
  return callForm;
}

/** The rel8 and rel32 forms of jmp or a jcc (its memo), encoded once. */
function formsOf(memo: Memo, target: Label): BranchForms {
  let f = memo.branchForms;
  if (f === null) {
    const form = (p: "rel8" | "rel32"): BranchForm => {
      const { bytes, fixups } = encode(encodingsOf(memo.mnemonic).find((e) => e.operands[0] === p)!, [target]);
      const field = fixups[0]!;
      return { bytes, at: field.at, size: field.size, addend: field.addend };
    };
    f = memo.branchForms = { short: form("rel8"), near: form("rel32"), mnemonic: memo.mnemonic };
  }
  return f;
}

/**
 * One mnemonic's memo: the plan of the row selectByKey picks, by shape key (the same memo as
 * selection's, one step further). The typed methods hold theirs (MN), so the common case looks
 * up a number, not the mnemonic's string.
 */
interface Memo {
  readonly mnemonic: string;
  /** A small number per mnemonic, for the plan cache. */
  readonly id: number;
  readonly plans: Map<number, Plan>;
  /** jmp and jcc: the rel8 and rel32 forms, encoded on first use. */
  branchForms: BranchForms | null;
}

const memos = new Map<string, Memo>();

function memoOf(mnemonic: string): Memo {
  let m = memos.get(mnemonic);
  if (m === undefined) memos.set(mnemonic, (m = { mnemonic, id: memos.size, plans: new Map(), branchForms: null }));
  return m;
}

/**
 * A direct-mapped cache of plans in front of the memos' maps, by mnemonic
 * and shape key: hashing a key into a Map on every instruction cost more
 * than encoding it. A slot holds the last (memo, key) that hashed to it.
 */
const CACHE_BITS = 12;
const cacheKey = new Int32Array(1 << CACHE_BITS).fill(-1);
const cacheMemo = new Int32Array(1 << CACHE_BITS).fill(-1);
const cachePlan: (Plan | null)[] = new Array<Plan | null>(1 << CACHE_BITS).fill(null);

function planFor(memo: Memo, key: number, ops: readonly Operand[]): Plan {
  const h = Math.imul(key ^ Math.imul(memo.id, 0x2545f491), 0x9e3779b1) >>> (32 - CACHE_BITS);
  if (cacheKey[h] === key && cacheMemo[h] === memo.id) return cachePlan[h]!;
  let p = memo.plans.get(key);
  if (p === undefined) {
    p = planOf(selectByKey(memo.mnemonic, key, ops));
    if (key < 0) return p;
    memo.plans.set(key, p);
  }
  cacheKey[h] = key;
  cacheMemo[h] = memo.id;
  cachePlan[h] = p;
  return p;
}

/** The memos of the mnemonics the typed methods emit. */
const MN = {
  adc: memoOf("adc"),
  add: memoOf("add"),
  addsd: memoOf("addsd"),
  addss: memoOf("addss"),
  and: memoOf("and"),
  andnpd: memoOf("andnpd"),
  andnps: memoOf("andnps"),
  andpd: memoOf("andpd"),
  andps: memoOf("andps"),
  bsf: memoOf("bsf"),
  bsr: memoOf("bsr"),
  bswap: memoOf("bswap"),
  bt: memoOf("bt"),
  call: memoOf("call"),
  cdq: memoOf("cdq"),
  cli: memoOf("cli"),
  cmp: memoOf("cmp"),
  cmpsd: memoOf("cmpsd"),
  cmpss: memoOf("cmpss"),
  comisd: memoOf("comisd"),
  comiss: memoOf("comiss"),
  cpuid: memoOf("cpuid"),
  cqo: memoOf("cqo"),
  cvtsd2si: memoOf("cvtsd2si"),
  cvtsd2ss: memoOf("cvtsd2ss"),
  cvtsi2sd: memoOf("cvtsi2sd"),
  cvtsi2ss: memoOf("cvtsi2ss"),
  cvtss2sd: memoOf("cvtss2sd"),
  cvtss2si: memoOf("cvtss2si"),
  cvttsd2si: memoOf("cvttsd2si"),
  cvttss2si: memoOf("cvttss2si"),
  div: memoOf("div"),
  divsd: memoOf("divsd"),
  divss: memoOf("divss"),
  hlt: memoOf("hlt"),
  idiv: memoOf("idiv"),
  in: memoOf("in"),
  int3: memoOf("int3"),
  iretq: memoOf("iretq"),
  ldmxcsr: memoOf("ldmxcsr"),
  lea: memoOf("lea"),
  lgdt: memoOf("lgdt"),
  lidt: memoOf("lidt"),
  lzcnt: memoOf("lzcnt"),
  maxsd: memoOf("maxsd"),
  maxss: memoOf("maxss"),
  mfence: memoOf("mfence"),
  minsd: memoOf("minsd"),
  minss: memoOf("minss"),
  mov: memoOf("mov"),
  movaps: memoOf("movaps"),
  movd: memoOf("movd"),
  movdqa: memoOf("movdqa"),
  movdqu: memoOf("movdqu"),
  movq: memoOf("movq"),
  movsd: memoOf("movsd"),
  movss: memoOf("movss"),
  movsx: memoOf("movsx"),
  movsxd: memoOf("movsxd"),
  movups: memoOf("movups"),
  movzx: memoOf("movzx"),
  mul: memoOf("mul"),
  mulsd: memoOf("mulsd"),
  mulss: memoOf("mulss"),
  neg: memoOf("neg"),
  nop: memoOf("nop"),
  not: memoOf("not"),
  or: memoOf("or"),
  orpd: memoOf("orpd"),
  orps: memoOf("orps"),
  out: memoOf("out"),
  pause: memoOf("pause"),
  pop: memoOf("pop"),
  popcnt: memoOf("popcnt"),
  push: memoOf("push"),
  pxor: memoOf("pxor"),
  rdmsr: memoOf("rdmsr"),
  rdtsc: memoOf("rdtsc"),
  rep_movsb: memoOf("rep movsb"),
  rep_movsq: memoOf("rep movsq"),
  rep_stosb: memoOf("rep stosb"),
  rep_stosq: memoOf("rep stosq"),
  ret: memoOf("ret"),
  rol: memoOf("rol"),
  ror: memoOf("ror"),
  roundsd: memoOf("roundsd"),
  roundss: memoOf("roundss"),
  sar: memoOf("sar"),
  sbb: memoOf("sbb"),
  shl: memoOf("shl"),
  shr: memoOf("shr"),
  sqrtsd: memoOf("sqrtsd"),
  sqrtss: memoOf("sqrtss"),
  sti: memoOf("sti"),
  stmxcsr: memoOf("stmxcsr"),
  sub: memoOf("sub"),
  subsd: memoOf("subsd"),
  subss: memoOf("subss"),
  syscall: memoOf("syscall"),
  test: memoOf("test"),
  tzcnt: memoOf("tzcnt"),
  ucomisd: memoOf("ucomisd"),
  ucomiss: memoOf("ucomiss"),
  ud2: memoOf("ud2"),
  wrmsr: memoOf("wrmsr"),
  xchg: memoOf("xchg"),
  xor: memoOf("xor"),
  xorpd: memoOf("xorpd"),
  xorps: memoOf("xorps"),
} as const;
/** setcc's and cmovcc's memos by condition code. */
const setMemos = condNames.map((c) => memoOf(`set${c}`));
const cmovMemos = condNames.map((c) => memoOf(`cmov${c}`));
/** jmp's and jcc's (by condition code). */
const jmpMemo = memoOf("jmp");
const jccMemos = condNames.map((c) => memoOf(`j${c}`));

let nextAssemblerId = 1;

const NO_OPERANDS: readonly Operand[] = Object.freeze([]);

export class Assembler {
  private readonly id = nextAssemblerId++;
  /** Every byte whose value or size does not wait for finish(). */
  private readonly buf = new ByteBuffer(4096);
  /**
   * What finish() sizes, in order: branches (rel8 or rel32) and alignment
   * padding, each at a buffer position. Numbers in arrays of their own, not
   * an object per item: a code generator makes a branch every few
   * instructions. A branch has its forms, its target label's id and 1 when
   * forced near; an alignment null forms, the boundary, and the fill byte or -1 (NOPs).
   */
  private readonly itemAt: number[] = [];
  private readonly itemForms: (BranchForms | null)[] = [];
  private readonly itemTarget: number[] = [];
  private readonly itemArg: number[] = [];
  /**
   * Fields to resolve at finish, one index across these arrays (numbers in
   * arrays of their own, not an object per field, which the garbage
   * collector would copy around until finish; and finish reads no operand
   * object, which by then is scattered over the heap). `fixAt` is the
   * field's buffer position, `fixItem` the number of items before it; the
   * target is a label id, or -1 and a symbol name. A pcrel field to a label
   * keeps its instruction for the message should it not fit.
   */
  private readonly fixKind: FixKind[] = [];
  private readonly fixAt: number[] = [];
  private readonly fixItem: number[] = [];
  private readonly fixSize: number[] = [];
  private readonly fixAddend: number[] = [];
  private readonly fixLabel: number[] = [];
  private readonly fixSymbol: (string | null)[] = [];
  /** diff32: the base label's id; otherwise -1. */
  private readonly fixBase: number[] = [];
  /** pcrel to a label: the instruction's mnemonic and operands; otherwise null. */
  private readonly fixMnemonic: (string | null)[] = [];
  private readonly fixOps: (readonly Operand[] | null)[] = [];
  /** By label id: the label, its buffer position (-1 while unbound), the number of items before it. */
  private readonly labelObjects: Label[] = [];
  private readonly labelAt: number[] = [];
  private readonly labelItem: number[] = [];
  /** Bound label ids in the order they were bound. */
  private readonly boundOrder: number[] = [];
  /**
   * By label id: the first instruction that used the label, as a description
   * made when needed, or the mnemonic of a jump or call whose one operand is
   * the label (no closure per branch target); ids in order of first use.
   */
  private readonly firstUse: (What | string | undefined)[] = [];
  private readonly usedOrder: number[] = [];
  private alignment = 1;
  /** Where the encoder reports rip-relative and branch fields. */
  private readonly sink: FixupSink = {
    fixup: (at, size, target, addend, e: Encoding, ops) => {
      if (target.kind === "label") this.addFixup(FixKind.PcRel, at, size, addend, target.id, null, -1, e.mnemonic, ops);
      else this.addFixup(FixKind.PcRel, at, size, addend, -1, target.name, -1, null, null);
    },
  };

  /** The operand arrays of emit1, emit2 and emit3 (see there). */
  private readonly ops1: Operand[] = [imm(0)];
  private readonly ops2: Operand[] = [imm(0), imm(0)];
  private readonly ops3: Operand[] = [imm(0), imm(0), imm(0)];

  // --- labels ---------------------------------------------------------------

  /** A new, unbound label; `name` only shows in messages. */
  newLabel(name?: string): Label {
    const l = new Label(this.labelObjects.length, this.id, name);
    this.labelObjects.push(l);
    this.labelAt.push(-1);
    this.labelItem.push(0);
    this.firstUse.push(undefined);
    return l;
  }

  /** Binds `label` to the current position. A label is bound once. */
  bind(label: Label): void {
    if (!this.owns(label)) this.foreign(label, () => `bind(${label})`);
    if (this.labelAt[label.id]! >= 0) throw new AsmError(`bind(${label}): label is already bound`);
    this.labelAt[label.id] = this.buf.length;
    this.labelItem[label.id] = this.itemAt.length;
    this.boundOrder.push(label.id);
  }

  // --- the generic entry point ---------------------------------------------

  /** Emits `mnemonic ops` (e.g. `emit("add", rax, imm(8))`); the typed methods below all come here. */
  emit(mnemonic: string, ...ops: Operand[]): void {
    // The key says whether a label is involved; most instructions take the short way.
    const key = shapeKey(ops);
    if (key >= 0 && !keyHasLabel(key)) {
      encodePlanned(this.buf, planFor(memoOf(mnemonic), key, ops), ops, key, this.sink);
      return;
    }
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.kind === "label") this.useIn(op, mnemonic, ops);
      else if (op.kind === "mem" && op.target !== null && op.target.kind === "label") this.useIn(op.target, mnemonic, ops);
    }
    if (key === LONE_LABEL_KEY && (mnemonic === "jmp" || jccMnemonics.has(mnemonic))) {
      this.branch(memoOf(mnemonic), ops[0] as Label, false);
      return;
    }
    encodePlanned(this.buf, planFor(memoOf(mnemonic), key, ops), ops, key, this.sink);
  }

  /**
   * emit() for one, two or three operands without an array per call: the
   * operands go into an array kept for that count. Only an instruction that
   * refers to no label takes this way; nothing keeps the array after the
   * call then (fields for symbols keep no operands, and a message is
   * formatted when it is thrown). The rest go through emit().
   */
  private emit1(memo: Memo, a: Operand): void {
    const ops = this.ops1;
    ops[0] = a;
    const key = shapeKey(ops);
    if (key >= 0 && !keyHasLabel(key)) encodePlanned(this.buf, planFor(memo, key, ops), ops, key, this.sink);
    else this.emit(memo.mnemonic, a);
  }

  private emit2(memo: Memo, a: Operand, b: Operand): void {
    const ops = this.ops2;
    ops[0] = a;
    ops[1] = b;
    const key = shapeKey(ops);
    if (key >= 0 && !keyHasLabel(key)) encodePlanned(this.buf, planFor(memo, key, ops), ops, key, this.sink);
    else this.emit(memo.mnemonic, a, b);
  }

  private emit3(memo: Memo, a: Operand, b: Operand, c: Operand): void {
    const ops = this.ops3;
    ops[0] = a;
    ops[1] = b;
    ops[2] = c;
    const key = shapeKey(ops);
    if (key >= 0 && !keyHasLabel(key)) encodePlanned(this.buf, planFor(memo, key, ops), ops, key, this.sink);
    else this.emit(memo.mnemonic, a, b, c);
  }

  private emit0(memo: Memo): void {
    encodePlanned(this.buf, planFor(memo, 0, NO_OPERANDS), NO_OPERANDS, 0, this.sink);
  }

  // --- direct forms (direct.ts) ----------------------------------------------------
  //
  // The commonest integer instructions with numbers for operands: registers
  // by number (0-15) at width `size`, addresses as base, index (-1: none),
  // scale and disp, immediates as numbers. The bytes are what the typed
  // methods make of the same operands; whatever has no direct form (a
  // 64-bit immediate, `test r, [m]`) goes through emit(), errors included.

  /** `op dst, src` between GPRs (src at the source width of movzx/movsx/movsxd). */
  rr(op: IntOp, size: GprSize, dst: number, src: number): void {
    const sc = sizeCode(size);
    const plan = sc < 0 || !isRegNum(dst) || !isRegNum(src) ? null : directPlan(op, Form.RR, size, sc, 0);
    const sw = (sourceWidth(op, size) || size) as GprSize; // lea has no register form; its message names two registers of one width
    if (plan === null) {
      this.emit(INT_OP_MNEMONICS[op]!, gpr(dst, size), gpr(src, sw));
      return;
    }
    const force = byteRex(size, dst) || byteRex(sw, src);
    if (plan.rm === 0) encodeDirect(this.buf, plan, src, dst, -1, -1, 1, 0, 0, force);
    else encodeDirect(this.buf, plan, dst, src, -1, -1, 1, 0, 0, force);
  }

  /** `op dst, value`: value an integer of the width (signed or unsigned), or a sign-extended imm32 at 64 bits. */
  ri(op: IntOp, size: GprSize, dst: number, value: number): void {
    const sc = sizeCode(size);
    const v = sc < 0 ? NaN : immValue(value, size);
    const plan = v !== v || !isRegNum(dst) ? null : directPlan(op, Form.RI, size, sc, immClassOf(v));
    if (plan === null) {
      this.emit(INT_OP_MNEMONICS[op]!, gpr(dst, size), imm(value));
      return;
    }
    encodeDirect(this.buf, plan, plan.opc === 0 ? dst : -1, dst, -1, -1, 1, 0, v, byteRex(size, dst));
  }

  /** `op dst, [base + index*scale + disp]`, the memory of the operation's source width (none for lea). */
  rm(op: IntOp, size: GprSize, dst: number, base: number, index: number, scale: number, disp: number): void {
    const sc = sizeCode(size);
    const plan = sc < 0 || !isRegNum(dst) || !isAddress(base, index, scale, disp) ? null : directPlan(op, Form.RM, size, sc, 0);
    if (plan === null) {
      const w = sourceWidth(op, size);
      this.emit(INT_OP_MNEMONICS[op]!, gpr(dst, size), address(base, index, scale, disp, w === 0 ? undefined : w));
      return;
    }
    encodeDirect(this.buf, plan, dst, -1, base, index, scale, disp, 0, byteRex(size, dst));
  }

  /** `op [base + index*scale + disp], src`, memory and src of width `size`. */
  mr(op: IntOp, size: GprSize, base: number, index: number, scale: number, disp: number, src: number): void {
    const sc = sizeCode(size);
    const plan = sc < 0 || !isRegNum(src) || !isAddress(base, index, scale, disp) ? null : directPlan(op, Form.MR, size, sc, 0);
    if (plan === null) {
      this.emit(INT_OP_MNEMONICS[op]!, address(base, index, scale, disp, size), gpr(src, size));
      return;
    }
    encodeDirect(this.buf, plan, src, -1, base, index, scale, disp, 0, byteRex(size, src));
  }

  /** `op [base + index*scale + disp], value`, memory of width `size`; value as for ri(). */
  mi(op: IntOp, size: GprSize, base: number, index: number, scale: number, disp: number, value: number): void {
    const sc = sizeCode(size);
    const v = sc < 0 ? NaN : immValue(value, size);
    const plan = v !== v || !isAddress(base, index, scale, disp) ? null : directPlan(op, Form.MI, size, sc, immClassOf(v));
    if (plan === null) {
      this.emit(INT_OP_MNEMONICS[op]!, address(base, index, scale, disp, size), imm(value));
      return;
    }
    encodeDirect(this.buf, plan, -1, -1, base, index, scale, disp, v, false);
  }

  /** `op dst, [rip + symbol + disp]`, the memory of the operation's source width: a rel32 relocation as mem(rip, { label: sym(symbol) }) makes. */
  rmSym(op: IntOp, size: GprSize, dst: number, symbol: string, disp: number): void {
    const sc = sizeCode(size);
    const plan = sc < 0 || !isRegNum(dst) || symbol === "" || (disp | 0) !== disp ? null : directPlan(op, Form.RM, size, sc, 0);
    if (plan === null) {
      const w = sourceWidth(op, size);
      this.emit(INT_OP_MNEMONICS[op]!, gpr(dst, size), mem(rip, { label: sym(symbol), disp }, w === 0 ? undefined : (w as MemSize)));
      return;
    }
    encodeDirect(this.buf, plan, dst, -1, RIP, -1, 1, 0, 0, byteRex(size, dst));
    this.symbolField(symbol, disp, plan.immSize);
  }

  /** `op [rip + symbol + disp], src`, memory and src of width `size`. */
  mrSym(op: IntOp, size: GprSize, symbol: string, disp: number, src: number): void {
    const sc = sizeCode(size);
    const plan = sc < 0 || !isRegNum(src) || symbol === "" || (disp | 0) !== disp ? null : directPlan(op, Form.MR, size, sc, 0);
    if (plan === null) {
      this.emit(INT_OP_MNEMONICS[op]!, mem(rip, { label: sym(symbol), disp }, size as MemSize), gpr(src, size));
      return;
    }
    encodeDirect(this.buf, plan, src, -1, RIP, -1, 1, 0, 0, byteRex(size, src));
    this.symbolField(symbol, disp, plan.immSize);
  }

  /** The rip-relative disp32 of the instruction just written (before its `immSize` bytes of immediate): a relocation to `symbol`, as the encoder reports one. */
  private symbolField(symbol: string, disp: number, immSize: number): void {
    this.addFixup(FixKind.PcRel, this.buf.length - immSize - 4, 4, disp - 4 - immSize, -1, symbol, -1, null, null);
  }

  // --- data -------------------------------------------------------------------

  /** Raw bytes, each 0-255. */
  emitBytes(bytes: ArrayLike<number>): void {
    const buf = this.buf;
    buf.reserve(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (!Number.isInteger(b) || b < 0 || b > 255) throw new AsmError(`emitBytes: byte ${i} is ${b}, not 0-255`);
      buf.put(b);
    }
  }

  /**
   * A 32-bit value: a number, or the distance `target - base` between two
   * labels (position-independent jump tables: load the entry, add the table's address, jump).
   */
  dd(value: number | Label, base?: Label): void {
    if (typeof value === "number") {
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
        throw new AsmError(`dd(${value}): not a 32-bit integer`);
      }
      this.buf.reserve(4);
      this.buf.putLE(value, 4);
      return;
    }
    const what = (): string => `dd(${value}, ${base})`;
    if (base === undefined) throw new AsmError(`${what()}: a label entry needs a base label: dd(target, base) stores target - base`);
    this.use(value, what);
    this.use(base, what);
    this.addFixup(FixKind.Diff32, this.buf.length, 4, 0, value.id, null, base.id, null, null);
    this.buf.reserve(4);
    this.buf.putLE(0, 4);
  }

  /** A 64-bit value: a number or bigint, or the absolute address of a label or symbol (an abs64 relocation). */
  dq(value: bigint | number | Label | Sym): void {
    if (typeof value === "number" || typeof value === "bigint") {
      if (typeof value === "number" && !Number.isSafeInteger(value)) throw new AsmError(`dq(${value}): pass a bigint`);
      const v = BigInt(value);
      if (v < -(1n << 63n) || v >= 1n << 64n) throw new AsmError(`dq(${v}): not a 64-bit integer`);
      this.emitBytes(littleEndian(v, 8));
      return;
    }
    if (value.kind === "label") this.use(value, () => `dq(${value.toString()})`);
    if (value.kind === "label") this.addFixup(FixKind.Abs64, this.buf.length, 8, 0, value.id, null, -1, null, null);
    else this.addFixup(FixKind.Abs64, this.buf.length, 8, 0, -1, value.name, -1, null, null);
    this.buf.reserve(8);
    this.buf.putLE(0, 4);
    this.buf.putLE(0, 4);
  }

  /** Pads to a multiple of `boundary` (a power of two) with `fill` bytes, or with multi-byte NOPs when fill is omitted. */
  align(boundary: number, fill?: number): void {
    if (!Number.isInteger(boundary) || boundary < 1 || (boundary & (boundary - 1)) !== 0) {
      throw new AsmError(`align(${boundary}): the boundary must be a power of two`);
    }
    if (fill !== undefined && (!Number.isInteger(fill) || fill < 0 || fill > 255)) {
      throw new AsmError(`align(${boundary}, ${fill}): the fill must be a byte`);
    }
    this.alignment = Math.max(this.alignment, boundary);
    this.itemAt.push(this.buf.length);
    this.itemForms.push(null);
    this.itemTarget.push(boundary);
    this.itemArg.push(fill ?? -1);
  }

  // --- layout -----------------------------------------------------------------

  /** Lays out the code, picks branch sizes, fills in label references; throws if a used label is unbound. */
  finish(): Assembled {
    for (const id of this.usedOrder) {
      if (this.labelAt[id]! < 0) {
        const u = this.firstUse[id]!;
        const what = typeof u === "string" ? formatInstruction(u, [this.labelObjects[id]!]) : u();
        throw new AsmError(`${what}: label ${this.labelObjects[id]} is never bound`);
      }
    }
    const itemAt = this.itemAt, itemForms = this.itemForms, itemTarget = this.itemTarget, itemArg = this.itemArg;
    const count = itemAt.length;
    const labelAt = this.labelAt;
    const labelItem = this.labelItem;
    // extra[k]: the bytes items 0..k-1 take, under the current branch sizes.
    const extra = new Int32Array(count + 1);
    const near = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      if (itemForms[k] !== null && itemArg[k] === 1) near[k] = 1;
    }
    const layout = (): void => {
      let add = 0;
      for (let k = 0; k < count; k++) {
        extra[k] = add;
        const f = itemForms[k] as BranchForms | null;
        if (f !== null) add += (near[k] ? f.near : f.short).bytes.length;
        else add += padding(itemAt[k]! + add, itemTarget[k]!);
      }
      extra[count] = add;
    };
    const labelOffset = (id: number): number => labelAt[id]! + extra[labelItem[id]!]!;

    // Every pass widens each short branch its target is out of reach of under the previous pass's layout.
    for (let grew = true; grew; ) {
      layout();
      grew = false;
      for (let k = 0; k < count; k++) {
        const f = itemForms[k] as BranchForms | null;
        if (f === null || near[k]) continue;
        const field = f.short;
        const rel = labelOffset(itemTarget[k]!) + field.addend - (itemAt[k]! + extra[k]! + field.at);
        if (rel < -128 || rel > 127) {
          near[k] = 1;
          grew = true;
        }
      }
    }

    const buf = this.buf.bytes;
    const code = new Uint8Array(this.buf.length + extra[count]!);
    const relocs: Reloc[] = [];
    const patch = (at: number, value: number, size: number): void => {
      for (let i = 0; i < size; i++) {
        code[at + i] = value;
        value >>= 8;
      }
    };
    /** A displacement to label `id` (a message names `mnemonic ops`), or a rel32 relocation to `symbol`. */
    const pcrel = (p: number, size: number, id: number, symbol: string | null, addend: number, mnemonic: string | null, ops: readonly Operand[] | null): void => {
      if (id < 0) {
        relocs.push({ offset: p, symbol, kind: "rel32", addend });
        return;
      }
      const value = labelOffset(id) + addend - p;
      const limit = size === 1 ? 0x80 : 0x8000_0000;
      if (value < -limit || value >= limit) {
        // A branch item keeps no operand list: its one operand is the target.
        throw new AsmError(`${formatInstruction(mnemonic!, ops ?? [this.labelObjects[id]!])}: displacement ${value} does not fit in ${size * 8} bits`);
      }
      patch(p, value, size);
    };

    // The fixed bytes between items, each run moved by the items before it; then the items.
    const move = (from: number, to: number, shift: number): void => {
      // Most runs are the few instructions between two branches: a loop is cheaper than a subarray view per run.
      if (to - from > 64) code.set(buf.subarray(from, to), from + shift);
      else for (let i = from; i < to; i++) code[i + shift] = buf[i]!;
    };
    let from = 0;
    for (let k = 0; k < count; k++) {
      const at = itemAt[k]!;
      const base = at + extra[k]!;
      move(from, at, extra[k]!);
      from = at;
      const forms = itemForms[k] as BranchForms | null;
      if (forms !== null) {
        const f = near[k] ? forms.near : forms.short;
        for (let i = 0; i < f.bytes.length; i++) code[base + i] = f.bytes[i]!;
        pcrel(base + f.at, f.size, itemTarget[k]!, null, f.addend, forms.mnemonic, null);
      } else {
        const n = extra[k + 1]! - extra[k]!;
        const fill = itemArg[k]!;
        if (fill < 0) code.set(nopBytes(n), base);
        else code.fill(fill, base, base + n);
      }
    }
    move(from, this.buf.length, extra[count]!);

    for (let i = 0; i < this.fixKind.length; i++) {
      const p = this.fixAt[i]! + extra[this.fixItem[i]!]!;
      const kind = this.fixKind[i]!;
      const id = this.fixLabel[i]!;
      if (kind === FixKind.PcRel) pcrel(p, this.fixSize[i]!, id, this.fixSymbol[i]!, this.fixAddend[i]!, this.fixMnemonic[i]!, this.fixOps[i]!);
      else if (kind === FixKind.Diff32) patch(p, labelOffset(id) - labelOffset(this.fixBase[i]!), 4);
      else if (id < 0) relocs.push({ offset: p, symbol: this.fixSymbol[i]!, kind: "abs64", addend: 0 });
      else relocs.push({ offset: p, symbol: null, kind: "abs64", addend: labelOffset(id) });
    }

    const offsets = new Int32Array(this.labelObjects.length).fill(-1);
    for (const id of this.boundOrder) offsets[id] = labelOffset(id);
    return { code, labels: new LabelOffsets(this.labelObjects, offsets, this.boundOrder, this.boundOrder.length), relocs, alignment: this.alignment };
  }

  // --- internals ----------------------------------------------------------------

  private addFixup(
    kind: FixKind, at: number, size: number, addend: number, label: number, symbol: string | null,
    base: number, mnemonic: string | null, ops: readonly Operand[] | null,
  ): void {
    this.fixKind.push(kind);
    this.fixAt.push(at);
    this.fixItem.push(this.itemAt.length);
    this.fixSize.push(size);
    this.fixAddend.push(addend);
    this.fixLabel.push(label);
    this.fixSymbol.push(symbol);
    this.fixBase.push(base);
    this.fixMnemonic.push(mnemonic);
    this.fixOps.push(ops);
  }

  /** Whether `label` came from this assembler's newLabel(). */
  private owns(label: Label): boolean {
    return label.owner === this.id && this.labelObjects[label.id] === label;
  }

  private foreign(label: Label, what: What): never {
    throw new AsmError(`${what()}: label ${label} belongs to another assembler`);
  }

  /** Records a use of `label` by a directive (for the "never bound" message). */
  private use(label: Label, what: What): void {
    if (!this.owns(label)) this.foreign(label, what);
    if (this.firstUse[label.id] === undefined) {
      this.firstUse[label.id] = what;
      this.usedOrder.push(label.id);
    }
  }

  /** Records a use of `label` by an instruction; its description is made only on a first use. */
  private useIn(label: Label, mnemonic: string, ops: readonly Operand[]): void {
    if (!this.owns(label)) this.foreign(label, () => formatInstruction(mnemonic, ops));
    if (this.firstUse[label.id] === undefined) {
      this.firstUse[label.id] = () => formatInstruction(mnemonic, ops);
      this.usedOrder.push(label.id);
    }
  }

  /** `call label`, as emit() makes it, without an operand list: a code generator calls its functions by label all the time. */
  private callLabel(target: Label): void {
    if (!this.owns(target)) this.foreign(target, () => formatInstruction("call", [target]));
    if (this.firstUse[target.id] === undefined) {
      this.firstUse[target.id] = "call";
      this.usedOrder.push(target.id);
    }
    const f = callFormOf(target);
    const buf = this.buf;
    buf.reserve(f.bytes.length);
    const at = buf.length;
    for (let i = 0; i < f.bytes.length; i++) buf.put(f.bytes[i]!);
    // A field to a label keeps its instruction for the message should it not fit; pcrel() names the label alone.
    this.addFixup(FixKind.PcRel, at + f.at, f.size, f.addend, target.id, null, -1, "call", null);
  }

  /** `call symbol`, as emit() makes it: the rel32 form and a relocation (imports and runtime helpers). */
  private callSymbol(target: Sym): void {
    const f = callFormOf(target);
    const buf = this.buf;
    buf.reserve(f.bytes.length);
    const at = buf.length;
    for (let i = 0; i < f.bytes.length; i++) buf.put(f.bytes[i]!);
    this.addFixup(FixKind.PcRel, at + f.at, f.size, f.addend, -1, target.name, -1, null, null);
  }

  private branch(memo: Memo, target: Label, forceNear: boolean): void {
    this.itemAt.push(this.buf.length);
    this.itemForms.push(formsOf(memo, target));
    this.itemTarget.push(target.id);
    this.itemArg.push(forceNear ? 1 : 0);
  }

  /** jmp or a jcc (its memo): a relaxable branch to a label (as emit() would make it), else through emit. */
  private jump(memo: Memo, target: Label | Sym | Gpr | Mem, width?: "near"): void {
    if (target.kind === "label") {
      // useIn(), without an operand list per branch: the description is made only on a first use.
      if (!this.owns(target)) this.foreign(target, () => formatInstruction(memo.mnemonic, [target]));
      if (this.firstUse[target.id] === undefined) {
        this.firstUse[target.id] = memo.mnemonic;
        this.usedOrder.push(target.id);
      }
      this.branch(memo, target, width === "near");
    } else {
      this.emit1(memo, target);
    }
  }

  // --- instructions: integer ------------------------------------------------------

  mov(dst: Gpr | Mem | ControlReg, src: Gpr | Mem | Imm | ControlReg): void { this.emit2(MN.mov, dst, src); }
  movzx(dst: Gpr, src: RM): void { this.emit2(MN.movzx, dst, src); }
  movsx(dst: Gpr, src: RM): void { this.emit2(MN.movsx, dst, src); }
  movsxd(dst: Gpr, src: RM): void { this.emit2(MN.movsxd, dst, src); }
  lea(dst: Gpr, src: Mem): void { this.emit2(MN.lea, dst, src); }
  xchg(a: RM, b: RM): void { this.emit2(MN.xchg, a, b); }
  bswap(r: Gpr): void { this.emit1(MN.bswap, r); }
  push(src: Gpr | Mem | Imm): void {
    // Every frame pushes rbp: a 64-bit register takes its one-byte form directly.
    if (src.kind === "gpr" && src.size === 64) encodeDirect(this.buf, pushPlan ??= planOf(selectByKey("push", shapeKey([src]), [src])), src.num, -1, -1, -1, 1, 0, 0, false);
    else this.emit1(MN.push, src);
  }
  pop(dst: Gpr | Mem): void {
    if (dst.kind === "gpr" && dst.size === 64) encodeDirect(this.buf, popPlan ??= planOf(selectByKey("pop", shapeKey([dst]), [dst])), dst.num, -1, -1, -1, 1, 0, 0, false);
    else this.emit1(MN.pop, dst);
  }

  add(dst: RM, src: RM | Imm): void { this.emit2(MN.add, dst, src); }
  or(dst: RM, src: RM | Imm): void { this.emit2(MN.or, dst, src); }
  adc(dst: RM, src: RM | Imm): void { this.emit2(MN.adc, dst, src); }
  sbb(dst: RM, src: RM | Imm): void { this.emit2(MN.sbb, dst, src); }
  and(dst: RM, src: RM | Imm): void { this.emit2(MN.and, dst, src); }
  sub(dst: RM, src: RM | Imm): void { this.emit2(MN.sub, dst, src); }
  xor(dst: RM, src: RM | Imm): void { this.emit2(MN.xor, dst, src); }
  cmp(dst: RM, src: RM | Imm): void { this.emit2(MN.cmp, dst, src); }
  test(a: RM, b: Gpr | Imm): void { this.emit2(MN.test, a, b); }

  not(x: RM): void { this.emit1(MN.not, x); }
  neg(x: RM): void { this.emit1(MN.neg, x); }
  mul(src: RM): void { this.emit1(MN.mul, src); }
  div(src: RM): void { this.emit1(MN.div, src); }
  idiv(src: RM): void { this.emit1(MN.idiv, src); }
  /** imul(src): rdx:rax = rax * src; imul(dst, src): dst *= src; imul(dst, src, k): dst = src * k. */
  imul(src: RM): void;
  imul(dst: Gpr, src: RM): void;
  imul(dst: Gpr, src: RM, factor: Imm): void;
  imul(a: RM, src?: RM, factor?: Imm): void {
    const ops: Operand[] = [a];
    if (src !== undefined) ops.push(src);
    if (factor !== undefined) ops.push(factor);
    this.emit("imul", ...ops);
  }
  cdq(): void { this.emit0(MN.cdq); }
  cqo(): void { this.emit0(MN.cqo); }

  /** Shifts and rotates by `cl` or by an immediate count. */
  shl(dst: RM, count: Gpr | Imm): void { this.emit2(MN.shl, dst, count); }
  shr(dst: RM, count: Gpr | Imm): void { this.emit2(MN.shr, dst, count); }
  sar(dst: RM, count: Gpr | Imm): void { this.emit2(MN.sar, dst, count); }
  rol(dst: RM, count: Gpr | Imm): void { this.emit2(MN.rol, dst, count); }
  ror(dst: RM, count: Gpr | Imm): void { this.emit2(MN.ror, dst, count); }

  bsf(dst: Gpr, src: RM): void { this.emit2(MN.bsf, dst, src); }
  bsr(dst: Gpr, src: RM): void { this.emit2(MN.bsr, dst, src); }
  tzcnt(dst: Gpr, src: RM): void { this.emit2(MN.tzcnt, dst, src); }
  lzcnt(dst: Gpr, src: RM): void { this.emit2(MN.lzcnt, dst, src); }
  popcnt(dst: Gpr, src: RM): void { this.emit2(MN.popcnt, dst, src); }
  bt(base: RM, bit: Gpr | Imm): void { this.emit2(MN.bt, base, bit); }

  setcc(cc: Cond, dst: RM): void { this.emit1(setMemos[condCode(cc)]!, dst); }
  cmovcc(cc: Cond, dst: Gpr, src: RM): void { this.emit2(cmovMemos[condCode(cc)]!, dst, src); }

  // --- instructions: control flow -------------------------------------------------

  /** jmp to a label (rel8 or rel32, chosen at finish; "near" forces rel32), a symbol (rel32 relocation), or through a register or memory. */
  jmp(target: Label | Sym | Gpr | Mem, width?: "near"): void { this.jump(jmpMemo, target, width); }
  /** Conditional jump to a label (relaxed like jmp) or a symbol. */
  jcc(cc: Cond, target: Label | Sym, width?: "near"): void { this.jump(jccMemos[condCode(cc)]!, target, width); }
  /** call a label or symbol (rel32), or through a register or memory. */
  call(target: Label | Sym | Gpr | Mem): void {
    if (target.kind === "label") this.callLabel(target);
    else if (target.kind === "sym") this.callSymbol(target);
    else this.emit1(MN.call, target);
  }
  ret(): void { this.emit0(MN.ret); }

  // --- instructions: no operands, system --------------------------------------------

  nop(): void { this.emit0(MN.nop); }
  int3(): void { this.emit0(MN.int3); }
  ud2(): void { this.emit0(MN.ud2); }
  hlt(): void { this.emit0(MN.hlt); }
  cli(): void { this.emit0(MN.cli); }
  sti(): void { this.emit0(MN.sti); }
  iretq(): void { this.emit0(MN.iretq); }
  cpuid(): void { this.emit0(MN.cpuid); }
  rdtsc(): void { this.emit0(MN.rdtsc); }
  rdmsr(): void { this.emit0(MN.rdmsr); }
  wrmsr(): void { this.emit0(MN.wrmsr); }
  syscall(): void { this.emit0(MN.syscall); }
  pause(): void { this.emit0(MN.pause); }
  mfence(): void { this.emit0(MN.mfence); }
  /** memcpy of rcx bytes from [rsi] to [rdi] (direction flag clear). */
  repMovsb(): void { this.emit0(MN.rep_movsb); }
  /** memset of rcx bytes at [rdi] to al. */
  repStosb(): void { this.emit0(MN.rep_stosb); }
  repMovsq(): void { this.emit0(MN.rep_movsq); }
  repStosq(): void { this.emit0(MN.rep_stosq); }
  lgdt(src: Mem): void { this.emit1(MN.lgdt, src); }
  lidt(src: Mem): void { this.emit1(MN.lidt, src); }
  /** in al/ax/eax, dx or imm8. */
  in(dst: Gpr, port: Gpr | Imm): void { this.emit2(MN.in, dst, port); }
  /** out dx or imm8, al/ax/eax. */
  out(port: Gpr | Imm, src: Gpr): void { this.emit2(MN.out, port, src); }

  // --- instructions: SSE ------------------------------------------------------------

  movss(dst: XM, src: XM): void { this.emit2(MN.movss, dst, src); }
  movsd(dst: XM, src: XM): void { this.emit2(MN.movsd, dst, src); }
  movaps(dst: XM, src: XM): void { this.emit2(MN.movaps, dst, src); }
  movups(dst: XM, src: XM): void { this.emit2(MN.movups, dst, src); }
  movdqa(dst: XM, src: XM): void { this.emit2(MN.movdqa, dst, src); }
  movdqu(dst: XM, src: XM): void { this.emit2(MN.movdqu, dst, src); }
  /** 32 bits between an xmm register and a GPR or memory. */
  movd(dst: Xmm | RM, src: Xmm | RM): void { this.emit2(MN.movd, dst, src); }
  /** 64 bits between an xmm register and a GPR, memory or another xmm register. */
  movq(dst: Xmm | RM, src: Xmm | RM): void { this.emit2(MN.movq, dst, src); }

  addss(dst: Xmm, src: XM): void { this.emit2(MN.addss, dst, src); }
  addsd(dst: Xmm, src: XM): void { this.emit2(MN.addsd, dst, src); }
  subss(dst: Xmm, src: XM): void { this.emit2(MN.subss, dst, src); }
  subsd(dst: Xmm, src: XM): void { this.emit2(MN.subsd, dst, src); }
  mulss(dst: Xmm, src: XM): void { this.emit2(MN.mulss, dst, src); }
  mulsd(dst: Xmm, src: XM): void { this.emit2(MN.mulsd, dst, src); }
  divss(dst: Xmm, src: XM): void { this.emit2(MN.divss, dst, src); }
  divsd(dst: Xmm, src: XM): void { this.emit2(MN.divsd, dst, src); }
  sqrtss(dst: Xmm, src: XM): void { this.emit2(MN.sqrtss, dst, src); }
  sqrtsd(dst: Xmm, src: XM): void { this.emit2(MN.sqrtsd, dst, src); }
  minss(dst: Xmm, src: XM): void { this.emit2(MN.minss, dst, src); }
  minsd(dst: Xmm, src: XM): void { this.emit2(MN.minsd, dst, src); }
  maxss(dst: Xmm, src: XM): void { this.emit2(MN.maxss, dst, src); }
  maxsd(dst: Xmm, src: XM): void { this.emit2(MN.maxsd, dst, src); }
  /** SSE4.1; mode 0 nearest-even, 1 floor, 2 ceil, 3 truncate (+8 to suppress the precision exception). */
  roundss(dst: Xmm, src: XM, mode: Imm): void { this.emit3(MN.roundss, dst, src, mode); }
  roundsd(dst: Xmm, src: XM, mode: Imm): void { this.emit3(MN.roundsd, dst, src, mode); }
  /** Sets dst to all ones or zeros; objdump prints `cmpss xmm0,xmm1,lt` as `cmpltss`. */
  cmpss(dst: Xmm, src: XM, pred: CmpPredicate | Imm): void { this.emit3(MN.cmpss, dst, src, predicate(pred)); }
  cmpsd(dst: Xmm, src: XM, pred: CmpPredicate | Imm): void { this.emit3(MN.cmpsd, dst, src, predicate(pred)); }

  cvtss2sd(dst: Xmm, src: XM): void { this.emit2(MN.cvtss2sd, dst, src); }
  cvtsd2ss(dst: Xmm, src: XM): void { this.emit2(MN.cvtsd2ss, dst, src); }
  /** From a 32- or 64-bit signed integer (a memory source needs a size). */
  cvtsi2ss(dst: Xmm, src: RM): void { this.emit2(MN.cvtsi2ss, dst, src); }
  cvtsi2sd(dst: Xmm, src: RM): void { this.emit2(MN.cvtsi2sd, dst, src); }
  /** Truncating conversions to a 32- or 64-bit signed integer (the width of dst). */
  cvttss2si(dst: Gpr, src: XM): void { this.emit2(MN.cvttss2si, dst, src); }
  cvttsd2si(dst: Gpr, src: XM): void { this.emit2(MN.cvttsd2si, dst, src); }
  /** Conversions rounding by MXCSR. */
  cvtss2si(dst: Gpr, src: XM): void { this.emit2(MN.cvtss2si, dst, src); }
  cvtsd2si(dst: Gpr, src: XM): void { this.emit2(MN.cvtsd2si, dst, src); }

  ucomiss(a: Xmm, b: XM): void { this.emit2(MN.ucomiss, a, b); }
  ucomisd(a: Xmm, b: XM): void { this.emit2(MN.ucomisd, a, b); }
  comiss(a: Xmm, b: XM): void { this.emit2(MN.comiss, a, b); }
  comisd(a: Xmm, b: XM): void { this.emit2(MN.comisd, a, b); }

  andps(dst: Xmm, src: XM): void { this.emit2(MN.andps, dst, src); }
  andpd(dst: Xmm, src: XM): void { this.emit2(MN.andpd, dst, src); }
  andnps(dst: Xmm, src: XM): void { this.emit2(MN.andnps, dst, src); }
  andnpd(dst: Xmm, src: XM): void { this.emit2(MN.andnpd, dst, src); }
  orps(dst: Xmm, src: XM): void { this.emit2(MN.orps, dst, src); }
  orpd(dst: Xmm, src: XM): void { this.emit2(MN.orpd, dst, src); }
  xorps(dst: Xmm, src: XM): void { this.emit2(MN.xorps, dst, src); }
  xorpd(dst: Xmm, src: XM): void { this.emit2(MN.xorpd, dst, src); }
  pxor(dst: Xmm, src: XM): void { this.emit2(MN.pxor, dst, src); }

  ldmxcsr(src: Mem): void { this.emit1(MN.ldmxcsr, src); }
  stmxcsr(dst: Mem): void { this.emit1(MN.stmxcsr, dst); }
}

/** The Mem of a direct form's address parts, for the general path. */
function address(base: number, index: number, scale: number, disp: number, size: number | undefined): Mem {
  return mem(base < 0 ? null : gpr(base, 64), { index: index < 0 ? undefined : gpr(index, 64), scale: scale as Scale, disp }, size as MemSize | undefined);
}

/**
 * finish()'s map of label offsets. A code generator binds a label per
 * block and asks for a few (function starts and ends): get() and has()
 * read the offsets by label id, and the Map itself is filled, in binding
 * order, only when something walks it or changes it.
 */
class LabelOffsets extends Map<Label, number> {
  private filled = false;

  constructor(
    private readonly objects: readonly Label[],
    /** By label id: the offset, or -1 for an unbound label. */
    private readonly offsets: Int32Array,
    /** Label ids in binding order; the first `count` were bound at finish() (the assembler may go on). */
    private readonly order: readonly number[],
    private readonly count: number,
  ) {
    super();
  }

  private fill(): void {
    if (this.filled) return;
    this.filled = true;
    for (let k = 0; k < this.count; k++) {
      const id = this.order[k]!;
      super.set(this.objects[id]!, this.offsets[id]!);
    }
  }

  override get(label: Label): number | undefined {
    if (this.filled) return super.get(label);
    const id = label.id;
    if (id >= this.offsets.length || this.objects[id] !== label) return undefined;
    const at = this.offsets[id]!;
    return at >= 0 ? at : undefined;
  }

  override has(label: Label): boolean {
    return this.get(label) !== undefined;
  }

  override get size(): number {
    this.fill();
    return super.size;
  }

  override set(label: Label, offset: number): this {
    this.fill();
    return super.set(label, offset);
  }

  override delete(label: Label): boolean {
    this.fill();
    return super.delete(label);
  }

  override clear(): void {
    this.fill();
    super.clear();
  }

  override forEach(fn: (offset: number, label: Label, map: Map<Label, number>) => void, thisArg?: unknown): void {
    this.fill();
    super.forEach(fn, thisArg);
  }

  override entries(): MapIterator<[Label, number]> {
    this.fill();
    return super.entries();
  }

  override keys(): MapIterator<Label> {
    this.fill();
    return super.keys();
  }

  override values(): MapIterator<number> {
    this.fill();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[Label, number]> {
    return this.entries();
  }
}

function padding(pos: number, boundary: number): number {
  return (boundary - (pos % boundary)) % boundary;
}

function predicate(p: CmpPredicate | Imm): Imm {
  if (typeof p !== "string") return p;
  const code: number | undefined = cmpPredicates[p];
  if (code === undefined) throw new AsmError(`unknown comparison predicate "${String(p)}"`);
  return imm(code);
}
