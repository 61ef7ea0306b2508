// Where inlined code is: the runtime names the function a trap happened in
// by looking its address up in atoll_functions (first match wins), so each
// stretch of code that came from an inlined function gets an entry of its
// own, listed before the functions': a trap in an inlined body, including
// its out-of-line trap stubs, names the function it was written in.

import type { Assembler, Label } from "../../x86/index.ts";
import { Ctx } from "../context.ts";
import type { TrapCode } from "../traps.ts";

/** A stretch of code that came from function `origin` (index space). */
export interface OriginRange {
  origin: number;
  start: Label;
  end: Label;
}

/** Records the ranges while a function is emitted. */
export class OriginTracker {
  readonly ranges: OriginRange[] = [];
  private current: number;
  private start: Label | null = null;

  constructor(
    private readonly a: Assembler,
    /** The function being compiled: its own code needs no range. */
    readonly self: number,
  ) {
    this.current = self;
  }

  /** The code emitted from here on came from `origin`. */
  at(origin: number): void {
    if (origin === this.current) return;
    this.close();
    this.current = origin;
    if (origin !== this.self) {
      this.start = this.a.newLabel();
      this.a.bind(this.start);
    }
  }

  get origin(): number {
    return this.current;
  }

  close(): void {
    if (this.start !== null) {
      const end = this.a.newLabel();
      this.a.bind(end);
      this.ranges.push({ origin: this.current, start: this.start, end });
      this.start = null;
    }
    this.current = this.self;
  }
}

/** Version 1's context with one set of trap stubs per function the code came from. */
export class OriginCtx extends Ctx {
  tracker: OriginTracker | null = null;
  /** By origin, in order of first use: the stub label of each trap code (by code; a handful of small numbers). */
  private readonly stubs = new Map<number, (Label | undefined)[]>();

  override trap(code: TrapCode): Label {
    const origin = this.tracker!.origin;
    let byCode = this.stubs.get(origin);
    if (byCode === undefined) {
      byCode = [];
      this.stubs.set(origin, byCode);
    }
    let l = byCode[code];
    if (l === undefined) {
      l = this.a.newLabel(`trap${code}`);
      byCode[code] = l;
    }
    return l;
  }

  /** The stubs, each group inside its function's range, in order of trap code. */
  override finishTraps(): void {
    const t = this.tracker!;
    for (const [origin, byCode] of this.stubs) {
      t.at(origin);
      for (let code = 0; code < byCode.length; code++) {
        const l = byCode[code];
        if (l === undefined) continue;
        this.a.bind(l);
        this.a.call(this.env.trapEntry(code as TrapCode));
      }
    }
    t.close();
  }
}
