// Version 2 of one function: wasm → SSA (build.ts) → trivial phis and dead
// code out → critical edges split → compares fused into branches → linear
// scan → code, block by block in layout order, terminators last.

import { Op, type Func, type FuncType } from "../../wasm/index.ts";
import { gpr, IntOp, mem, negate, rbp, rip, xmm, type Assembler, type Cond, type Label } from "../../x86/index.ts";
import { symMem, type EmitterTable } from "../context.ts";
import { OriginCtx, OriginTracker, type OriginRange } from "./origins.ts";
import type { ModuleEnv } from "../env.ts";
import { Frame } from "../frame.ts";
import { prologue } from "../function.ts";
import { S } from "../symbols.ts";
import { Trap } from "../traps.ts";
import { convertEmitters } from "../convert.ts";
import { floatEmitters } from "../float-ops.ts";
import { intEmitters } from "../int-ops.ts";
import { bridge } from "./bridge.ts";
import { buildIr } from "./build.ts";
import { removeDeadCode } from "./dce.ts";
import { splitCriticalEdges } from "./edges.ts";
import { fuseCompares, isIntCompare } from "./fuse.ts";
import { BRIDGE_SLOTS, Gen, isFloat, RBP } from "./gen.ts";
import { IrOp, type Block, type Inst, type IrFunction, type Terminator } from "./ir.ts";
import { moveIntoPhis, moveOutOfRegisters, phiMovesAreNoOps } from "./moves.ts";
import { argRegisters, loadArgs } from "./convention.ts";
import { PINNED_REG } from "./pinned.ts";
import { removeTrivialPhis } from "./phis.ts";
import { forwardGlobals } from "./globals.ts";
import { foldConstants } from "./fold.ts";
import { divideByConstants } from "./divide.ts";
import { eliminateCommonSubexpressions } from "./cse.ts";
import { removeDeadStores } from "./stores.ts";
import { removeDeadShadowStores } from "./shadow.ts";
import { hoistLoopInvariants } from "./licm.ts";
import { removeRedundantLoads } from "./loads.ts";
import { mergeAbortPaths } from "./tails.ts";
import { moveColdBlocks } from "./cold.ts";
import { removeUnreachableBlocks } from "./unreachable.ts";
import { allocate, CALL_CLOBBERS, type Allocation } from "./regalloc.ts";
import { bulkEmitters } from "../bulk.ts";
import { callResult, callSelectors } from "./select-call.ts";
import { choiceSelectors } from "./select-choice.ts";
import { floatCompareFlags, floatSelectors } from "./select-float.ts";
import { compareFlags, intSelectors, type Selector } from "./select-int.ts";
import { memorySelectors } from "./select-memory.ts";
import { bitSelectors } from "./select-bits.ts";
import { verify } from "./verify.ts";
import { int16s, int32s, uint8s } from "./arena.ts";

const SELECTORS: ReadonlyMap<number, Selector> = (() => {
  const all = new Map<number, Selector>();
  for (const t of [intSelectors, bitSelectors, floatSelectors, memorySelectors, callSelectors, choiceSelectors]) {
    for (const [op, s] of t) {
      if (all.has(op)) throw new Error(`tools/aot/ssa: two selectors for opcode ${op}`);
      all.set(op, s);
    }
  }
  all.set(IrOp.CallResult, callResult);
  return all;
})();

/**
 * Version 1's emitters of these families touch no register beyond rax,
 * rcx, rdx, xmm0 and xmm1, version 2's scratch registers: bridging them
 * clobbers nothing the allocator hands out. (Memory's and bulk memory's
 * call the runtime or use rdi/rsi: those count as calls.)
 */
const SCRATCH_ONLY_V1 = new Set<number>([...intEmitters.keys(), ...floatEmitters.keys(), ...convertEmitters.keys()]);

/** Version 1's bulk memory and table emitters use rdi, rsi and r8 besides the scratch registers. */
const BULK_CLOBBERS = (1 << 6) | (1 << 7) | (1 << 8);

/** The allocatable registers an instruction of opcode `op` overwrites: a call's, or a bridged emitter's. */
function clobbersOf(op: number): number {
  if (op === IrOp.Const || op === IrOp.Param || op === IrOp.Phi || op === IrOp.CallResult) return 0;
  if (callSelectors.has(op)) return CALL_CLOBBERS;
  if (SELECTORS.has(op) || SCRATCH_ONLY_V1.has(op)) return 0;
  if (bulkEmitters.has(op)) return BULK_CLOBBERS;
  return CALL_CLOBBERS;
}

/** clobbersOf() by opcode (wasm's and the IR's), each worked out on first use (-1 before): the allocator asks for every instruction. */
const CLOBBERS = new Int32Array(IrOp.CallResult + 1).fill(-1);

/** The allocatable registers i overwrites. */
function clobbers(i: Inst): number {
  const known = CLOBBERS[i.op]!;
  return known >= 0 ? known : (CLOBBERS[i.op] = clobbersOf(i.op));
}

/** Runs the passes; `check` runs the verifier after each one (the tests turn it on). */
export function optimize(f: IrFunction, check: boolean, shadowStack: number | null = null): Set<number> {
  const step = (name: string, pass: () => void): void => {
    pass();
    if (check) verify(f, name);
  };
  step("unreachable", () => removeUnreachableBlocks(f));
  step("phis", () => removeTrivialPhis(f));
  step("globals", () => forwardGlobals(f));
  step("fold", () => foldConstants(f));
  step("divide", () => divideByConstants(f));
  step("cse", () => {
    if (!eliminateCommonSubexpressions(f)) return;
    removeUnreachableBlocks(f);
    removeTrivialPhis(f);
  });
  step("loads", () => removeRedundantLoads(f));
  step("licm", () => hoistLoopInvariants(f));
  step("stores", () => removeDeadStores(f));
  if (shadowStack !== null) step("shadow", () => removeDeadShadowStores(f, shadowStack));
  step("tails", () => mergeAbortPaths(f));
  let uses: Int32Array | undefined;
  step("dce", () => (uses = removeDeadCode(f)));
  step("edges", () => splitCriticalEdges(f));
  step("cold", () => moveColdBlocks(f));
  let fused = new Set<number>();
  step("fuse", () => (fused = fuseCompares(f, uses))); // dce's use counts: edges and cold move no operand
  return fused;
}

export interface Planned {
  /** The function's index in the index space. */
  index: number;
  f: IrFunction;
  fused: Set<number>;
  /** `fused` as a byte per value id (1: fused). */
  isFused: Uint8Array;
  alloc: Allocation;
  /** Whether nothing in it calls (or runs an emitter that clobbers what a call does). */
  leaf: boolean;
  /** Whether something in it runs version 1's emitter (bridge.ts), which needs the bridge slots. */
  bridged: boolean;
}

/** Everything up to code: IR, passes, allocation. Throws before anything is emitted when the function is beyond version 2. */
export function planFunction(
  env: ModuleEnv,
  fn: Func,
  type: FuncType,
  where: string,
  index: number,
  inlinable: (callee: number, depth: number, inLoop: boolean) => Func | null,
  check = false,
): Planned {
  const f = buildIr(env.m, (k) => env.funcType(k), fn, type, where, index, inlinable);
  const fused = optimize(f, check, env.shadowStack);
  // The fused compares by id, so that the question costs no hashing.
  const isFused = uint8s(f.values.length);
  for (const v of fused) isFused[v] = 1;
  return { index, f, fused, isFused, ...allocateRegisters(env, f, isFused) };
}

/**
 * Liveness and register allocation of an optimized function (`isFused`: by
 * value id, 1 for a compare fused into its branch); on the way, since the
 * allocator looks at every instruction's clobbers, whether it is a leaf and
 * whether it bridges.
 */
export function allocateRegisters(env: ModuleEnv, f: IrFunction, isFused: Uint8Array): Pick<Planned, "alloc" | "leaf" | "bridged"> {
  const needsLocation = (i: Inst): boolean => i.op !== IrOp.Const && isFused[i.id] === 0;
  const reserved = env.pinned === null ? 0 : 1 << PINNED_REG;
  let leaf = true, bridged = false;
  const noting = (i: Inst): number => {
    const m = clobbers(i);
    if (m === CALL_CLOBBERS) leaf = false;
    if (!bridged && isBridged(i, isFused)) bridged = true;
    return m;
  };
  const alloc = allocate(f, needsLocation, noting, registerHints(env, f), reserved);
  return { alloc, leaf, bridged };
}

/** The register a value would best live in: a parameter's where it arrives, a call's argument where the callee wants it (-1: none). */
function registerHints(env: ModuleEnv, f: IrFunction): Int16Array {
  const prefer = int16s(f.values.length).fill(-1);
  const own = argRegisters(f.type);
  for (const id of f.layout) {
    for (const i of f.blocks[id]!.insts) {
      if (i.op === IrOp.Param && own !== null) prefer[i.id] = own[i.index]!;
      if (i.op !== Op.Call || i.ins!.index! < env.numImportedFuncs) continue;
      const regs = argRegisters(env.funcType(i.ins!.index!));
      if (regs === null) continue;
      const args = i.args;
      for (let j = 0; j < args.length; j++) if (prefer[args[j]!]! < 0) prefer[args[j]!] = regs[j]!;
    }
  }
  return prefer;
}

/** Emits a planned function at `start`; returns where code inlined from other functions went. */
export function emitFunction(a: Assembler, env: ModuleEnv, v1: EmitterTable, p: Planned, start: Label): OriginRange[] {
  const { f, isFused, alloc, leaf, bridged } = p;
  const type = f.type;
  const where = f.where;
  const saved = alloc.calleeSaved;
  const frame = new Frame(0, saved.length + alloc.slots, bridged ? BRIDGE_SLOTS : 0);
  const ctx = new OriginCtx(a, env, frame, type, where);
  const origins = new OriginTracker(a, p.index);
  ctx.tracker = origins;
  const g = new Gen(a, env, f, alloc, isFused, ctx);

  const regs = g.argRegs;
  a.bind(start);
  if (regs !== null) loadArgs(a, type, regs, 8); // the stack entry (docs/aot.md), falling into the register entry
  a.bind(env.regEntries[p.index - env.numImportedFuncs]!);
  g.frameless = leaf && frame.size === 0 && (regs !== null || type.params.length === 0);
  if (g.frameless) {
    // Nothing to keep on the stack and no call to make: no frame, no check (the caller's covers the return address).
  } else if (leaf && frame.size <= UNCHECKED_LEAF_FRAME) {
    a.push(rbp);
    a.rr(IntOp.Mov, 64, RBP, RSP);
    if (frame.size > 0) a.ri(IntOp.Sub, 64, RSP, frame.size);
  } else prologue(ctx);
  for (let k = 0; k < saved.length; k++) a.mr(IntOp.Mov, 64, RBP, -1, 1, -8 * (k + 1), saved[k]!);
  if (regs !== null) {
    const params: number[] = [], from: number[] = [];
    for (const i of f.blocks[f.layout[0]!]!.insts) {
      if (i.op !== IrOp.Param) continue;
      params.push(i.id);
      from.push(regs[i.index]!);
    }
    moveOutOfRegisters(g, params, from);
  }
  const emitted = threadJumps(g);
  for (let k = 0; k < emitted.length; k++) {
    const id = emitted[k]!;
    g.block = id;
    g.next = k + 1 < emitted.length ? emitted[k + 1]! : -1;
    a.bind(g.labels[id]!);
    const b = f.blocks[id]!;
    const insts = b.insts;
    for (let x = 0; x < insts.length; x++) {
      const i = insts[x]!;
      origins.at(i.origin);
      instruction(g, i, v1);
    }
    origins.at(b.origin);
    terminator(g, b);
  }
  origins.close();
  ctx.finishTraps();
  return origins.ranges;
}

/** The one block a terminator goes to, or -1: none (return, unreachable) or more than one. */
function onlySuccessor(t: Terminator): number {
  switch (t.kind) {
    case "jump":
      return t.target;
    case "branch":
      return t.then === t.else ? t.then : -1;
    case "switch": {
      const s = t.default;
      for (const x of t.targets) if (x !== s) return -1;
      return s;
    }
    default:
      return -1;
  }
}

/**
 * A block that emits no code (no instructions but constants, a jump whose
 * phi moves are all no-ops after allocation: most split edges, and joins
 * whose phis' values are already in place) is not emitted: a jump to it goes where
 * it goes, and its label is that block's. This is what lets a branch fall
 * through to the block after it instead of `jcc next; jmp else`. Returns the
 * layout of the blocks that are emitted; gives each block of the layout its
 * label (a new one for each emitted block).
 */
function threadJumps(g: Gen): number[] {
  const f = g.f;
  const layout = f.layout;
  const blocks = f.blocks;
  const n = blocks.length;
  const entry = layout[0]!;
  /** By block id: the block a jump to it goes on to (-1: it emits code, or is not in the layout). */
  const via = int32s(n).fill(-1);
  for (const id of layout) {
    if (id === entry) continue;
    const b = blocks[id]!;
    const succ = onlySuccessor(b.term);
    if (succ < 0 || !onlyConstants(b.insts)) continue;
    const s = blocks[succ]!;
    if (phiMovesAreNoOps(g, s.phis, s.preds.indexOf(id))) via[id] = succ;
  }
  const land = g.land;
  for (const id of layout) {
    // Follow the chain; a cycle of empty blocks (an empty infinite loop) keeps its first block.
    let t = id;
    for (let steps = 0; via[t]! >= 0 && steps <= n; steps++) t = via[t]!;
    if (via[t]! >= 0) t = id;
    land[id] = t;
  }
  const emitted: number[] = [];
  for (const id of layout) {
    if (land[id] !== id) continue;
    emitted.push(id);
    g.labels[id] = g.a.newLabel(`b${id}`);
  }
  for (const id of layout) g.labels[id] = g.labels[land[id]!]!;
  return emitted;
}

/** Whether a block's instructions are all constants (which emit no code of their own). */
function onlyConstants(insts: readonly Inst[]): boolean {
  for (let k = 0; k < insts.length; k++) if (insts[k]!.op !== IrOp.Const) return false;
  return true;
}

/**
 * A function that calls nothing and whose frame is at most this big skips
 * the stack check: its caller passed the check, so rsp ends at most this
 * far (plus the return address and rbp) below atoll_stack_limit, well
 * inside the runtime's headroom (16 KiB on kvm), as after a checked frame
 * of up to 4 KiB (../function.ts).
 */
const UNCHECKED_LEAF_FRAME = 512;

/** rsp's register number. */
const RSP = 4;

/** Whether i runs version 1's emitter (bridge.ts), which needs the bridge slots. */
function isBridged(i: Inst, isFused: Uint8Array): boolean {
  return i.op !== IrOp.Const && i.op !== IrOp.Param && selectorOf(i.op) === undefined && isFused[i.id] === 0;
}

/** SELECTORS by opcode (wasm's and the IR's): an array lookup per instruction instead of hashing. */
const SELECTOR_TABLE: (Selector | undefined)[] = (() => {
  const t = new Array<Selector | undefined>(IrOp.CallResult + 1).fill(undefined);
  for (const [op, s] of SELECTORS) t[op] = s;
  return t;
})();

function selectorOf(op: number): Selector | undefined {
  return SELECTOR_TABLE[op];
}

function instruction(g: Gen, i: Inst, v1: EmitterTable): void {
  if (i.op === IrOp.Const || g.fused[i.id] === 1) return;
  if (i.op === IrOp.Param) {
    if (g.argRegs !== null) return; // moved out of its register at the entry
    const r = g.regOf(i.id);
    if (r < 0) return; // lives in its argument slot
    const disp = g.paramDisp(i.index);
    if (i.type === "f32") g.a.movss(xmm(r), mem(rbp, { disp }, 32));
    else if (i.type === "f64") g.a.movsd(xmm(r), mem(rbp, { disp }, 64));
    else g.a.rm(IntOp.Mov, i.type === "i32" ? 32 : 64, r, RBP, -1, 1, disp);
    return;
  }
  const s = selectorOf(i.op);
  if (s !== undefined) s(g, i);
  else bridge(g, i, v1);
}

function jumpTo(g: Gen, target: number): void {
  if (g.land[target] !== g.next) g.a.jmp(g.labels[target]!);
}

function terminator(g: Gen, b: Block): void {
  const a = g.a;
  const t = b.term;
  const succ = onlySuccessor(t);
  if (succ >= 0) {
    // One place to go (a jump, or a branch or br_table whose targets are all one block): the phis' moves, then go.
    const s = g.f.blocks[succ]!;
    moveIntoPhis(g, s.phis, s.preds.indexOf(b.id));
    jumpTo(g, succ);
    return;
  }
  switch (t.kind) {
    case "jump":
      return; // handled above
    case "branch": {
      let cc: Cond = "nz";
      const c = t.cond;
      if (g.fused[c] === 1) cc = isIntCompare(g.value(c).op) ? compareFlags(g, g.value(c)) : floatCompareFlags(g, g.value(c));
      else if (g.isConst(c)) {
        jumpTo(g, g.bits(c) & 0xffff_ffffn ? t.then : t.else);
        return;
      } else {
        const r = g.gpr(c, 32);
        if (r !== null) a.rr(IntOp.Test, 32, r.num, r.num);
        else a.mi(IntOp.Cmp, 32, RBP, -1, 1, g.slotDispOf(c), 0);
      }
      if (g.land[t.then] === g.next) a.jcc(negate(cc), g.labels[t.else]!);
      else {
        a.jcc(cc, g.labels[t.then]!);
        jumpTo(g, t.else);
      }
      return;
    }
    case "switch":
      return switchTo(g, t.index, t.targets, t.default);
    case "return":
      return ret(g, t.values);
    case "unreachable":
      a.jmp(g.bridge.trap(Trap.Unreachable));
      return;
  }
}

/** br_table: a compare chain for a few targets, a table of 32-bit offsets beyond. */
function switchTo(g: Gen, index: number, targets: readonly number[], dflt: number): void {
  const a = g.a;
  if (g.isConst(index)) {
    const k = Number(g.bits(index) & 0xffff_ffffn);
    jumpTo(g, k < targets.length ? targets[k]! : dflt);
    return;
  }
  const eax = gpr(0, 32);
  g.loadInto(eax, index);
  if (targets.length <= 4) {
    for (let k = 0; k < targets.length; k++) {
      a.ri(IntOp.Cmp, 32, 0, k);
      a.jcc("e", g.labels[targets[k]!]!);
    }
    jumpTo(g, dflt);
    return;
  }
  a.ri(IntOp.Cmp, 32, 0, targets.length);
  a.jcc("ae", g.labels[dflt]!);
  const table = a.newLabel("switch");
  const rax = gpr(0, 64), rcx = gpr(1, 64);
  a.lea(rcx, mem(rip, { label: table }));
  a.movsxd(rax, mem(rcx, { index: rax, scale: 4 }, 32));
  a.add(rax, rcx);
  a.jmp(rax);
  a.align(4);
  a.bind(table);
  for (const tg of targets) a.dd(g.labels[tg]!, table);
}

function ret(g: Gen, values: readonly number[]): void {
  const a = g.a;
  const types = g.f.type.results;
  for (let k = 1; k < values.length; k++) {
    const v = values[k]!;
    const at = symMem(S.results, 8 * (k - 1), 64);
    const x = g.isConst(v) ? null : g.xmm(v);
    if (x !== null) a.movsd(at, x);
    else a.mov(at, g.reg(v, 64, gpr(0, 64)));
  }
  if (values.length > 0) {
    const v = values[0]!;
    if (isFloat(types[0]!)) g.floadInto(xmm(0), v);
    else g.loadInto(gpr(0, types[0] === "i64" ? 64 : 32), v);
  }
  const saved = g.alloc.calleeSaved;
  for (let k = 0; k < saved.length; k++) a.rm(IntOp.Mov, 64, saved[k]!, RBP, -1, 1, -8 * (k + 1));
  if (!g.frameless) {
    a.rr(IntOp.Mov, 64, RSP, RBP);
    a.pop(rbp);
  }
  a.ret();
}
