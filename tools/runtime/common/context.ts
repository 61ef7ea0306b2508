// What every runtime's code emission shares: the object being built, the
// names of the output helpers, rip-relative references, constant strings.
import { edi, edx, imm, mem, rip, rsi, sym, type Assembler, type Gpr, type Mem, type MemSize } from "../../x86/index.ts";
import { ObjectBuilder } from "../object-builder.ts";

/** Symbols of the output helpers (common/print.ts and each runtime's write_all). */
export const PRINT_NAMES = {
  functions: "atoll_functions",
  functionsCount: "atoll_functions:count",
  hexDigits: "atoll_rt:hex_digits",
  roots: "atoll_rt:roots",
  rootsCount: "atoll_rt:roots:count",
  writeAll: "atoll_rt:write_all",
  writeDec: "atoll_rt:write_dec",
  writeHex: "atoll_rt:write_hex",
  writeFunction: "atoll_rt:write_function",
  writePath: "atoll_rt:write_path",
  findFunction: "atoll_rt:find_function",
} as const;

/** The emission context of one runtime; `roots` map compiled-in source paths for trap reports. */
export class RuntimeCtx {
  readonly b: ObjectBuilder;
  readonly a: Assembler;
  private readonly strings = new Map<string, { name: string; length: number }>();

  constructor(readonly roots: readonly (readonly [string, string])[]) {
    this.b = new ObjectBuilder("atoll_rt");
    this.a = this.b.text;
  }

  /** A rip-relative reference to a symbol. */
  at(name: string, size?: MemSize, disp = 0): Mem {
    return mem(rip, { label: sym(name), disp }, size);
  }

  /** The symbol of a constant string (one copy per distinct text). */
  str(text: string): { name: string; length: number } {
    let s = this.strings.get(text);
    if (s === undefined) {
      const name = `atoll_rt:str:${this.strings.size}`;
      s = { name, length: this.b.string(name, text) };
      this.strings.set(text, s);
    }
    return s;
  }

  /** write_all(fd, text): clobbers what an rt call clobbers. */
  writeStr(fd: number | Gpr, text: string): void {
    const s = this.str(text);
    this.a.mov(edi, typeof fd === "number" ? imm(fd) : fd);
    this.a.lea(rsi, this.at(s.name));
    this.a.mov(edx, imm(s.length));
    this.a.call(sym(PRINT_NAMES.writeAll));
  }
}
