// Command-line parsing from a table of flags: each command lists the flags
// it takes; anything else is a usage error (exit 2) naming the flag.
import { UserError } from "../errors.ts";
import { suggest } from "../config/validate.ts";

/** A flag a command accepts. */
export interface FlagSpec {
  name: string;
  short?: string;
  /** Takes a value (`-t node`, `--target=node`). */
  value: boolean;
  /** May be given several times (values are collected). */
  repeat?: boolean;
  help: string;
}

/** Parsed arguments. */
export interface Parsed {
  flags: Map<string, string[]>;
  positional: string[];
  /** What follows `--`: passed to the unikernel as runtime arguments. */
  rest: string[];
}

/** Parses `argv` against `specs`; `command` names the command in errors. */
export function parseArgs(command: string, argv: string[], specs: FlagSpec[]): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  let rest: string[] = [];
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set("--" + s.name, s);
    if (s.short) byName.set("-" + s.short, s);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest = argv.slice(i + 1);
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 && a.startsWith("--") ? a.slice(0, eq) : a;
    const spec = byName.get(key);
    if (!spec) {
      const names = [...byName.keys()].filter((k) => k.startsWith("--"));
      throw new UserError(`unknown option ${key}${suggest(key, names)}; see 'atoll ${command} --help'`, 2);
    }
    let value = "";
    if (spec.value) {
      if (eq > 0 && a.startsWith("--")) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UserError(`${key} needs a value`, 2);
    } else if (eq > 0) {
      throw new UserError(`${key} takes no value`, 2);
    }
    const list = flags.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UserError(`${key} given twice`, 2);
    list.push(value);
    flags.set(spec.name, list);
  }
  return { flags, positional, rest };
}
