// The unix runtime, one ABI call or trap path at a time, driven by the
// hand-made module of fake-module.ts (each scenario is its first argument).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFake } from "./fake-module.ts";
import { ERRNOS } from "../../tools/runtime/unix/errno.ts";

const exe = buildFake({}, { sourceRoots: [["examples/trap/", "where/it/lives/"]] });
afterAll(() => rmSync(path.dirname(exe), { recursive: true, force: true }));

/** Runs the module with `args`; `prefix` (e.g. chrt) runs it through another command. */
function run(args: string[], file = exe, prefix: string[] = []): { status: number | null; signal: string | null; stdout: Buffer; stderr: string; ms: number } {
  const t0 = performance.now();
  const argv = [...prefix, file, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { timeout: 10_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString(), ms: performance.now() - t0 };
}

describe("unix runtime: the ABI", () => {
  it("console_write writes to standard output and atoll_run's return exits 0", () => {
    const r = run(["hello"]);
    expect(r.stdout.toString()).toBe("hello from a hand-made module\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("console_write keeps writing through a pipe that is slow to drain", () => {
    // 'args' echoes its arguments: make them large, so write() returns short counts.
    const big = "x".repeat(100_000);
    const r = run(["args", big, big]);
    expect(r.stdout.length).toBe(5 + 2 * (big.length + 1));
  });

  it("exit ends the process with the status given", () => {
    expect(run(["exit"]).status).toBe(7);
  });

  it("args returns argv[1..], each followed by NUL, bytes kept as they are", () => {
    const r = run(["args", "--kind=memory", "", "héllo wörld", "a b"]);
    expect(r.stdout.toString()).toBe("args\0--kind=memory\0\0héllo wörld\0a b\0");
  });

  it("args copies at most cap bytes and still returns the whole size", () => {
    const r = run(["argscap", "xyz", "abc"]);
    expect(r.stdout.readUInt32LE(0)).toBe("argscap\0xyz\0abc\0".length);
    expect(r.stdout.subarray(4).toString("latin1")).toBe("argsc*");
  });

  it("abort prints MESSAGE at FILE:LINE:COLUMN on standard error and exits 101", () => {
    const r = run(["abort"]);
    expect(r.stderr).toBe("abort: boom at test/unix/fake.ts:12:34\n");
    expect(r.status).toBe(101);
  });

  it("clocks: monotonic advances across a yield of 200 ms, which sleeps about that long; wall is now", () => {
    const before = Date.now();
    // At a real-time priority: the upper bound is on the runtime's sleep, not
    // on how long a busy machine leaves a woken process waiting for a CPU
    // (494 ms seen beside other tests at the normal priority).
    // A container may refuse real-time scheduling even to root: then the
    // normal priority, and the bound holds on a machine that is not overloaded.
    const rt = spawnSync("chrt", ["-f", "10", "true"]).status === 0;
    const r = run(["clock"], exe, rt ? ["chrt", "-f", "10"] : []);
    const after = Date.now();
    expect(r.status, r.stderr).toBe(0);
    const t1 = r.stdout.readBigInt64LE(0), t2 = r.stdout.readBigInt64LE(8), wall = r.stdout.readBigInt64LE(16), ready = r.stdout.readBigInt64LE(24);
    const slept = Number(t2 - t1) / 1e6;
    expect(slept).toBeGreaterThanOrEqual(200);
    expect(slept).toBeLessThan(400);
    expect(ready).toBe(0n);
    const wallMs = Number(wall / 1_000_000n);
    expect(wallMs).toBeGreaterThanOrEqual(before - 5);
    expect(wallMs).toBeLessThanOrEqual(after + 5);
  });

  it("yield with a past deadline returns at once", () => {
    const r = run(["yieldpast"]);
    expect(r.stdout.toString()).toBe("ok\n");
    expect(r.ms).toBeLessThan(1000);
  });

  it("yield(i64.MAX) with no devices returns instead of sleeping forever", () => {
    const r = run(["yieldmax"]);
    expect(r.stdout.toString()).toBe("ok\n");
    expect(r.status).toBe(0);
  });

  it("random_seed fills the buffer, differently each run", () => {
    const a = run(["random"]).stdout, b = run(["random"]).stdout;
    expect(a.length).toBe(64);
    expect(a.equals(Buffer.alloc(64))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it("atoll_memory_grow: old size, new pages writable, -1 past the maximum, 0 pages is a query", () => {
    const r = run(["grow"]);
    expect(r.status).toBe(0);
    expect([r.stdout.readInt32LE(0), r.stdout.readInt32LE(4), r.stdout.readInt32LE(8)]).toEqual([8, -1, 9]);
  });

  it("write_errno prints each errno of its table by name and meaning, and one it lacks by number", () => {
    const other = buildFake({ errnos: [...ERRNOS.map(([n]) => n), 200, 0] });
    const r = run(["errno"], other);
    rmSync(path.dirname(other), { recursive: true, force: true });
    expect(r.stdout.toString()).toBe([...ERRNOS.map(([, name, meaning]) => `${name}: ${meaning}`), "errno 200", "errno 0", ""].join("\n"));
    expect(r.status).toBe(0);
  });

  it("the errno table's numbers are Linux's", () => {
    const linux = osConstants.errno as Record<string, number>;
    for (const [n, name] of ERRNOS) expect(linux[name], name).toBe(n);
  });

  it("refuses a module built for another ABI version", () => {
    const other = buildFake({ abiVersion: 2 });
    const r = run(["hello"], other);
    rmSync(path.dirname(other), { recursive: true, force: true });
    expect(r.stderr).toBe("atoll: the module was built for ABI version 2, this runtime implements version 1; rebuild it\n");
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toBe("");
  });
});

describe("unix runtime: traps", () => {
  const cases: [scenario: string, message: string][] = [
    ["memory", "trap: out of bounds memory access in readPastTheEnd (where/it/lives/unikernel.ts)\n"],
    ["recurse", "trap: call stack exhausted in recurse (where/it/lives/unikernel.ts)\n"],
    ["guard", "trap: call stack exhausted in unchecked\n"],
    ["divide", "trap: integer divide by zero in divide\n"],
    ["unreachable", "trap: unreachable executed in unreachable_here\n"],
    ["oob", "trap: out of bounds memory access in atoll_run\n"],
    // unreachable after a refused memory.grow (the allocator's way of failing): out of memory, with the heap's size.
    ["oom", "trap: out of memory: the heap is 0.6 MiB (9 pages) and could not grow by 1 page, in unreachable_here\n"],
    ["oomgrown", "trap: unreachable executed in unreachable_here\n"],
    ["oommemory", "trap: out of bounds memory access in readPastTheEnd (where/it/lives/unikernel.ts)\n"],
  ];
  it.each(cases)("%s: reported by name, status 102, never a signal", (scenario, message) => {
    const r = run([scenario]);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe(message);
    expect(r.status).toBe(102);
  });

  it("a fault outside wasm memory is a runtime fault with the signal, rip and address, status 102", () => {
    const r = run(["wild"]);
    expect(r.signal).toBeNull();
    expect(r.stderr).toMatch(/^atoll runtime fault: signal 11 at rip 0x4[0-9a-f]+, address 0x10\n$/);
    expect(r.status).toBe(102);
  });

  it("atoll_trap_resume: traps from signals and from atoll_trap resume the driver with the code, again and again", () => {
    const r = run(["resume"]);
    expect(r.stdout.toString()).toBe("resumed with code 5\nresumed with code 1\nresumed with code 9\n");
    // With the record cleared, the next trap is reported as usual.
    expect(r.stderr).toBe("trap: out of bounds memory access in readPastTheEnd (where/it/lives/unikernel.ts)\n");
    expect(r.status).toBe(102);
  });
});
