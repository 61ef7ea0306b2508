// The block devices of the node target: the driver through the Node host
// (contract.ts), crash consistency over 200 kill points as on every target
// (about 40 s: a Node process takes ~100 ms to start; crash.ts), and the host's block calls
// on their own, including the checks the driver makes first.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BLOCK, CANNOT_OPEN, NOT_ATTACHED, blockImports } from "../../tools/host/block.ts";
import { splitArgs } from "../../tools/host/options.ts";
import { contractSuite } from "./contract.ts";
import { crashTest } from "./crash.ts";

contractSuite("node");

describe("kv on node: crash consistency", () => {
  crashTest("node", 200, 250);
});

describe("Node host block calls (docs/abi.md)", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-hostblock-"));
  const file = path.join(dir, "d.img");
  writeFileSync(file, Buffer.alloc(4 * 512 + 100));
  const errors: string[] = [];
  type Fn = (...a: (number | bigint)[]) => number;
  const calls = blockImports({ memory: () => memory, disks: new Map([["d", file], ["gone", path.join(dir, "none")]]), stderr: (t) => errors.push(t) }) as unknown as Record<string, Fn>;
  const name = (s: string): [number, number] => {
    const b = Buffer.from(s);
    new Uint8Array(memory.buffer).set(b, 0);
    return [0, b.length];
  };

  it("opens by name, reports what is missing, and describes a device in 16 bytes", () => {
    expect(calls.block_open!(...name("nope"), 0)).toBe(NOT_ATTACHED);
    expect(calls.block_open!(...name("gone"), 0)).toBe(CANNOT_OPEN);
    expect(errors.join("")).toMatch(/^atoll: disk 'gone': cannot open .*none: ENOENT/);
    const rw = calls.block_open!(...name("d"), 0), ro = calls.block_open!(...name("d"), 1);
    expect([rw, ro]).toEqual([0, 1]);
    expect(calls.block_info!(ro, 64)).toBe(BLOCK.ok);
    const v = new DataView(memory.buffer, 64, 16);
    expect([v.getBigUint64(0, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([4n, 512, 1]);
    expect(calls.block_info!(7, 64)).toBe(BLOCK.badHandle);
  });

  it("checks handle, length, range and read-only in the ABI's order", () => {
    expect(calls.block_read!(9, 0n, 1024, 512)).toBe(BLOCK.badHandle);
    expect(calls.block_read!(0, 0n, 1024, 100)).toBe(BLOCK.unaligned);
    expect(calls.block_read!(0, 4n, 1024, 512)).toBe(BLOCK.outOfRange);
    expect(calls.block_read!(0, -1n, 1024, 512)).toBe(BLOCK.outOfRange);
    expect(calls.block_read!(0, 3n, 1024, 1024)).toBe(BLOCK.outOfRange);
    expect(calls.block_read!(0, 4n, 1024, 0)).toBe(BLOCK.ok);
    expect(calls.block_write!(1, 0n, 1024, 512)).toBe(BLOCK.readOnly);
    expect(calls.block_write!(1, 9n, 1024, 512)).toBe(BLOCK.outOfRange);
    expect(calls.block_flush!(1)).toBe(BLOCK.readOnly);
    expect(calls.block_flush!(5)).toBe(BLOCK.badHandle);
    new Uint8Array(memory.buffer).fill(0xab, 1024, 2048);
    expect(calls.block_write!(0, 2n, 1024, 1024)).toBe(BLOCK.ok);
    expect(calls.block_flush!(0)).toBe(BLOCK.ok);
    expect(calls.block_read!(1, 2n, 4096, 1024)).toBe(BLOCK.ok);
    expect(new Uint8Array(memory.buffer, 4096, 1024).every((b) => b === 0xab)).toBe(true);
  });

  it("splits --atoll- options from the module's arguments", () => {
    expect(splitArgs(["--a=1", "--atoll-disk=x=/p=q", "b", "--atoll-disk=x=/other"])).toEqual({ disks: new Map([["x", "/p=q"]]), moduleArgs: ["--a=1", "b"], error: "" });
    expect(splitArgs(["--atoll-nope"]).error).toBe("unknown runtime option --atoll-nope; the runtime knows --atoll-disk=NAME=PATH");
    expect(splitArgs(["--atoll-disk=x"]).error).toBe("--atoll-disk=x: expected --atoll-disk=NAME=PATH");
  });
});
