// What every instruction emitter sees: the assembler, the module-wide
// facts (module.ts's ModuleEnv), the frame, the operand stack depth and
// the control stack of the function being compiled.
//
// Emitters are plain functions in tables keyed by opcode (one table per
// family of instructions); compileFunction looks each live instruction up
// and calls it.

import type { FuncType, Instr } from "../wasm/index.ts";
import { Assembler, Label, mem, rip, sym, type Mem, type MemSize } from "../x86/index.ts";
import type { Frame } from "./frame.ts";
import type { ModuleEnv } from "./env.ts";
import type { TrapCode } from "./traps.ts";

export interface ControlFrame {
  kind: "func" | "block" | "loop" | "if";
  /** Operand stack depth below the block's parameters. */
  height: number;
  params: number;
  results: number;
  /** Where a branch to this frame goes: the loop's start, or the end of anything else. */
  label: Label;
  /** if: the start of the else arm; bound at `else`, or at `end` when there is none. */
  elseLabel?: Label;
  elseSeen?: boolean;
  /** A live branch goes to `label`. */
  targeted?: boolean;
  /** if with an else: the then arm falls through to the end. */
  thenFalls?: boolean;
}

export type Emitter = (c: Ctx, ins: Instr) => void;
export type EmitterTable = ReadonlyMap<number, Emitter>;

export class Ctx {
  /** Operand stack depth: slots 0..depth-1 hold live values. */
  depth = 0;
  /**
   * Whether the code being emitted can be reached by falling through from
   * the previous instruction. The validator's `dead` marks cover whole
   * instructions; this covers the `else`/`end` after a branch, which are
   * live (their block is) but not reached from above.
   */
  reachable = true;
  readonly control: ControlFrame[] = [];
  private readonly trapLabels = new Map<TrapCode, Label>();

  constructor(
    readonly a: Assembler,
    readonly env: ModuleEnv,
    readonly frame: Frame,
    readonly type: FuncType,
    /** For messages. */
    readonly where: string,
  ) {}

  /** Slot `j` counted from the bottom of the operand stack. */
  slot(j: number, size?: MemSize): Mem {
    return this.frame.slot(j, size);
  }

  /** The value `k` below the top of the operand stack (0 = top). */
  top(k = 0, size?: MemSize): Mem {
    return this.frame.slot(this.depth - 1 - k, size);
  }

  /** Makes room for one more value and returns its slot. */
  push(size?: MemSize): Mem {
    this.depth++;
    return this.top(0, size);
  }

  pop(n = 1): void {
    this.depth -= n;
    if (this.depth < 0) throw new Error(`tools/aot: ${this.where}: operand stack underflow`);
  }

  /** The out-of-line stub that reports trap `code`; one per code per function, bound by finishTraps. */
  trap(code: TrapCode): Label {
    let l = this.trapLabels.get(code);
    if (l === undefined) {
      l = this.a.newLabel(`trap${code}`);
      this.trapLabels.set(code, l);
    }
    return l;
  }

  /**
   * The stubs are `call`s (to the module's trap entry for the code, which
   * jumps to atoll_trap) so that `[rsp]` is an address inside this
   * function: the runtime names the trapping function from it.
   */
  finishTraps(): void {
    for (const [code, l] of [...this.trapLabels].sort((x, y) => x[0] - y[0])) {
      this.a.bind(l);
      this.a.call(this.env.trapEntry(code));
    }
  }

  fail(what: string): never {
    throw new Error(`tools/aot: ${this.where}: ${what}`);
  }
}

/** Memory at a symbol (rip-relative), plus `disp`. */
export function symMem(name: string, disp = 0, size?: MemSize): Mem {
  return mem(rip, { label: sym(name), disp }, size);
}
