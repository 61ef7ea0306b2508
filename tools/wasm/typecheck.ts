// Type-checking of one function body (spec 3.3 and the validation algorithm
// of the spec's appendix 7.3), plus the annotations the code generator
// needs: the operand type of drop and untyped select, `dead` on unreachable
// instructions, and the function's maximum operand stack depth.
//
// Two notions of reachability are kept apart. `unreachable` is the spec's:
// after br/return/unreachable the stack becomes polymorphic until the end
// of the block, which changes what type-checks. `live` is control flow:
// whether any execution gets here. It is false in the spec's polymorphic
// regions, and also after the end of a block nothing falls through or
// branches to (an infinite loop, an if whose arms both return). Only `live`
// drives the `dead` annotation; typing stays exactly the spec's.
//
// This runs once per instruction of every function, so it allocates
// nothing on the way: the operand stack is an array with an explicit height
// (assigning an array's length is a slow builtin call), and what a message
// names ("local.set 3", "end of block") is kept as a constant and a number
// until a message is actually made.

import { WasmError } from "./errors.ts";
import type { Func, FuncType, GlobalType, Instr, Module, TableType, ValType } from "./module.ts";
import { BYTE_OPS, FC_OPS, Op, opNameOf, type OpInfo } from "./opcodes.ts";

/** What validate.ts hands the checker: the module's index spaces, resolved once. */
export interface ModuleContext {
  m: Module;
  funcTypes: readonly (FuncType | undefined)[];
  globals: readonly GlobalType[];
  tables: readonly TableType[];
  numMemories: number;
  funcName(index: number): string | undefined;
}

/** A type on the operand stack, or the spec's "unknown" in polymorphic code. */
type StackType = ValType | "any";
const ANY = "any";

interface Frame {
  /** Op.Block, Op.Loop, Op.If, Op.Else (an if after its else), or -1 for the function. */
  op: number;
  params: readonly ValType[];
  results: readonly ValType[];
  /** Operand stack height when the frame was entered (after popping its params). */
  height: number;
  unreachable: boolean;
  live: boolean;
  /** The instruction that opened the frame was live. */
  startLive: boolean;
  /** A live branch targets this frame's end (never set for loops, whose label is their start). */
  reached: boolean;
  /** For an if after its else: whether the then-arm fell through. */
  thenFell: boolean;
}

function list(ts: readonly StackType[]): string {
  return `[${ts.join(" ")}]`;
}

function frameName(op: number): string {
  return op === -1 ? "function" : opNameOf(op);
}

/** `end of block` and the like, made once rather than per `end`. */
const END_OF: ReadonlyMap<number, string> = new Map([-1, Op.Block, Op.Loop, Op.If, Op.Else].map((op) => [op, `end of ${frameName(op)}`]));

/** No number to append to a message's `what`. */
const NONE = -1;

/** What a message names: `what`, and the index after it when there is one ("local.set 3"). */
function named(what: string, arg: number): string {
  return arg === NONE ? what : `${what} ${arg}`;
}

/** Metadata for an `Instr.op` by array index: opInfo() without its map lookup. */
function infoOf(op: number): OpInfo | undefined {
  return op < 0x100 ? BYTE_OPS[op] : (op & 0xff00) === 0xfc00 ? FC_OPS[op & 0xff] : undefined;
}

class Checker {
  /** The operand stack is vals[0..sp); entries above sp are stale. */
  readonly vals: StackType[] = [];
  sp = 0;
  readonly frames: Frame[] = [];
  readonly locals: ValType[];
  maxDepth = 0;
  /** The instruction being checked, for error locations. */
  ins: Instr | undefined = undefined;

  constructor(
    readonly ctx: ModuleContext,
    readonly fn: Func,
    readonly funcIndex: number,
    readonly type: FuncType,
  ) {
    this.locals = [...type.params, ...fn.locals];
  }

  fail(reason: string): never {
    throw new WasmError(reason, {
      section: "code section",
      offset: this.ins?.offset ?? this.fn.offset,
      funcIndex: this.funcIndex,
      funcName: this.ctx.funcName(this.funcIndex),
    });
  }

  top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  push(t: StackType): void {
    this.vals[this.sp++] = t;
  }

  pushAll(ts: readonly ValType[]): void {
    const vals = this.vals;
    let sp = this.sp;
    for (let i = 0; i < ts.length; i++) vals[sp++] = ts[i]!;
    this.sp = sp;
  }

  mismatch(want: readonly ValType[], what: string, arg: number): never {
    const f = this.top();
    const got = this.vals.slice(Math.max(f.height, this.sp - want.length), this.sp);
    this.fail(`type mismatch: ${named(what, arg)} expects ${list(want)}, got ${list(got)}`);
  }

  /** Pops `want` (last element on top), honouring the polymorphic stack. */
  pop(want: readonly ValType[], what: string, arg: number = NONE): void {
    const n = want.length;
    if (n === 0) return;
    const f = this.top();
    const vals = this.vals;
    let sp = this.sp;
    for (let k = n - 1; k >= 0; k--) {
      if (sp === f.height) {
        if (!f.unreachable) this.mismatch(want, what, arg);
        break;
      }
      const got = vals[sp - 1];
      if (got !== want[k] && got !== ANY) this.mismatch(want, what, arg);
      sp--;
    }
    this.sp = sp;
  }

  /** pop([t], what, arg) without the array. */
  popOne(t: ValType, what: string, arg: number = NONE): void {
    const f = this.top();
    const sp = this.sp;
    if (sp === f.height) {
      if (!f.unreachable) this.mismatch([t], what, arg);
      return;
    }
    const got = this.vals[sp - 1];
    if (got !== t && got !== ANY) this.mismatch([t], what, arg);
    this.sp = sp - 1;
  }

  /** Checks that the stack ends with `want` without popping (br_table's non-default targets). */
  peek(want: readonly ValType[], what: string, arg: number): void {
    const f = this.top();
    let sp = this.sp;
    for (let k = want.length - 1; k >= 0; k--) {
      if (sp === f.height) {
        if (!f.unreachable) this.mismatch(want, what, arg);
        return;
      }
      const got = this.vals[sp - 1];
      if (got !== want[k] && got !== ANY) this.mismatch(want, what, arg);
      sp--;
    }
  }

  popAny(what: string): StackType {
    const f = this.top();
    if (this.sp === f.height) {
      if (f.unreachable) return ANY;
      this.fail(`type mismatch: ${what} expects a value, got []`);
    }
    return this.vals[--this.sp]!;
  }

  /** The frame's stack must hold exactly its results (at end and else). */
  popExactly(f: Frame, want: readonly ValType[], what: string): void {
    if (this.sp - f.height > want.length) {
      this.fail(`type mismatch: ${what} expects ${list(want)}, got ${list(this.vals.slice(f.height, this.sp))}`);
    }
    this.pop(want, what);
  }

  pushFrame(op: number, bt: FuncType): void {
    const parent = this.frames.length > 0 ? this.top() : undefined;
    const live = parent === undefined ? true : parent.live;
    this.frames.push({
      op,
      params: bt.params,
      results: bt.results,
      height: this.sp,
      unreachable: false,
      live,
      startLive: live,
      reached: false,
      thenFell: false,
    });
    this.pushAll(bt.params);
  }

  setUnreachable(): void {
    const f = this.top();
    this.sp = f.height;
    f.unreachable = true;
    f.live = false;
  }

  label(depth: number): Frame {
    if (depth >= this.frames.length) {
      this.fail(`unknown label ${depth}: only ${this.frames.length} enclosing blocks`);
    }
    return this.frames[this.frames.length - 1 - depth]!;
  }

  static labelTypes(f: Frame): readonly ValType[] {
    return f.op === Op.Loop ? f.params : f.results;
  }

  /** Records a branch to `target` from the current point. */
  branch(target: Frame): void {
    if (this.top().live && target.op !== Op.Loop) target.reached = true;
  }

  needMemory(name: string): void {
    if (this.ctx.numMemories === 0) this.fail(`unknown memory 0: ${name} needs a memory`);
  }

  needTable(index: number, name: string): TableType {
    const t = this.ctx.tables[index];
    if (t === undefined) this.fail(`unknown table ${index} in ${name}`);
    return t;
  }

  needElem(index: number, name: string): void {
    if (index >= this.ctx.m.elems.length) this.fail(`unknown elem segment ${index} in ${name}`);
  }

  needData(index: number, name: string): void {
    if (index >= this.ctx.m.datas.length) this.fail(`unknown data segment ${index} in ${name}`);
  }

  local(index: number): ValType {
    const t = this.locals[index];
    if (t === undefined) this.fail(`unknown local ${index}: the function has ${this.locals.length} locals and params`);
    return t;
  }

  global(index: number): GlobalType {
    const g = this.ctx.globals[index];
    if (g === undefined) this.fail(`unknown global ${index}`);
    return g;
  }

  run(): void {
    const body = this.fn.body;
    // The function's params live in locals, not on the stack.
    this.pushFrame(-1, { params: [], results: this.type.results });
    for (let i = 0; i < body.length; i++) {
      const ins = body[i]!;
      this.ins = ins;
      if (this.frames.length === 0) this.fail("instructions after the end of the function");
      const f = this.top();
      const op = ins.op;
      const dead = op === Op.End || op === Op.Else ? !f.startLive : !f.live;
      if (dead) ins.dead = true;
      this.step(ins, f, dead);
      if (!dead && this.sp > this.maxDepth) this.maxDepth = this.sp;
    }
    if (this.frames.length !== 0) this.fail("function body does not end with end");
    this.fn.maxStackDepth = this.maxDepth;
  }

  step(ins: Instr, f: Frame, dead: boolean): void {
    const op = ins.op;
    switch (op) {
      case Op.Unreachable:
        this.setUnreachable();
        return;
      case Op.Block:
      case Op.Loop: {
        const bt = ins.blockType!;
        this.pop(bt.params, op === Op.Block ? "block" : "loop");
        this.pushFrame(op, bt);
        return;
      }
      case Op.If: {
        const bt = ins.blockType!;
        this.popOne("i32", "if condition");
        this.pop(bt.params, "if");
        this.pushFrame(op, bt);
        return;
      }
      case Op.Else: {
        if (f.op !== Op.If) this.fail("else without a matching if");
        this.popExactly(f, f.results, "end of if's then-arm");
        f.thenFell = f.live;
        f.op = Op.Else;
        this.sp = f.height;
        f.unreachable = false;
        f.live = f.startLive;
        this.pushAll(f.params);
        return;
      }
      case Op.End: {
        this.popExactly(f, f.results, END_OF.get(f.op)!);
        let endLive: boolean;
        if (f.op === Op.Loop) endLive = f.live;
        else if (f.op === Op.If) {
          // No else: the false condition skips straight to end with the params.
          if (!sameTypes(f.params, f.results)) {
            this.fail(
              `type mismatch: if without else must have matching params and results, got ${list(f.params)} -> ${list(f.results)}`,
            );
          }
          endLive = f.live || f.reached || f.startLive;
        } else if (f.op === Op.Else) endLive = f.live || f.thenFell || f.reached;
        else endLive = f.live || f.reached;
        this.frames.pop();
        this.sp = f.height;
        if (this.frames.length > 0) {
          this.pushAll(f.results);
          this.top().live = endLive;
        }
        return;
      }
      case Op.Br: {
        const target = this.label(ins.index!);
        this.pop(Checker.labelTypes(target), "br", ins.index!);
        this.branch(target);
        this.setUnreachable();
        return;
      }
      case Op.BrIf: {
        this.popOne("i32", "br_if condition");
        const target = this.label(ins.index!);
        const types = Checker.labelTypes(target);
        this.pop(types, "br_if", ins.index!);
        this.pushAll(types);
        this.branch(target);
        return;
      }
      case Op.BrTable: {
        this.popOne("i32", "br_table index");
        const def = this.label(ins.index!);
        const types = Checker.labelTypes(def);
        for (const l of ins.labels!) {
          const target = this.label(l);
          const t = Checker.labelTypes(target);
          if (t.length !== types.length) {
            this.fail(
              `type mismatch: br_table targets must take the same number of values: label ${l} takes ${list(t)}, default label ${ins.index} takes ${list(types)}`,
            );
          }
          this.peek(t, "br_table label", l);
          this.branch(target);
        }
        this.pop(types, "br_table default label", ins.index!);
        this.branch(def);
        this.setUnreachable();
        return;
      }
      case Op.Return:
        this.pop(this.type.results, "return");
        this.setUnreachable();
        return;
      case Op.Call: {
        const idx = ins.index!;
        if (idx >= this.ctx.funcTypes.length) this.fail(`unknown function ${idx}`);
        const t = this.ctx.funcTypes[idx];
        if (t === undefined) this.fail(`unknown type of function ${idx}`);
        this.pop(t.params, "call", idx);
        this.pushAll(t.results);
        return;
      }
      case Op.CallIndirect: {
        const table = this.needTable(ins.table!, "call_indirect");
        if (table.elemType !== "funcref") this.fail(`type mismatch: call_indirect needs a funcref table, table ${ins.table} holds ${table.elemType}`);
        const t = this.ctx.m.types[ins.index!];
        if (t === undefined) this.fail(`unknown type ${ins.index} in call_indirect`);
        this.popOne("i32", "call_indirect index");
        this.pop(t.params, "call_indirect");
        this.pushAll(t.results);
        return;
      }
      case Op.Drop: {
        const t = this.popAny("drop");
        if (!dead && t !== ANY) ins.type = t;
        return;
      }
      case Op.Select: {
        this.popOne("i32", "select condition");
        const t1 = this.popAny("select");
        const t2 = this.popAny("select");
        if ((t1 !== ANY && !isNum(t1)) || (t2 !== ANY && !isNum(t2))) {
          this.fail(`type mismatch: select without a type needs numeric operands, got ${list([t2, t1])}`);
        }
        if (t1 !== ANY && t2 !== ANY && t1 !== t2) {
          this.fail(`type mismatch: select operands must have the same type, got ${list([t2, t1])}`);
        }
        const t = t1 === ANY ? t2 : t1;
        if (!dead && t !== ANY) ins.type = t;
        this.push(t);
        return;
      }
      case Op.SelectT: {
        const t = ins.type!;
        this.popOne("i32", "select condition");
        this.pop([t, t], "select");
        this.push(t);
        return;
      }
      case Op.LocalGet:
        this.push(this.local(ins.index!));
        return;
      case Op.LocalSet: {
        const t = this.local(ins.index!);
        this.popOne(t, "local.set", ins.index!);
        return;
      }
      case Op.LocalTee: {
        const t = this.local(ins.index!);
        this.popOne(t, "local.tee", ins.index!);
        this.push(t);
        return;
      }
      case Op.GlobalGet:
        this.push(this.global(ins.index!).type);
        return;
      case Op.GlobalSet: {
        const g = this.global(ins.index!);
        if (!g.mutable) this.fail(`global is immutable: global.set ${ins.index}`);
        this.popOne(g.type, "global.set", ins.index!);
        return;
      }
    }
    this.generic(ins);
  }

  /** Instructions whose types the opcode table fixes; only their immediates need checks. */
  generic(ins: Instr): void {
    const info = infoOf(ins.op);
    if (info === undefined) this.fail(`unknown opcode 0x${ins.op.toString(16)}`);
    if (info.params === undefined || info.results === undefined) {
      this.fail(`unsupported feature: ${info.feature ?? "?"} (${info.name})`);
    }
    const name = info.name;
    switch (info.imm) {
      case "memarg": {
        this.needMemory(name);
        const align = ins.memarg!.align;
        if (align > info.align!) {
          this.fail(`alignment must not be larger than natural: ${name} has natural alignment ${1 << info.align!}, got 2^${align}`);
        }
        break;
      }
      case "mem0":
      case "mem0x2":
        this.needMemory(name);
        break;
      case "data_mem0":
        this.needMemory(name);
        this.needData(ins.index!, name);
        break;
      case "data":
        this.needData(ins.index!, name);
        break;
      case "elem":
        this.needElem(ins.index!, name);
        break;
      case "elem_table": {
        const t = this.needTable(ins.table!, name);
        this.needElem(ins.index!, name);
        const e = this.ctx.m.elems[ins.index!]!;
        if (e.type !== t.elemType) this.fail(`type mismatch: ${name} copies ${e.type} elements into a ${t.elemType} table`);
        break;
      }
      case "table_table": {
        const dst = this.needTable(ins.index!, name);
        const src = this.needTable(ins.table!, name);
        if (dst.elemType !== src.elemType) this.fail(`type mismatch: ${name} from a ${src.elemType} table to a ${dst.elemType} table`);
        break;
      }
      case "table":
        this.needTable(ins.index!, name);
        break;
      default:
        break;
    }
    this.pop(info.params, name);
    this.pushAll(info.results);
  }
}

/**
 * Whether two type lists are equal. A function, not a closure in step():
 * a closure there would make every call of step() allocate a context for
 * the variables it captures, 40 bytes per instruction checked.
 */
function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function isNum(t: ValType): boolean {
  return t === "i32" || t === "i64" || t === "f32" || t === "f64";
}

/** Type-checks one function body and annotates it. `funcIndex` is its index-space index. */
export function checkFunction(ctx: ModuleContext, fn: Func, funcIndex: number, type: FuncType): void {
  new Checker(ctx, fn, funcIndex, type).run();
}
