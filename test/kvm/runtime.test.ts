// The kvm runtime one ABI call or trap path at a time, booted under QEMU
// (KVM when usable, else TCG: the describe says which) with the hand-made
// module of test/unix/fake-module.ts, whose first runtime argument picks
// the scenario. On kvm the console and the error stream are both COM1, so
// everything arrives on QEMU's standard output.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFakeKvmImage } from "./fake-image.ts";
import { guestStatus, kvmUsable, qemuCommand } from "../../tools/build/kvm.ts";

const accel = kvmUsable() ? "kvm" : "tcg";

const dir = mkdtempSync(path.join(tmpdir(), "atoll-kvm-"));
const image = path.join(dir, "fake.kvm");
writeFakeKvmImage(image, { sourceRoots: [["examples/trap/", "where/it/lives/"]] });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function boot(args: string[]): { status: number; stdout: Buffer; ms: number } {
  const [cmd, argv] = qemuCommand(image, "32M", args, accel);
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { timeout: 30_000 });
  return { status: guestStatus(r.status ?? -1), stdout: r.stdout, ms: performance.now() - t0 };
}

describe(`kvm runtime under QEMU with ${accel.toUpperCase()}: the ABI`, () => {
  it("console_write reaches the serial port and atoll_run's return powers off with status 0", () => {
    const r = boot(["hello"]);
    expect(r.stdout.toString()).toBe("hello from a hand-made module\n");
    expect(r.status).toBe(0);
  });

  it("exit powers off with the status given (through isa-debug-exit)", () => {
    expect(boot(["exit"]).status).toBe(7);
  });

  it("args returns the command line split on spaces, each with a NUL", () => {
    const r = boot(["args", "--kind=memory", "héllo", "x"]);
    expect(r.stdout.toString()).toBe("args\0--kind=memory\0héllo\0x\0");
  });

  it("args copies at most cap bytes and still returns the whole size", () => {
    const r = boot(["argscap", "xyz", "abc"]);
    expect(r.stdout.readUInt32LE(0)).toBe("argscap\0xyz\0abc\0".length);
    expect(r.stdout.subarray(4).toString("latin1")).toBe("argsc*");
  });

  it("abort prints MESSAGE at FILE:LINE:COLUMN and exits 101", () => {
    const r = boot(["abort"]);
    expect(r.stdout.toString()).toBe("abort: boom at test/unix/fake.ts:12:34\n");
    expect(r.status).toBe(101);
  });

  it("clocks: a yield of 200 ms halts about that long; wall time is now", () => {
    const before = Date.now();
    const r = boot(["clock"]);
    const after = Date.now();
    expect(r.status).toBe(0);
    const t1 = r.stdout.readBigInt64LE(0), t2 = r.stdout.readBigInt64LE(8), wall = r.stdout.readBigInt64LE(16), ready = r.stdout.readBigInt64LE(24);
    const slept = Number(t2 - t1) / 1e6;
    expect(slept).toBeGreaterThanOrEqual(200);
    expect(slept).toBeLessThan(400);
    expect(ready).toBe(0n);
    // The CMOS RTC has a resolution of one second.
    const wallMs = Number(wall / 1_000_000n);
    expect(wallMs).toBeGreaterThanOrEqual(before - 2000);
    expect(wallMs).toBeLessThanOrEqual(after + 2000);
  });

  it("yield with a past deadline, and with i64.MAX (no devices), returns at once", () => {
    expect(boot(["yieldpast"]).stdout.toString()).toBe("ok\n");
    expect(boot(["yieldmax"]).stdout.toString()).toBe("ok\n");
  });

  it("random_seed fills the buffer, differently each boot", () => {
    const a = boot(["random"]).stdout, b = boot(["random"]).stdout;
    expect(a.length).toBe(64);
    expect(a.equals(Buffer.alloc(64))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it("atoll_memory_grow: old size, new pages mapped and writable, -1 past the maximum, 0 pages is a query", () => {
    const r = boot(["grow"]);
    expect(r.status).toBe(0);
    expect([r.stdout.readInt32LE(0), r.stdout.readInt32LE(4), r.stdout.readInt32LE(8)]).toEqual([8, -1, 9]);
  });
});

describe(`kvm runtime under QEMU with ${accel.toUpperCase()}: traps`, () => {
  const cases: [scenario: string, message: string][] = [
    ["memory", "trap: out of bounds memory access in readPastTheEnd (where/it/lives/unikernel.ts)\n"],
    ["recurse", "trap: call stack exhausted in recurse (where/it/lives/unikernel.ts)\n"],
    ["guard", "trap: call stack exhausted in unchecked\n"], // no stack check: the guard page's fault
    ["divide", "trap: integer divide by zero in divide\n"],
    ["unreachable", "trap: unreachable executed in unreachable_here\n"],
    ["oob", "trap: out of bounds memory access in atoll_run\n"],
    // unreachable after a refused memory.grow (the allocator's way of failing): out of memory, with the heap's size.
    ["oom", "trap: out of memory: the heap is 0.6 MiB (9 pages) and could not grow by 1 page, in unreachable_here\n"],
    ["oomgrown", "trap: unreachable executed in unreachable_here\n"],
    ["oommemory", "trap: out of bounds memory access in readPastTheEnd (where/it/lives/unikernel.ts)\n"],
  ];
  it.each(cases)("%s: reported by name, status 102", (scenario, message) => {
    const r = boot([scenario]);
    expect(r.stdout.toString()).toBe(message);
    expect(r.status).toBe(102);
  });

  it("a write to page 0 (unmapped) is a runtime fault with the exception, rip and address, status 102", () => {
    const r = boot(["wild"]);
    expect(r.stdout.toString()).toMatch(/^atoll runtime fault: exception 14 \(error code 0x2\) at rip 0x1[0-9a-f]+, address 0x10\n$/);
    expect(r.status).toBe(102);
  });
});
