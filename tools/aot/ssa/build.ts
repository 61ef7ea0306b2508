// Wasm function body → SSA IR in one pass, after Braun et al., "Simple and
// Efficient Construction of Static Single Assignment Form" (CC 2013).
//
// Locals are the variables: `local.set` records the value for the current
// block, `local.get` looks it up, through the predecessors when the block
// has no definition, placing a phi where several paths meet. A block is
// sealed once all its predecessors are known (a loop header at the loop's
// `end`, a merge block at its `end`); reads in an unsealed block get an
// incomplete phi that sealing completes. Operand-stack values that cross a
// branch (block results, loop parameters) become phis of the target block
// whose operands are added edge by edge.
//
// Trivial phis are left in place; phis.ts removes them afterwards.

import { globalType, Op, opInfo, opNameOf, type Func, type FuncType, type Instr, type Module, type ValType } from "../../wasm/index.ts";
import { IrOp, newValue, type Block, type Inst, type IrFunction, type Terminator } from "./ir.ts";

interface Ctl {
  /** "inline": the body of a function inlined at a call; its `return` and last `end` go to the block after the call. */
  kind: "func" | "inline" | "block" | "loop" | "if";
  type: FuncType;
  /** Operand stack height below the block's parameters. */
  height: number;
  /** Where a branch to this label goes, and the phis that receive its values. */
  target: number;
  targetPhis: Inst[];
  /** The block after `end` and its result phis (loop: none; the code falls through). */
  merge: number;
  mergePhis: Inst[];
  /** if: the else arm's block and the parameters the if was entered with. */
  elseBlock: number;
  params: readonly number[];
}

/** Where an opcode's entry is in the PLAIN_ tables: one-byte opcodes at their byte, 0xFC ones at 0x100 + sub; -1 for none. */
function plainIndex(op: number): number {
  return op < 0x100 ? op : (op & 0xff00) === 0xfc00 ? 0x100 + (op & 0xff) : -1;
}

/**
 * By plainIndex: the operand count of an instruction with a fixed signature
 * (-1 where there is none: the builder cannot take it), and its result type.
 * opInfo() per instruction cost a lookup and three checks.
 */
const PLAIN_ARITY = new Int8Array(0x200).fill(-1);
const PLAIN_RESULT: (ValType | null)[] = new Array<ValType | null>(0x200).fill(null);
for (let k = 0; k < 0x200; k++) {
  const info = opInfo(k < 0x100 ? k : 0xfc00 | (k - 0x100));
  if (info === undefined || info.params === undefined || info.results === undefined) continue;
  PLAIN_ARITY[k] = info.params.length;
  PLAIN_RESULT[k] = info.results[0] ?? null;
}

/** The bit patterns of the i32 constants 0..SMALL_BITS-1, made once: most constants are small, and BigInt() allocates. */
const SMALL_BITS = 1024;
const smallBitsTable: bigint[] = Array.from({ length: SMALL_BITS }, (_, i) => BigInt(i));

/** The 64-bit pattern of a 32-bit constant (i32 as a signed number, f32 as its bits): zero-extended. */
function smallBits(v: number): bigint {
  const u = v >>> 0;
  return u < SMALL_BITS ? smallBitsTable[u]! : BigInt(u);
}

/** No phis and no values, for edges that carry nothing. */
const NO_PHIS: readonly Inst[] = [];
const NO_VALUES: readonly number[] = [];

/** Wasm opcodes a function body may use that the builder turns into plain IR instructions (the rest of the non-control set). */
const CONTROL_OPS = [
  Op.Unreachable, Op.Nop, Op.Block, Op.Loop, Op.If, Op.Else, Op.End, Op.Br, Op.BrIf, Op.BrTable, Op.Return,
  Op.Call, Op.CallIndirect, Op.Drop, Op.Select, Op.SelectT, Op.LocalGet, Op.LocalSet, Op.LocalTee, Op.GlobalGet, Op.GlobalSet,
];
/** CONTROL_OPS as a table by opcode (all of them are one-byte opcodes). */
const CONTROL = new Uint8Array(256);
for (const op of CONTROL_OPS) {
  if (op > 0xff) throw new Error(`tools/aot: control opcode ${op} outside the one-byte table`);
  CONTROL[op] = 1;
}

/**
 * The operand stack: values in a number array that never shrinks, and a
 * height (cutting an array's length down drops or trims its store, and the
 * stack falls and grows again at every block).
 */
class ValueStack {
  /** The values, bottom first; entries at `length` and above are stale. */
  readonly items: number[] = [];
  length = 0;

  push(v: number): void {
    if (this.length < this.items.length) this.items[this.length] = v;
    else this.items.push(v);
    this.length++;
  }

  pop(): number | undefined {
    return this.length === 0 ? undefined : this.items[--this.length];
  }

  /** The value on top; the stack must not be empty. */
  peek(): number {
    if (this.length === 0) throw new Error("tools/aot: operand stack underflow");
    return this.items[this.length - 1]!;
  }

  /**
   * The top n values (n at most the height), deepest first, as a new array
   * of exactly n elements (an array grown by push from empty reserves 17,
   * and these become instructions' operand lists, kept until code is made).
   */
  top(n: number): number[] {
    const items = this.items;
    const h = this.length;
    switch (n) {
      case 0:
        return [];
      case 1:
        return [items[h - 1]!];
      case 2:
        return [items[h - 2]!, items[h - 1]!];
      case 3:
        return [items[h - 3]!, items[h - 2]!, items[h - 1]!];
    }
    const out: number[] = [];
    for (let i = h - n; i < h; i++) out.push(items[i]!);
    return out;
  }

  /** Cuts the stack down to height h (at most the height it has). */
  truncate(h: number): void {
    if (h > this.length) throw new Error(`tools/aot: operand stack of ${this.length} values cut to ${h}`);
    this.length = h;
  }
}

export class Builder {
  readonly f: IrFunction;
  private readonly localTypes: ValType[];
  /** Where the locals of the body being built start among `localTypes` (inlined bodies get their own). */
  private localBase = 0;
  /** The function whose code is being built (the callee, inside an inlined body): instructions record it. */
  private origin: number;
  /** Indices of the "func"/"inline" frames in `ctl`: where `return` goes. */
  private readonly bodies: number[] = [];
  /** Functions being inlined, innermost last (no recursion, bounded depth). */
  private readonly inlining: number[] = [];
  /**
   * By block: the value each local was last given there (made on the block's
   * first write). A holey array by local rather than a Map: local indices are
   * small, and reads (memoized along every predecessor chain) outnumber
   * local.get three to one, so the Map's hashing was a quarter of the build.
   */
  private readonly defs: (number[] | undefined)[] = [];
  private readonly sealed: boolean[] = [];
  /** By block: the incomplete phis of an unsealed block, by local (made on the first). */
  private readonly incomplete: (Map<number, Inst> | undefined)[] = [];
  private readonly stack = new ValueStack();
  private readonly ctl: Ctl[] = [];
  private cur: number | null = null;
  private readonly placed: boolean[] = [];
  private loopDepth = 0;

  constructor(
    private readonly m: Module,
    private readonly funcTypeOf: (index: number) => FuncType,
    fn: Func,
    type: FuncType,
    where: string,
    /** This function's index in the index space. */
    readonly index: number,
    /** Which calls to inline: the callee's index → its body, or null to keep the call. */
    private readonly inlinable: (callee: number, depth: number, inLoop: boolean) => Func | null,
  ) {
    this.f = { type, values: [], blocks: [], layout: [], where };
    this.localTypes = [...type.params, ...fn.locals];
    this.origin = index;
    this.inlining.push(index);
  }

  newBlock(): number {
    const id = this.f.blocks.length;
    const b: Block = { id, phis: [], insts: [], term: { kind: "unreachable" }, preds: [], loopDepth: this.loopDepth, cold: false, origin: this.origin };
    this.f.blocks.push(b);
    this.defs.push(undefined);
    this.sealed.push(false);
    this.incomplete.push(undefined);
    return id;
  }

  /** Ends `block` with `t`, written by the function whose code is being built. */
  private setTerm(block: number, t: Terminator): void {
    const b = this.f.blocks[block]!;
    b.term = t;
    b.origin = this.origin;
  }

  /** Makes `block` the current one; the first time, it takes its place in the layout. */
  private enter(block: number | null): void {
    this.cur = block;
    if (block !== null && !this.placed[block]) {
      this.placed[block] = true;
      this.f.layout.push(block);
    }
  }

  private inst(block: number, op: number, type: ValType | null, args: number[], ins: Instr | null): Inst {
    return newValue(this.f, op, type, args, block, this.origin, 0n, ins);
  }

  /** Appends an instruction to the current block and returns it. */
  private emit(op: number, type: ValType | null, args: number[], ins: Instr | null = null): Inst {
    const i = this.inst(this.cur!, op, type, args, ins);
    this.f.blocks[this.cur!]!.insts.push(i);
    return i;
  }

  private phi(block: number, type: ValType): Inst {
    const p = this.inst(block, IrOp.Phi, type, [], null);
    this.f.blocks[block]!.phis.push(p);
    return p;
  }

  /**
   * A phi of each type in `block`. A loop, not a map() with an arrow: an
   * arrow that captures `this` makes every call of the method holding it
   * allocate a context, and open() runs at every block.
   */
  private phis(block: number, types: readonly ValType[]): Inst[] {
    const out: Inst[] = [];
    for (const t of types) out.push(this.phi(block, t));
    return out;
  }

  private constant(type: ValType, bits: bigint): number {
    const c = this.emit(IrOp.Const, type, []);
    c.bits = bits;
    return c.id;
  }

  private write(local: number, block: number, value: number): void {
    const d = this.defs[block];
    if (d === undefined) {
      const nd: number[] = [];
      nd[local] = value;
      this.defs[block] = nd;
    } else d[local] = value;
  }

  private read(local: number, block: number): number {
    const known = this.defs[block]?.[local];
    if (known !== undefined) return known;
    const b = this.f.blocks[block]!;
    let v: number;
    if (!this.sealed[block]) {
      const p = this.phi(block, this.localTypes[local]!);
      const inc = this.incomplete[block];
      if (inc === undefined) this.incomplete[block] = new Map<number, Inst>().set(local, p);
      else inc.set(local, p);
      v = p.id;
    } else if (b.preds.length === 1) {
      v = this.read(local, b.preds[0]!);
    } else {
      const p = this.phi(block, this.localTypes[local]!);
      this.write(local, block, p.id); // breaks cycles through loops
      for (const pred of b.preds) p.args.push(this.read(local, pred));
      v = p.id;
    }
    this.write(local, block, v);
    return v;
  }

  private seal(block: number): void {
    const inc = this.incomplete[block];
    if (inc !== undefined) {
      for (const [local, p] of inc) {
        for (const pred of this.f.blocks[block]!.preds) p.args.push(this.read(local, pred));
      }
      inc.clear();
    }
    this.sealed[block] = true;
  }

  /**
   * Adds the edge from→to carrying `values[start..]` to `phis` (the target's
   * stack phis); `values` may be the operand stack's store, read in place.
   */
  private edge(from: number, to: number, phis: readonly Inst[], values: readonly number[], start: number): void {
    const b = this.f.blocks[to]!;
    if (b.preds.includes(from)) return; // a switch naming the same target twice: one edge
    b.preds.push(from);
    for (let i = 0; i < phis.length; i++) phis[i]!.args.push(values[start + i]!);
  }

  /** An edge that carries no values. */
  private plainEdge(from: number, to: number): void {
    this.edge(from, to, NO_PHIS, NO_VALUES, 0);
  }

  /** An edge carrying the top `phis.length` values of the operand stack. */
  private stackEdge(from: number, to: number, phis: readonly Inst[]): void {
    this.edge(from, to, phis, this.stack.items, this.stack.length - phis.length);
  }

  private pop(): number {
    const v = this.stack.pop();
    if (v === undefined) throw new Error(`tools/aot: ${this.f.where}: operand stack underflow`);
    return v;
  }

  private popN(n: number): number[] {
    if (n > this.stack.length) throw new Error(`tools/aot: ${this.f.where}: operand stack underflow`);
    const vs = this.stack.top(n);
    this.stack.truncate(this.stack.length - n);
    return vs;
  }

  /** The values a branch to `c` carries: a loop's parameters, anything else's results. */
  private branchArity(c: Ctl): number {
    return c.kind === "loop" ? c.type.params.length : c.type.results.length;
  }

  private label(depth: number): Ctl {
    const c = this.ctl[this.ctl.length - 1 - depth];
    if (c === undefined) throw new Error(`tools/aot: ${this.f.where}: branch depth ${depth} out of range`);
    return c;
  }

  private branchTo(c: Ctl): void {
    this.stackEdge(this.cur!, c.target, c.targetPhis);
  }

  /** Builds the whole body. */
  build(body: readonly Instr[]): IrFunction {
    const entry = this.newBlock();
    this.sealed[entry] = true;
    this.enter(entry);
    this.localTypes.forEach((t, i) => {
      if (i < this.f.type.params.length) {
        const p = this.emit(IrOp.Param, t, []);
        p.index = i;
        this.write(i, entry, p.id);
      } else {
        this.write(i, entry, this.constant(t, 0n));
      }
    });
    const exit = this.newBlock();
    const exitPhis = this.phis(exit, this.f.type.results);
    this.bodies.push(this.ctl.length);
    this.ctl.push({ kind: "func", type: this.f.type, height: 0, target: exit, targetPhis: exitPhis, merge: exit, mergePhis: exitPhis, elseBlock: -1, params: [] });
    for (const ins of body) {
      if (ins.dead) continue;
      this.instruction(ins);
    }
    this.setTerm(exit, { kind: "return", values: exitPhis.map((p) => p.id) });
    return this.f;
  }

  private instruction(ins: Instr): void {
    const op = ins.op;
    if (op > 0xff || CONTROL[op] === 0) return this.plain(ins, op);
    switch (op) {
      case Op.Nop:
        return;
      case Op.Unreachable:
        this.setTerm(this.cur!, { kind: "unreachable" });
        this.cur = null;
        return;
      case Op.Block:
      case Op.Loop:
      case Op.If:
        return this.open(ins);
      case Op.Else:
        return this.else();
      case Op.End:
        return this.end();
      case Op.Br: {
        const c = this.label(ins.index!);
        this.branchTo(c);
        this.setTerm(this.cur!, { kind: "jump", target: c.target });
        this.cur = null;
        return;
      }
      case Op.BrIf: {
        const cond = this.pop();
        const c = this.label(ins.index!);
        const cont = this.newBlock();
        this.branchTo(c);
        this.setTerm(this.cur!, { kind: "branch", cond, then: c.target, else: cont });
        this.plainEdge(this.cur!, cont);
        this.seal(cont);
        this.enter(cont);
        return;
      }
      case Op.BrTable:
        return this.brTable(ins);
      case Op.Return: {
        const c = this.ctl[this.bodies[this.bodies.length - 1]!]!;
        this.branchTo(c);
        this.setTerm(this.cur!, { kind: "jump", target: c.target });
        this.cur = null;
        return;
      }
      case Op.Call:
      case Op.CallIndirect: {
        const t = op === Op.Call ? this.funcTypeOf(ins.index!) : this.m.types[ins.index!]!;
        if (op === Op.Call && !this.inlining.includes(ins.index!)) {
          const body = this.inlinable(ins.index!, this.inlining.length, this.loopDepth > 0);
          if (body !== null) return this.inline(ins.index!, body, t);
        }
        // call_indirect's table index is on top, after the arguments: the last operand.
        const args = this.popN(op === Op.CallIndirect ? t.params.length + 1 : t.params.length);
        const call = this.emit(op, t.results[0] ?? null, args, ins);
        if (t.results.length > 0) this.stack.push(call.id);
        for (let i = 1; i < t.results.length; i++) {
          const r = this.emit(IrOp.CallResult, t.results[i]!, [], ins);
          r.index = i;
          this.stack.push(r.id);
        }
        return;
      }
      case Op.Drop:
        this.pop();
        return;
      case Op.Select:
      case Op.SelectT: {
        const [a, b, cond] = this.popN(3) as [number, number, number];
        this.stack.push(this.emit(Op.Select, ins.type!, [a, b, cond], ins).id);
        return;
      }
      case Op.LocalGet:
        this.stack.push(this.read(this.localBase + ins.index!, this.cur!));
        return;
      case Op.LocalSet:
        this.write(this.localBase + ins.index!, this.cur!, this.pop());
        return;
      case Op.LocalTee:
        this.write(this.localBase + ins.index!, this.cur!, this.stack.peek());
        return;
      case Op.GlobalSet:
        this.emit(op, null, [this.pop()], ins);
        return;
      case Op.GlobalGet: {
        const g = globalType(this.m, ins.index!);
        if (g === undefined) throw new Error(`tools/aot: ${this.f.where}: global ${ins.index} does not exist`);
        this.stack.push(this.emit(op, g.type, [], ins).id);
        return;
      }
    }
  }

  /** br_table: an edge to each target (one per target block), then the switch. */
  private brTable(ins: Instr): void {
    const index = this.pop();
    const targets: number[] = [];
    for (const depth of ins.labels!) {
      const c = this.label(depth);
      this.branchTo(c);
      targets.push(c.target);
    }
    const def = this.label(ins.index!);
    this.branchTo(def);
    this.setTerm(this.cur!, { kind: "switch", index, targets, default: def.target });
    this.cur = null;
  }

  /** Saved by inline() for leaveInline(). */
  private readonly saved: { localBase: number; origin: number }[] = [];

  /**
   * Builds callee `index`'s body in place of a call: its parameters are
   * the call's arguments, its locals new variables, its `return` and its
   * last `end` a branch to the block after the call, whose phis are the results.
   */
  private inline(index: number, fn: Func, t: FuncType): void {
    const args = this.popN(t.params.length);
    this.saved.push({ localBase: this.localBase, origin: this.origin });
    this.localBase = this.localTypes.length;
    this.localTypes.push(...t.params, ...fn.locals);
    this.origin = index;
    this.inlining.push(index);
    const at = this.cur!;
    for (let i = 0; i < args.length; i++) this.write(this.localBase + i, at, args[i]!);
    for (let i = 0; i < fn.locals.length; i++) this.write(this.localBase + t.params.length + i, at, this.constant(fn.locals[i]!, 0n));
    const after = this.newBlock();
    const phis = this.phis(after, t.results);
    this.bodies.push(this.ctl.length);
    this.ctl.push({ kind: "inline", type: t, height: this.stack.length, target: after, targetPhis: phis, merge: after, mergePhis: phis, elseBlock: -1, params: [] });
    for (const ins of fn.body) {
      if (ins.dead) continue;
      this.instruction(ins);
    }
  }

  private leaveInline(): void {
    const s = this.saved.pop()!;
    this.localBase = s.localBase;
    this.origin = s.origin;
    this.inlining.pop();
    this.bodies.pop();
  }

  /** Every other instruction (opcode `op`): pops its operands by its signature, pushes its result. */
  private plain(ins: Instr, op: number): void {
    const k = plainIndex(op);
    const arity = k < 0 ? -1 : PLAIN_ARITY[k]!;
    if (arity < 0) {
      throw new Error(`tools/aot: ${this.f.where}: ${opNameOf(op)} at offset 0x${ins.offset.toString(16)} is not supported by the SSA builder`);
    }
    const type = PLAIN_RESULT[k]!;
    if (op === Op.I32Const || op === Op.F32Const) {
      this.stack.push(this.constant(type!, smallBits(ins.value as number)));
      return;
    }
    if (op === Op.I64Const || op === Op.F64Const) {
      this.stack.push(this.constant(type!, BigInt.asUintN(64, ins.value as bigint)));
      return;
    }
    const i = this.emit(op, type, this.popN(arity), ins);
    if (type !== null) this.stack.push(i.id);
  }

  private open(ins: Instr): void {
    const type = ins.blockType!;
    const np = type.params.length;
    const cond = ins.op === Op.If ? this.pop() : -1;
    const height = this.stack.length - np;
    if (ins.op === Op.Loop) {
      this.loopDepth++;
      const header = this.newBlock();
      const phis = this.phis(header, type.params);
      if (height < 0) throw new Error(`tools/aot: ${this.f.where}: operand stack underflow`);
      this.setTerm(this.cur!, { kind: "jump", target: header });
      this.stackEdge(this.cur!, header, phis);
      this.stack.truncate(height);
      this.enter(header);
      for (const p of phis) this.stack.push(p.id);
      this.ctl.push({ kind: "loop", type, height, target: header, targetPhis: phis, merge: -1, mergePhis: [], elseBlock: -1, params: [] });
      return;
    }
    const merge = this.newBlock();
    const mergePhis = this.phis(merge, type.results);
    const c: Ctl = { kind: ins.op === Op.If ? "if" : "block", type, height, target: merge, targetPhis: mergePhis, merge, mergePhis, elseBlock: -1, params: np === 0 ? NO_VALUES : this.stack.top(np) };
    if (ins.op === Op.If) {
      const then = this.newBlock();
      c.elseBlock = this.newBlock();
      this.setTerm(this.cur!, { kind: "branch", cond, then, else: c.elseBlock });
      this.plainEdge(this.cur!, then);
      this.plainEdge(this.cur!, c.elseBlock);
      this.seal(then);
      this.seal(c.elseBlock);
      this.enter(then);
    }
    this.ctl.push(c);
  }

  /** Ends the current arm: falls through to the merge block with the results. */
  private fallToMerge(c: Ctl): void {
    if (this.cur === null) return;
    this.stackEdge(this.cur, c.merge, c.mergePhis);
    this.setTerm(this.cur, { kind: "jump", target: c.merge });
  }

  private else(): void {
    const c = this.ctl[this.ctl.length - 1]!;
    this.fallToMerge(c);
    this.stack.truncate(c.height);
    for (const v of c.params) this.stack.push(v);
    this.enter(c.elseBlock);
    c.elseBlock = -1;
  }

  private end(): void {
    const c = this.ctl.pop()!;
    if (c.kind === "loop") {
      this.seal(c.target);
      this.loopDepth--;
      if (this.cur === null) this.stack.truncate(c.height);
      return;
    }
    this.fallToMerge(c);
    if (c.kind === "inline") this.leaveInline();
    if (c.kind === "if" && c.elseBlock >= 0) {
      // No else arm: the condition's false edge carries the parameters through.
      const e = c.elseBlock;
      this.edge(e, c.merge, c.mergePhis, c.params, 0);
      this.setTerm(e, { kind: "jump", target: c.merge });
      this.enter(e);
    }
    this.seal(c.merge);
    this.stack.truncate(c.height);
    const reached = this.f.blocks[c.merge]!.preds.length > 0;
    // After an inlined body that never returns, the caller's code goes on (wasm's validator
    // thought the call returns) in a block nothing reaches; unreachable.ts removes it.
    this.enter(reached || c.kind === "inline" ? c.merge : null);
    if (c.kind === "func") return;
    for (const p of c.mergePhis) this.stack.push(p.id);
  }
}

/** Builds the IR of function `fn` (validated) of module `m`. */
export function buildIr(
  m: Module,
  funcTypeOf: (index: number) => FuncType,
  fn: Func,
  type: FuncType,
  where: string,
  index: number,
  inlinable: (callee: number, depth: number, inLoop: boolean) => Func | null = () => null,
): IrFunction {
  return new Builder(m, funcTypeOf, fn, type, where, index, inlinable).build(fn.body);
}
