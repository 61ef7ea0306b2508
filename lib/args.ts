import { abi_args } from "./abi";

/** The kinds of value a runtime argument may take. */
export enum ArgKind { String, Int, Bool }

/** One runtime argument the configuration declared. */
export class ArgSpec {
  constructor(readonly name: string, readonly kind: ArgKind, readonly fallback: string, readonly doc: string) {}
}

/** Runtime arguments `--name=value`, checked against the configuration's declarations. */
export class Args {
  private values: Map<string, string> = new Map();
  /** The first problem found while parsing, or "" when there is none. */
  error: string = "";

  constructor(readonly specs: ArgSpec[], raw: string[]) {
    for (let i = 0; i < specs.length; i++) this.values.set(specs[i].name, specs[i].fallback);
    for (let i = 0; i < raw.length && this.error.length == 0; i++) this.parseOne(raw[i]);
  }

  /** Reads the runtime's arguments through the ABI. */
  static fromRuntime(specs: ArgSpec[]): Args {
    return new Args(specs, Args.rawFromRuntime());
  }

  /** The NUL-separated argument strings the runtime passed. */
  static rawFromRuntime(): string[] {
    const size = abi_args(0, 0);
    const buf = new Uint8Array(<i32>size);
    abi_args(buf.dataStart, size);
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] != 0) continue;
      out.push(String.UTF8.decodeUnsafe(buf.dataStart + start, i - start));
      start = i + 1;
    }
    return out;
  }

  /** The value of a string argument. */
  string(name: string): string {
    assert(this.values.has(name), "runtime argument --" + name + " is not declared in config.ts");
    return this.values.get(name);
  }

  /** The value of an integer argument. */
  int(name: string): i64 {
    return I64.parseInt(this.string(name), 10);
  }

  /** The value of a boolean argument. */
  bool(name: string): bool {
    return this.string(name) == "true";
  }

  /** A usage text listing the declared arguments with their defaults. */
  usage(): string {
    let s = "runtime arguments:\n";
    for (let i = 0; i < this.specs.length; i++) {
      const a = this.specs[i];
      s += "  --" + a.name + "=" + (a.kind == ArgKind.Int ? "N" : a.kind == ArgKind.Bool ? "true|false" : "VALUE");
      s += "  " + a.doc + " (default: " + a.fallback + ")\n";
    }
    return s;
  }

  private parseOne(arg: string): void {
    if (!arg.startsWith("--")) {
      this.error = "runtime argument '" + arg + "' does not start with --";
      return;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
    let value = eq < 0 ? "" : arg.substring(eq + 1);
    const spec = this.find(name);
    if (spec == null) {
      this.error = "unknown runtime argument --" + name + "; " + (this.specs.length == 0 ? "this unikernel declares none" : "known: " + this.names());
      return;
    }
    if (spec.kind == ArgKind.Bool) {
      if (eq < 0) value = "true";
      if (value != "true" && value != "false") {
        this.error = "--" + name + " takes true or false, not '" + value + "'";
        return;
      }
    } else if (eq < 0) {
      this.error = "--" + name + " needs a value: --" + name + "=...";
      return;
    } else if (spec.kind == ArgKind.Int && !Args.isInt(value)) {
      this.error = "--" + name + " takes an integer, not '" + value + "'";
      return;
    }
    this.values.set(name, value);
  }

  private find(name: string): ArgSpec | null {
    for (let i = 0; i < this.specs.length; i++) if (this.specs[i].name == name) return this.specs[i];
    return null;
  }

  private names(): string {
    let s = "";
    for (let i = 0; i < this.specs.length; i++) s += (i > 0 ? ", --" : "--") + this.specs[i].name;
    return s;
  }

  private static isInt(s: string): bool {
    if (s.length == 0 || s.length > 19) return false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c == 45 && i == 0 && s.length > 1) continue; // leading '-'
      if (c < 48 || c > 57) return false;
    }
    return true;
  }
}
