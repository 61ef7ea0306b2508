// Version 2 of one function: wasm → SSA (build.ts) → trivial phis and dead
// code out → critical edges split → compares fused into branches → linear
// scan → code, block by block in layout order, terminators last.

import { Op, type Func, type FuncType } from "../../wasm/index.ts";
import { gpr, imm, mem, negate, rbp, rip, rsp, xmm, type Assembler, type Cond, type Label } from "../../x86/index.ts";
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
import { BRIDGE_SLOTS, Gen, isFloat } from "./gen.ts";
import { IrOp, successors, type Block, type Inst, type IrFunction } from "./ir.ts";
import { moveOutOfRegisters, movesAreNoOps, parallelMove } from "./moves.ts";
import { argRegisters, loadArgs } from "./convention.ts";
import { PINNED_REG } from "./pinned.ts";
import { removeTrivialPhis } from "./phis.ts";
import { forwardGlobals } from "./globals.ts";
import { foldConstants } from "./fold.ts";
import { eliminateCommonSubexpressions } from "./cse.ts";
import { removeDeadStores } from "./stores.ts";
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
import { verify } from "./verify.ts";

const SELECTORS: ReadonlyMap<number, Selector> = (() => {
  const all = new Map<number, Selector>();
  for (const t of [intSelectors, floatSelectors, memorySelectors, callSelectors, choiceSelectors]) {
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

/** The allocatable registers i overwrites: a call's, or a bridged emitter's. */
function clobbers(i: Inst): number {
  if (i.op === IrOp.Const || i.op === IrOp.Param || i.op === IrOp.Phi || i.op === IrOp.CallResult) return 0;
  if (callSelectors.has(i.op)) return CALL_CLOBBERS;
  if (SELECTORS.has(i.op) || SCRATCH_ONLY_V1.has(i.op)) return 0;
  if (bulkEmitters.has(i.op)) return BULK_CLOBBERS;
  return CALL_CLOBBERS;
}

/** Runs the passes; `check` runs the verifier after each one (the tests turn it on). */
export function optimize(f: IrFunction, check: boolean): Set<number> {
  const step = (name: string, pass: () => void): void => {
    pass();
    if (check) verify(f, name);
  };
  step("unreachable", () => removeUnreachableBlocks(f));
  step("phis", () => removeTrivialPhis(f));
  step("globals", () => forwardGlobals(f));
  step("fold", () => foldConstants(f));
  step("cse", () => {
    if (!eliminateCommonSubexpressions(f)) return;
    removeUnreachableBlocks(f);
    removeTrivialPhis(f);
  });
  step("stores", () => removeDeadStores(f));
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
  alloc: Allocation;
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
  const fused = optimize(f, check);
  const needsLocation = (i: Inst): boolean => i.op !== IrOp.Const && !fused.has(i.id);
  const reserved = env.pinned === null ? 0 : 1 << PINNED_REG;
  return { index, f, fused, alloc: allocate(f, needsLocation, clobbers, registerHints(env, f), reserved) };
}

/** The register a value would best live in: a parameter's where it arrives, a call's argument where the callee wants it (-1: none). */
function registerHints(env: ModuleEnv, f: IrFunction): Int16Array {
  const prefer = new Int16Array(f.values.length).fill(-1);
  const own = argRegisters(f.type);
  for (const id of f.layout) {
    for (const i of f.blocks[id]!.insts) {
      if (i.op === IrOp.Param && own !== null) prefer[i.id] = own[i.index]!;
      if (i.op !== Op.Call || i.ins!.index! < env.numImportedFuncs) continue;
      const regs = argRegisters(env.funcType(i.ins!.index!));
      if (regs === null) continue;
      i.args.forEach((v, j) => {
        if (prefer[v]! < 0) prefer[v] = regs[j]!;
      });
    }
  }
  return prefer;
}

/** Emits a planned function at `start`; returns where code inlined from other functions went. */
export function emitFunction(a: Assembler, env: ModuleEnv, v1: EmitterTable, p: Planned, start: Label): OriginRange[] {
  const { f, fused, alloc } = p;
  const type = f.type;
  const where = f.where;
  const saved = alloc.calleeSaved;
  const bridged = f.layout.some((id) => f.blocks[id]!.insts.some((i) => isBridged(i, fused)));
  const frame = new Frame(0, saved.length + alloc.slots, bridged ? BRIDGE_SLOTS : 0);
  const ctx = new OriginCtx(a, env, frame, type, where);
  const origins = new OriginTracker(a, p.index);
  ctx.tracker = origins;
  const g = new Gen(a, env, f, alloc, fused, ctx);

  const regs = g.argRegs;
  a.bind(start);
  if (regs !== null) loadArgs(a, type, regs, 8); // the stack entry (docs/aot.md), falling into the register entry
  a.bind(env.regEntries[p.index - env.numImportedFuncs]!);
  const leaf = !f.layout.some((id) => f.blocks[id]!.insts.some((i) => clobbers(i) === CALL_CLOBBERS));
  g.frameless = leaf && frame.size === 0 && (regs !== null || type.params.length === 0);
  if (g.frameless) {
    // Nothing to keep on the stack and no call to make: no frame, no check (the caller's covers the return address).
  } else if (leaf && frame.size <= UNCHECKED_LEAF_FRAME) {
    a.push(rbp);
    a.mov(rbp, rsp);
    if (frame.size > 0) a.sub(rsp, imm(frame.size));
  } else prologue(ctx);
  saved.forEach((r, k) => a.mov(mem(rbp, { disp: -8 * (k + 1) }, 64), gpr(r, 64)));
  if (regs !== null) {
    const params = f.blocks[f.layout[0]!]!.insts.filter((i) => i.op === IrOp.Param);
    moveOutOfRegisters(g, params.map((i) => i.id), params.map((i) => regs[i.index]!));
  }
  const emitted = threadJumps(g);
  emitted.forEach((id, k) => {
    g.block = id;
    g.next = emitted[k + 1] ?? -1;
    a.bind(g.labels[id]!);
    const b = f.blocks[id]!;
    for (const i of b.insts) {
      origins.at(i.origin);
      instruction(g, i, v1);
    }
    origins.at(b.origin);
    terminator(g, id);
  });
  origins.close();
  ctx.finishTraps();
  return origins.ranges;
}

/**
 * A block that emits no code (no instructions but constants, a jump whose
 * phi moves are all no-ops after allocation: most split edges, and joins
 * whose phis' values are already in place) is not emitted: a jump to it goes where
 * it goes, and its label is that block's. This is what lets a branch fall
 * through to the block after it instead of `jcc next; jmp else`. Returns the
 * layout of the blocks that are emitted.
 */
function threadJumps(g: Gen): number[] {
  const f = g.f;
  const entry = f.layout[0]!;
  const passThrough = (b: Block): number => {
    if (b.id === entry || b.insts.some((i) => i.op !== IrOp.Const)) return -1;
    const succs = successors(b.term);
    if (succs.length !== 1 || b.term.kind === "return" || b.term.kind === "unreachable") return -1;
    const s = f.blocks[succs[0]!]!;
    const j = s.preds.indexOf(b.id);
    return movesAreNoOps(g, s.phis.map((p) => p.id), s.phis.map((p) => p.args[j]!)) ? s.id : -1;
  };
  const via = new Int32Array(f.blocks.length).fill(-1);
  for (const id of f.layout) via[id] = passThrough(f.blocks[id]!);
  for (const id of f.layout) {
    // Follow the chain; a cycle of empty blocks (an empty infinite loop) keeps its first block.
    let t = id;
    for (let steps = 0; via[t]! >= 0 && steps <= f.blocks.length; steps++) t = via[t]!;
    if (via[t]! >= 0) t = id;
    g.land[id] = t;
  }
  const emitted = f.layout.filter((id) => g.land[id] === id);
  for (const id of f.layout) g.labels[id] = g.labels[g.land[id]!]!;
  return emitted;
}

/**
 * A function that calls nothing and whose frame is at most this big skips
 * the stack check: its caller passed the check, so rsp ends at most this
 * far (plus the return address and rbp) below atoll_stack_limit, well
 * inside the runtime's headroom (16 KiB on kvm), as after a checked frame
 * of up to 4 KiB (../function.ts).
 */
const UNCHECKED_LEAF_FRAME = 512;

/** Whether i runs version 1's emitter (bridge.ts), which needs the bridge slots. */
function isBridged(i: Inst, fused: ReadonlySet<number>): boolean {
  return i.op !== IrOp.Const && i.op !== IrOp.Param && !fused.has(i.id) && !SELECTORS.has(i.op);
}

function instruction(g: Gen, i: Inst, v1: EmitterTable): void {
  if (i.op === IrOp.Const || g.fused.has(i.id)) return;
  if (i.op === IrOp.Param) {
    if (g.argRegs !== null) return; // moved out of its register at the entry
    const r = g.regOf(i.id);
    if (r < 0) return; // lives in its argument slot
    const at = mem(rbp, { disp: g.paramDisp(i.index) }, i.type === "i32" || i.type === "f32" ? 32 : 64);
    if (isFloat(i.type)) {
      if (i.type === "f32") g.a.movss(xmm(r), at);
      else g.a.movsd(xmm(r), at);
    } else g.a.mov(gpr(r, at.size as 32 | 64), at);
    return;
  }
  const s = SELECTORS.get(i.op);
  if (s !== undefined) s(g, i);
  else bridge(g, i, v1);
}

function jumpTo(g: Gen, target: number): void {
  if (g.land[target] !== g.next) g.a.jmp(g.labels[target]!);
}

function terminator(g: Gen, id: number): void {
  const a = g.a;
  const b = g.f.blocks[id]!;
  const t = b.term;
  const succs = successors(t);
  if (succs.length === 1) {
    // One place to go (a jump, or a branch or br_table whose targets are all one block): the phis' moves, then go.
    const s = g.f.blocks[succs[0]!]!;
    const j = s.preds.indexOf(id);
    parallelMove(g, s.phis.map((p) => p.id), s.phis.map((p) => p.args[j]!));
    jumpTo(g, succs[0]!);
    return;
  }
  switch (t.kind) {
    case "jump":
      return; // handled above
    case "branch": {
      let cc: Cond = "nz";
      const c = t.cond;
      if (g.fused.has(c)) cc = isIntCompare(g.value(c).op) ? compareFlags(g, g.value(c)) : floatCompareFlags(g, g.value(c));
      else if (g.isConst(c)) {
        jumpTo(g, g.bits(c) & 0xffff_ffffn ? t.then : t.else);
        return;
      } else {
        const r = g.gpr(c, 32);
        if (r !== null) a.test(r, r);
        else a.cmp(g.slotMem(c, 32), imm(0));
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
    targets.forEach((tg, k) => {
      a.cmp(eax, imm(k));
      a.jcc("e", g.labels[tg]!);
    });
    jumpTo(g, dflt);
    return;
  }
  a.cmp(eax, imm(targets.length));
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
  g.alloc.calleeSaved.forEach((r, k) => a.mov(gpr(r, 64), mem(rbp, { disp: -8 * (k + 1) }, 64)));
  if (!g.frameless) {
    a.mov(rsp, rbp);
    a.pop(rbp);
  }
  a.ret();
}
