// An AssemblyScript program (asc -O3, the incremental GC, arrays, strings,
// maps, closures-free sorting, Math) compiled by tools/aot: every export,
// run natively, returns what V8 returns.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compare, type Case } from "./harness.ts";

const PROGRAM = `
function fail(msg: usize, file: usize, line: u32, col: u32): void { unreachable(); }

export function fib(n: i32): i64 {
  let a: i64 = 0, b: i64 = 1;
  for (let i = 0; i < n; i++) { const t = a + b; a = b; b = t; }
  return a;
}

export function sortHash(n: i32): i32 {
  const arr = new Array<i32>(n);
  let x: u32 = 12345;
  for (let i = 0; i < n; i++) { x = x * 1103515245 + 12345; arr[i] = <i32>(x >> 8) - 0x400000; }
  arr.sort((a, b) => a - b);
  let h: i32 = 0;
  for (let i = 0; i < n; i++) h = h * 31 + arr[i];
  return h;
}

export function strings(n: i32): i32 {
  let s = "";
  for (let i = 0; i < n; i++) s += i.toString() + ",";
  const parts = s.split(",");
  let h = parts.length;
  for (let i = 0; i < s.length; i++) h = h * 33 + s.charCodeAt(i);
  return h + s.indexOf("99") + s.replaceAll("1", "one").length;
}

export function floats(x: f64): f64 {
  return Math.sqrt(x) + Math.floor(x * 1.5) + Math.sin(x) + Math.pow(x, 0.3) + Math.log(x + 1)
    + <f64>(<i64>(x * 1e6)) + Math.max(x, -0.0) + <f64>Mathf.round(<f32>x) + nearest(x) + parseFloat(x.toString());
}

export function maps(n: i32): i32 {
  const m = new Map<i32, i32>();
  for (let i = 0; i < n; i++) m.set(i * 7 % 101, i);
  const s = new Set<string>();
  for (let i = 0; i < n; i++) s.add((i % 13).toString());
  let sum = 0;
  for (let i = 0; i < 101; i++) if (m.has(i)) sum += m.get(i);
  return sum + m.size * 1000 + s.size;
}

class Node { constructor(public value: i32, public next: Node | null) {} }

export function garbage(n: i32): i32 {
  let keep: Node | null = null;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const tmp = new Array<Node>(8);
    for (let j = 0; j < 8; j++) tmp[j] = new Node(i + j, null);
    if (i % 100 == 0) keep = new Node(i, keep);
    total += tmp[i & 7].value;
  }
  let p = keep;
  while (p) { total += p.value; p = p.next; }
  return total;
}

export function bytes(n: i32): u32 {
  const buf = new Uint8Array(n);
  for (let i = 0; i < n; i++) buf[i] = <u8>(i * 13);
  buf.copyWithin(3, 0, n - 3);
  buf.fill(7, n / 2, n / 2 + 10);
  let crc: u32 = 0xffffffff;
  for (let i = 0; i < n; i++) {
    crc ^= buf[i];
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc;
}
`;

let dir = "";
let wasm: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "atoll-aot-as-"));
  writeFileSync(path.join(dir, "program.ts"), PROGRAM);
  const asc = path.resolve(import.meta.dirname, "..", "..", "node_modules", ".bin", "asc");
  execFileSync(asc, ["program.ts", "-o", "program.wasm", "-O3", "--runtime", "incremental", "--use", "abort=program/fail"], { cwd: dir });
  wasm = new Uint8Array(readFileSync(path.join(dir, "program.wasm")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aot: an AssemblyScript program", () => {
  it("returns what V8 returns from every export", async () => {
    const cases: Case[] = [
      ...[0, 1, 50, 92].map((n): Case => ({ fn: "fib", args: [n] })),
      ...[1, 10, 1000, 20000].map((n): Case => ({ fn: "sortHash", args: [n] })),
      ...[0, 5, 300].map((n): Case => ({ fn: "strings", args: [n] })),
      ...[0, 0.5, 2, 1e6, 12345.678].map((x): Case => ({ fn: "floats", args: [x] })),
      ...[10, 1000].map((n): Case => ({ fn: "maps", args: [n] })),
      ...[10, 20000].map((n): Case => ({ fn: "garbage", args: [n] })),
      ...[64, 5000].map((n): Case => ({ fn: "bytes", args: [n] })),
    ];
    expect(await compare(wasm, cases)).toEqual([]);
  });
});
