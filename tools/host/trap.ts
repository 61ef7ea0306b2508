// Turns an exception that escaped the wasm module into the ABI's trap report:
// "trap: KIND in FUNCTION at FILE:LINE".
import type { WasmSourceMap } from "./sourcemap.ts";

/** V8's trap messages and the ABI's name for each. */
const KINDS: [RegExp, string][] = [
  [/unreachable/, "unreachable executed"],
  [/memory access out of bounds/, "out of bounds memory access"],
  [/table index is out of bounds|table access/, "out of bounds table access"],
  [/divide by zero|remainder by zero/, "integer divide by zero"],
  [/divide result unrepresentable|integer overflow/, "integer overflow"],
  [/float unrepresentable|invalid conversion/, "invalid conversion to integer"],
  [/null function|signature mismatch|function signature/, "indirect call type mismatch"],
  [/Maximum call stack size exceeded/, "call stack exhausted"],
];

/** One line describing a trap, or null when `e` is not a trap of the module. */
export function describeTrap(e: unknown, map: WasmSourceMap | null, ranges: Map<number, [number, number]>, root: (source: string) => string): string | null {
  const isRuntime = e instanceof WebAssembly.RuntimeError;
  const isStack = e instanceof RangeError && /call stack/.test(e.message);
  if (!isRuntime && !isStack) return null;
  const err = e as Error;
  const kind = KINDS.find(([re]) => re.test(err.message))?.[1] ?? err.message;
  // The innermost wasm frame: "at NAME (wasm://wasm/HASH:wasm-function[N]:0xOFF)".
  const frame = /at (?:(\S+) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?/.exec(err.stack ?? "");
  if (!frame) return `trap: ${kind}`;
  const fn = frame[1] ?? `function ${frame[2]}`;
  const range = ranges.get(Number(frame[2]));
  const pos = map && range ? map.lookup(parseInt(frame[3]!, 16), range[0], range[1]) : null;
  return `trap: ${kind} in ${displayName(fn, root)}${pos ? ` at ${root(pos.source)}:${pos.line}` : ""}`;
}

/** asc names functions "file/path/name" (the path without .ts); show "name (file/path.ts)". */
function displayName(fn: string, root: (source: string) => string): string {
  const slash = fn.lastIndexOf("/");
  return slash < 0 ? fn : `${fn.slice(slash + 1)} (${root(fn.slice(0, slash))}.ts)`;
}
