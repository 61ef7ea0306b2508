// Structured control: block, loop, if/else, end, the branches and return.
//
// A branch carries the target's arity of values from the top of the
// operand stack down to the target's height (values live in frame slots,
// so this is a copy of slots), then jumps. A branch to the function's own
// frame is a return. Dead instructions never get here (the validator marks
// them), so the depth is reset from the control frame at else and end.

import { Op, type Instr } from "../wasm/index.ts";
import { eax, imm, mem, rax, rcx, rip, type Label } from "../x86/index.ts";
import type { ControlFrame, Ctx, Emitter } from "./context.ts";
import { emitReturn, loadResults, epilogue } from "./convention.ts";
import { Trap } from "./traps.ts";

function target(c: Ctx, depth: number): ControlFrame {
  const t = c.control[c.control.length - 1 - depth];
  if (t === undefined) c.fail(`branch depth ${depth} outside the ${c.control.length} open blocks`);
  return t;
}

function arity(t: ControlFrame): number {
  return t.kind === "loop" ? t.params : t.results;
}

/** Whether branching to `t` from the current depth needs more than a jump. */
function needsWork(c: Ctx, t: ControlFrame): boolean {
  if (t.kind === "func") return true;
  const n = arity(t);
  return n > 0 && c.depth - n !== t.height;
}

/** Copies `n` slots from `from` down to `to` (to <= from, so ascending order is safe). */
export function moveSlots(c: Ctx, from: number, to: number, n: number): void {
  if (from === to) return;
  for (let i = 0; i < n; i++) {
    c.a.mov(rax, c.slot(from + i, 64));
    c.a.mov(c.slot(to + i, 64), rax);
  }
}

/** Branches to `t` with the values at the top of the stack; leaves the depth alone. */
function branch(c: Ctx, t: ControlFrame): void {
  t.targeted = true;
  if (t.kind === "func") {
    const results = c.type.results;
    loadResults(c, results, c.depth - results.length);
    epilogue(c);
    return;
  }
  const n = arity(t);
  moveSlots(c, c.depth - n, t.height, n);
  c.a.jmp(t.label);
}

function open(c: Ctx, ins: Instr, kind: "block" | "loop" | "if"): ControlFrame {
  const bt = ins.blockType!;
  const f: ControlFrame = {
    kind,
    height: c.depth - bt.params.length,
    params: bt.params.length,
    results: bt.results.length,
    label: c.a.newLabel(kind),
  };
  c.control.push(f);
  return f;
}

const emitters: [number, Emitter][] = [
  [
    Op.Unreachable,
    (c) => {
      c.a.jmp(c.trap(Trap.Unreachable));
      c.reachable = false;
    },
  ],
  [Op.Nop, () => {}],
  [Op.Block, (c, ins) => void open(c, ins, "block")],
  [
    Op.Loop,
    (c, ins) => {
      const f = open(c, ins, "loop");
      c.a.bind(f.label);
    },
  ],
  [
    Op.If,
    (c, ins) => {
      c.a.mov(eax, c.top(0, 32));
      c.pop();
      const f = open(c, ins, "if");
      f.elseLabel = c.a.newLabel("else");
      c.a.test(eax, eax);
      c.a.jcc("z", f.elseLabel);
    },
  ],
  [
    Op.Else,
    (c) => {
      const f = c.control[c.control.length - 1]!;
      if (c.reachable) c.a.jmp(f.label);
      f.thenFalls = c.reachable;
      c.a.bind(f.elseLabel!);
      f.elseSeen = true;
      c.depth = f.height + f.params;
      c.reachable = true;
    },
  ],
  [
    Op.End,
    (c) => {
      const f = c.control.pop();
      if (f === undefined) return c.fail("end without an open block");
      if (f.kind === "func") {
        if (c.reachable) emitReturn(c);
        c.reachable = false;
        return;
      }
      if (f.kind !== "loop") c.a.bind(f.label);
      if (f.kind === "if" && !f.elseSeen) c.a.bind(f.elseLabel!);
      // An if without else always reaches its end: the false condition falls through.
      c.reachable = c.reachable || (f.kind !== "loop" && f.targeted === true) || f.thenFalls === true || (f.kind === "if" && !f.elseSeen);
      c.depth = f.height + f.results;
    },
  ],
  [
    Op.Br,
    (c, ins) => {
      branch(c, target(c, ins.index!));
      c.reachable = false;
    },
  ],
  [
    Op.BrIf,
    (c, ins) => {
      c.a.mov(eax, c.top(0, 32));
      c.pop();
      const t = target(c, ins.index!);
      c.a.test(eax, eax);
      if (!needsWork(c, t)) {
        t.targeted = true;
        c.a.jcc("nz", t.label);
        return;
      }
      const skip = c.a.newLabel("br_if.skip");
      c.a.jcc("z", skip);
      branch(c, t);
      c.a.bind(skip);
    },
  ],
  [
    Op.BrTable,
    (c, ins) => {
      c.a.mov(eax, c.top(0, 32));
      c.pop();
      const depths = [...ins.labels!, ins.index!];
      // One stub per distinct target that needs moves or a return; others jump straight to their label.
      const stubs = new Map<number, Label>();
      const entry = (d: number): Label => {
        const t = target(c, d);
        if (!needsWork(c, t)) {
          t.targeted = true;
          return t.label;
        }
        let l = stubs.get(d);
        if (l === undefined) {
          l = c.a.newLabel(`br_table.${d}`);
          stubs.set(d, l);
        }
        return l;
      };
      const n = ins.labels!.length;
      const labels = depths.map(entry);
      const dflt = labels[n]!;
      if (n > 0) {
        const table = c.a.newLabel("br_table");
        c.a.cmp(eax, imm(n));
        c.a.jcc("ae", dflt);
        c.a.lea(rcx, mem(rip, { label: table }));
        c.a.movsxd(rax, mem(rcx, { index: rax, scale: 4 }, 32));
        c.a.add(rax, rcx);
        c.a.jmp(rax);
        c.a.bind(table);
        for (let i = 0; i < n; i++) c.a.dd(labels[i]!, table);
      } else {
        c.a.jmp(dflt);
      }
      for (const [d, l] of stubs) {
        c.a.bind(l);
        branch(c, target(c, d));
      }
      c.reachable = false;
    },
  ],
  [
    Op.Return,
    (c) => {
      emitReturn(c);
      c.reachable = false;
    },
  ],
];

export const controlEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
