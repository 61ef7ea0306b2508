// The block calls of docs/abi.md on both runtimes at the ABI itself, below
// the driver (which makes most checks first, so the runtimes' own checks
// would otherwise go untested): one hand-written module calls them with good
// and bad arguments and writes every result out; the Node host and the unix
// runtime must give the same list, and the file must hold what was written.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { wat2wasm } from "../aot/harness.ts";
import { decodeModule, validateModule } from "../../tools/wasm/index.ts";
import { compileModule } from "../../tools/aot/index.ts";
import { link } from "../../tools/link/index.ts";
import { unixRuntime } from "../../tools/runtime/unix/index.ts";
import { runUnikernel } from "../../tools/host/runner.ts";

// Each (r EXPR) stores an i32 result at the next slot from 1024; atoll_run prints them all.
const calls: [string, number][] = [
  [`(call $open (i32.const 8) (i32.const 4) (i32.const 0))`, -1], // "nope": not attached
  [`(call $open (i32.const 16) (i32.const 3) (i32.const 0))`, -2], // "bad": a missing file
  [`(call $open (i32.const 0) (i32.const 1) (i32.const 0))`, 0], // "d" read-write
  [`(call $open (i32.const 0) (i32.const 1) (i32.const 1))`, 1], // "d" read-only
  [`(call $info (i32.const 0) (i32.const 512))`, 0],
  [`(i32.load (i32.const 512))`, 4], // sectors, low half: 4 sectors and 100 bytes
  [`(i32.load (i32.const 516))`, 0],
  [`(i32.load (i32.const 520))`, 512],
  [`(i32.load (i32.const 524))`, 0],
  [`(call $info (i32.const 1) (i32.const 528))`, 0],
  [`(i32.load (i32.const 540))`, 1], // read-only flag
  [`(call $info (i32.const 7) (i32.const 512))`, 5],
  [`(call $read (i32.const 9) (i64.const 0) (i32.const 2048) (i32.const 512))`, 5],
  [`(call $read (i32.const -1) (i64.const 0) (i32.const 2048) (i32.const 512))`, 5],
  [`(call $read (i32.const 0) (i64.const 0) (i32.const 2048) (i32.const 100))`, 2],
  [`(call $read (i32.const 0) (i64.const 4) (i32.const 2048) (i32.const 100))`, 2], // unaligned before range
  [`(call $read (i32.const 0) (i64.const 4) (i32.const 2048) (i32.const 512))`, 1],
  [`(call $read (i32.const 0) (i64.const -1) (i32.const 2048) (i32.const 512))`, 1],
  [`(call $read (i32.const 0) (i64.const 3) (i32.const 2048) (i32.const 1024))`, 1],
  [`(call $read (i32.const 0) (i64.const 4) (i32.const 2048) (i32.const 0))`, 0],
  [`(call $read (i32.const 0) (i64.const 5) (i32.const 2048) (i32.const 0))`, 1],
  [`(call $write (i32.const 1) (i64.const 0) (i32.const 2048) (i32.const 512))`, 3],
  [`(call $write (i32.const 1) (i64.const 9) (i32.const 2048) (i32.const 512))`, 1], // range before read-only
  [`(call $flush (i32.const 1))`, 3],
  [`(call $flush (i32.const 5))`, 5],
  [`(block (result i32) (memory.fill (i32.const 2048) (i32.const 0xab) (i32.const 1024)) (call $write (i32.const 0) (i64.const 2) (i32.const 2048) (i32.const 1024)))`, 0],
  [`(call $flush (i32.const 0))`, 0],
  [`(call $read (i32.const 1) (i64.const 2) (i32.const 4096) (i32.const 1024))`, 0],
  [`(i32.load (i32.const 4096))`, 0xabababab | 0],
  [`(i32.load (i32.const 5116))`, 0xabababab | 0],
  [`(call $read (i32.const 0) (i64.const 0) (i32.const 4096) (i32.const 512))`, 0],
  [`(i32.load (i32.const 4096))`, 0x01010101],
];

const wat = `(module
  (import "atoll" "console_write" (func $cw (param i32 i32)))
  (import "atoll" "block_open" (func $open (param i32 i32 i32) (result i32)))
  (import "atoll" "block_info" (func $info (param i32 i32) (result i32)))
  (import "atoll" "block_read" (func $read (param i32 i64 i32 i32) (result i32)))
  (import "atoll" "block_write" (func $write (param i32 i64 i32 i32) (result i32)))
  (import "atoll" "block_flush" (func $flush (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "d")
  (data (i32.const 8) "nope")
  (data (i32.const 16) "bad")
  (global $p (mut i32) (i32.const 1024))
  (func $r (param i32) (i32.store (global.get $p) (local.get 0)) (global.set $p (i32.add (global.get $p) (i32.const 4))))
  (func $run
    ${calls.map(([e]) => `(call $r ${e})`).join("\n    ")}
    (call $cw (i32.const 1024) (i32.sub (global.get $p) (i32.const 1024))))
  (func (export "atoll_abi_version") (result i32) (i32.const 1))
  (func (export "_initialize"))
  (func (export "atoll_init"))
  (func (export "atoll_run") (call $run))
  (func (export "atoll_step") (param i64) (result i64) (call $run) (i64.const -1)))`;

function disk(): { dir: string; file: string; args: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-blockabi-"));
  const file = path.join(dir, "d.img");
  writeFileSync(file, Buffer.alloc(4 * 512 + 100, 1));
  return { dir, file, args: [`--atoll-disk=d=${file}`, `--atoll-disk=bad=${dir}/missing.img`, "--atoll-disk=d=/ignored/second"] };
}

function results(out: Buffer): number[] {
  return [...new Int32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.length))];
}

function checkFile(file: string): void {
  const b = readFileSync(file);
  expect(b.length).toBe(4 * 512 + 100);
  expect(b.subarray(0, 1024).every((x) => x === 1)).toBe(true);
  expect(b.subarray(1024, 2048).every((x) => x === 0xab)).toBe(true);
  expect(b.subarray(2048).every((x) => x === 1)).toBe(true);
}

/** The module with a read into the last 256 bytes of memory and beyond, first. */
function oobModule(): Uint8Array {
  return wat2wasm(wat.replace(`(call $r (call $open (i32.const 8)`, `(call $r (call $read (i32.const 0) (i64.const 0) (i32.const 65280) (i32.const 512)))\n    (call $r (call $open (i32.const 8)`)
    .replace(`(func $run`, `(func $run (drop (call $open (i32.const 0) (i32.const 1) (i32.const 0)))`));
}

describe("block calls at the ABI, on both runtimes", () => {
  const wasm = wat2wasm(wat);
  const want = calls.map(([, v]) => v);

  it("node: every result code as docs/abi.md says", async () => {
    const d = disk();
    const out: Uint8Array[] = [];
    let err = "";
    const status = await runUnikernel(wasm, { args: d.args, stdout: (b) => out.push(b), stderr: (t) => { err += t; } });
    expect(status).toBe(0);
    expect(results(Buffer.concat(out))).toEqual(want);
    expect(err).toMatch(/^atoll: disk 'bad': cannot open .*missing\.img: ENOENT/);
    checkFile(d.file);
  });

  it("node: a buffer outside linear memory is a trap", async () => {
    const d = disk();
    let err = "";
    const status = await runUnikernel(oobModule(), { args: d.args, stdout: () => {}, stderr: (t) => { err += t; } });
    expect(err).toContain("trap: out of bounds memory access");
    expect(status).toBe(102);
  });

  it("unix: the same results, and a buffer outside linear memory is a trap", () => {
    const m = decodeModule(wasm);
    validateModule(m);
    const image = link([{ name: "m.wasm", object: compileModule(m, { name: "m.wasm" }) }, { name: "unix runtime", object: unixRuntime() }], { entry: "_start" }).image;
    const d = disk();
    const exe = path.join(d.dir, "abi");
    writeFileSync(exe, image);
    chmodSync(exe, 0o755);
    const r = spawnSync(exe, d.args, { timeout: 10_000 });
    expect(r.stderr.toString()).toMatch(/^atoll: disk 'bad': cannot open .*missing\.img: ENOENT: no such file or directory\n$/);
    expect(r.status).toBe(0);
    expect(results(r.stdout)).toEqual(want);
    checkFile(d.file);

    const m2 = decodeModule(oobModule());
    validateModule(m2);
    writeFileSync(exe, link([{ name: "m.wasm", object: compileModule(m2, { name: "m.wasm" }) }, { name: "unix runtime", object: unixRuntime() }], { entry: "_start" }).image);
    const t = spawnSync(exe, d.args, { timeout: 10_000 });
    expect(t.stderr.toString()).toContain("trap: out of bounds memory access");
    expect(t.status).toBe(102);
  });
});
