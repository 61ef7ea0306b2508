// What an application's config.ts imports as "atoll/config": builders of
// plain data describing the unikernel, as MirageOS's config.ml describes one.
// The CLI evaluates config.ts, then checks the data it exported (validate.ts):
// nothing here may depend on the rest of tools/.

/** A device the application's `start` function receives, in the order listed. */
export type Device =
  | { kind: "console" }
  | { kind: "clock" }
  | { kind: "timers" }
  | { kind: "args" }
  | { kind: "block"; name: string; size?: string; readOnly?: boolean }
  | { kind: "net"; name: string }
  | ({ kind: "stack"; name: string } & StackOptions)
  | { kind: "kvRo"; name: string; dir: string };

/**
 * The bounds of a network stack (lib/net/stack-limits.ts). Each left out is
 * derived from the unikernel's `memory` (tools/configure/stack-limits.ts).
 */
export interface StackOptions {
  /** TCP connections open at once (TIME-WAIT excluded); beyond it new ones are turned away after the application was asked to shed an idle one. */
  maxConnections?: number;
  /** Connections kept in TIME-WAIT; beyond it the oldest ends early. */
  maxTimeWait?: number;
  /** Memory all connection buffers may take together (TCP's and the application's per-connection ones), e.g. "12M". */
  bufferMemory?: string;
  /** Each direction's buffer of one connection, at most, e.g. "64K". */
  connectionBuffer?: string;
}

/** A runtime argument, given as `--name=value` after `--` on `atoll run`. */
export type Arg =
  | { type: "string"; default: string; doc: string }
  | { type: "int"; default: number; doc: string }
  | { type: "bool"; default: boolean; doc: string };

/** The description of one unikernel. */
export interface Unikernel {
  /** Name of the artefact (dist/NAME...): letters, digits, '-' and '_'. */
  name: string;
  /** The AssemblyScript file that exports `start`, relative to config.ts. */
  main: string;
  /** Devices passed to `start`, in order. */
  devices: Device[];
  /** Runtime arguments with their defaults. */
  args?: Record<string, Arg>;
  /** Memory for the unikernel, e.g. "16M": kvm's guest RAM (default "32M"); when given, also the most linear memory may grow to on every target (unix and node default to wasm32's 4 GiB). */
  memory?: string;
}

/** Declares the unikernel; config.ts exports the result as its default. */
export function unikernel(u: Unikernel): Unikernel {
  return u;
}

/** Device builders. */
export const device = {
  /** Text output: stdout on unix and node, the serial port on kvm. */
  console: (): Device => ({ kind: "console" }),
  /** Monotonic and wall clocks. */
  clock: (): Device => ({ kind: "clock" }),
  /** The event loop's timers. */
  timers: (): Device => ({ kind: "timers" }),
  /** The runtime arguments declared in `args`. */
  args: (): Device => ({ kind: "args" }),
  /** A block device; `atoll run --disk NAME=PATH` attaches a file to it. */
  block: (name: string, options: { size?: string; readOnly?: boolean } = {}): Device => ({ kind: "block", name, ...options }),
  /** A network interface. */
  net: (name: string): Device => ({ kind: "net", name }),
  /** A UDP/TCP stack (lib/net/stack.ts): lib/net's over the network device NAME (unix, kvm), the host's sockets (node); `options` bound its connections and memory. */
  stack: (name: string, options: StackOptions = {}): Device => ({ kind: "stack", name, ...options }),
  /** A read-only key-value store of the files under `dir` (relative to config.ts), embedded at build time. */
  kvRo: (name: string, dir: string): Device => ({ kind: "kvRo", name, dir }),
};

/** Runtime argument builders. */
export const arg = {
  /** A string argument. */
  string: (fallback: string, doc: string): Arg => ({ type: "string", default: fallback, doc }),
  /** An integer argument. */
  int: (fallback: number, doc: string): Arg => ({ type: "int", default: fallback, doc }),
  /** A boolean argument: `--name`, `--name=true` or `--name=false`. */
  bool: (fallback: boolean, doc: string): Arg => ({ type: "bool", default: fallback, doc }),
};
