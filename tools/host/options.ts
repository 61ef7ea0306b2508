// Runtime options (docs/abi.md, "Attaching host files"): arguments that start
// with --atoll- belong to the runtime and never reach the module.

/** The runtime's share of the command line and the module's. */
export interface SplitArgs {
  /** Device name -> host file, from --atoll-disk=NAME=PATH (the first one per name counts). */
  disks: Map<string, string>;
  /** Everything else, in order: what `args` returns. */
  moduleArgs: string[];
  /** The first malformed or unknown runtime option, or "" when there is none. */
  error: string;
}

const PREFIX = "--atoll-";
const DISK = "--atoll-disk=";

/** Splits `argv` into runtime options and the module's arguments. */
export function splitArgs(argv: string[]): SplitArgs {
  const disks = new Map<string, string>();
  const moduleArgs: string[] = [];
  let error = "";
  for (const a of argv) {
    if (!a.startsWith(PREFIX)) {
      moduleArgs.push(a);
      continue;
    }
    if (error !== "") continue;
    if (!a.startsWith(DISK)) {
      error = `unknown runtime option ${a}; the runtime knows --atoll-disk=NAME=PATH`;
      continue;
    }
    const rest = a.slice(DISK.length);
    const eq = rest.indexOf("=");
    if (eq <= 0) {
      error = `${a}: expected --atoll-disk=NAME=PATH`;
      continue;
    }
    const name = rest.slice(0, eq);
    if (!disks.has(name)) disks.set(name, rest.slice(eq + 1));
  }
  return { disks, moduleArgs, error };
}
