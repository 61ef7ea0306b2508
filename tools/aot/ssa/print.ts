// The IR as text, for messages, tests and `ATOLL_AOT_DUMP`.

import { opNameOf } from "../../wasm/index.ts";
import { IrOp, type Inst, type IrFunction, type Terminator } from "./ir.ts";

function inst(i: Inst): string {
  const lhs = i.type === null ? "" : `v${i.id}:${i.type} = `;
  const args = i.args.map((a) => `v${a}`).join(", ");
  switch (i.op) {
    case IrOp.Const:
      return `${lhs}const 0x${i.bits.toString(16)}`;
    case IrOp.Param:
      return `${lhs}param ${i.index}`;
    case IrOp.Phi:
      return `${lhs}phi ${args}`;
    case IrOp.CallResult:
      return `${lhs}result ${i.index}`;
  }
  const imm = i.ins?.memarg ? ` offset=${i.ins.memarg.offset}` : i.ins?.index !== undefined ? ` ${i.ins.index}` : "";
  return `${lhs}${opNameOf(i.op)}${imm} ${args}`.trimEnd();
}

function term(t: Terminator): string {
  switch (t.kind) {
    case "jump":
      return `jump b${t.target}`;
    case "branch":
      return `branch v${t.cond} b${t.then} b${t.else}`;
    case "switch":
      return `switch v${t.index} [${t.targets.map((b) => `b${b}`).join(" ")}] b${t.default}`;
    case "return":
      return `return ${t.values.map((v) => `v${v}`).join(", ")}`.trimEnd();
    case "unreachable":
      return "unreachable";
  }
}

export function printIr(f: IrFunction): string {
  const out: string[] = [`${f.where}`];
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    out.push(`b${id}: preds [${b.preds.map((p) => `b${p}`).join(" ")}] depth ${b.loopDepth}`);
    for (const i of [...b.phis, ...b.insts]) out.push(`  ${inst(i)}`);
    out.push(`  ${term(b.term)}`);
  }
  return out.join("\n");
}
