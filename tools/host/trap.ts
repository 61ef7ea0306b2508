// Turns an exception that escaped the wasm module into the ABI's trap report:
// "trap: KIND in FUNCTION at FILE:LINE". An `unreachable` in AssemblyScript's
// runtime (~lib/rt/: TLSF and the stub allocator, whose only `unreachable`s
// follow a refused memory.grow) is reported as out of memory with the heap's
// size, as the native runtimes report it (tools/runtime/common/out-of-memory.ts);
// V8 does not say by how much the grow was refused, so the line does not either.
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

/** Where AssemblyScript's runtime lives: function names and source paths under it. */
const ALLOCATOR = "~lib/rt/";
const PAGE = 65536;

/**
 * One line describing a trap, or null when `e` is not a trap of the module;
 * `heapBytes` is the size of linear memory when it trapped.
 */
export function describeTrap(e: unknown, map: WasmSourceMap | null, ranges: Map<number, [number, number]>, root: (source: string) => string, heapBytes: number): string | null {
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
  const where = `${displayName(fn, root)}${pos ? ` at ${root(pos.source)}:${pos.line}` : ""}`;
  const inAllocator = fn.startsWith(ALLOCATOR) || (pos?.source.startsWith(ALLOCATOR) ?? false);
  if (kind === "unreachable executed" && inAllocator) return `trap: ${outOfMemory(heapBytes)}, in ${where}`;
  return `trap: ${kind} in ${where}`;
}

/** "out of memory: the heap is 16.0 MiB (256 pages) and could not grow": the native runtimes' words, without the delta. */
function outOfMemory(heapBytes: number): string {
  const pages = Math.floor(heapBytes / PAGE);
  return `out of memory: the heap is ${(heapBytes / (1024 * 1024)).toFixed(1)} MiB (${pages} page${pages === 1 ? "" : "s"}) and could not grow`;
}

/** asc names functions "file/path/name" (the path without .ts); show "name (file/path.ts)". */
function displayName(fn: string, root: (source: string) => string): string {
  const slash = fn.lastIndexOf("/");
  return slash < 0 ? fn : `${fn.slice(slash + 1)} (${root(fn.slice(0, slash))}.ts)`;
}
