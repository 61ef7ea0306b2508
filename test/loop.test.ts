// The event loop and timers, driven turn by turn under a fake clock through
// the module's atoll_step export, exactly as the Node host drives it.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { configure } from "../tools/configure/configure.ts";
import { build } from "../tools/build/build.ts";
import { Report } from "../tools/report.ts";
import { atollImports, Exit } from "../tools/host/abi.ts";

const MS = 1_000_000n;
let wasm: Uint8Array;

beforeAll(async () => {
  const { plan } = await configure(path.join(import.meta.dirname, "fixtures", "loop"), "node");
  await build(plan, new Report(() => {}));
  wasm = readFileSync(path.join(plan.buildDir, "app.wasm"));
});

interface Harness {
  now: bigint;
  out: string[];
  step(): bigint;
}

async function start(args: string[] = []): Promise<Harness> {
  let memory: WebAssembly.Memory | null = null;
  const h = { now: 0n, out: [] as string[], step: (): bigint => 0n };
  const imports = atollImports({
    memory: () => memory!,
    args,
    stdout: (b) => { h.out.push(...Buffer.from(b).toString().split("\n").filter((l) => l !== "")); },
    stderr: (t) => { h.out.push("stderr: " + t.trim()); },
    monotonic: () => h.now,
    sourcePath: (p) => p,
  });
  const { instance } = await WebAssembly.instantiate(new Uint8Array(wasm), { atoll: imports } as WebAssembly.Imports);
  const ex = instance.exports as { memory: WebAssembly.Memory; _initialize(): void; atoll_init(): void; atoll_step(r: bigint): bigint };
  memory = ex.memory;
  ex._initialize();
  ex.atoll_init();
  h.step = () => ex.atoll_step(0n);
  return h;
}

describe("event loop and timers", () => {
  it("fires timers in deadline order, ties in arming order, and skips cancelled ones", async () => {
    const h = await start();
    let deadline = h.step();
    const deadlines: bigint[] = [];
    while (deadline >= 0n && h.now < 100n * MS) {
      deadlines.push(deadline);
      h.now = deadline;
      deadline = h.step();
    }
    expect(h.out).toEqual(["p@4", "c@5", "p@8", "a@10", "b@10", "p@12", "chain@20", "chained@20", "late@30", "late@60"]);
    expect(deadline).toBe(-1n);
    expect(deadlines[0]).toBe(4n * MS);
  });

  it("returns the next deadline without firing anything early", async () => {
    const h = await start();
    h.now = 3n * MS;
    expect(h.step()).toBe(4n * MS);
    expect(h.out).toEqual([]);
  });

  it("does not drift a periodic timer and skips the periods it missed", async () => {
    const h = await start();
    h.now = 9n * MS; // the loop was busy: p missed 4 and 8, c (5) is due
    h.step();
    expect(h.out).toEqual(["p@9", "c@9"]); // both overdue: still in deadline order (p was due at 4)
    // p fired once, for the missed periods; its next deadline stays on the 4 ms grid
    expect(h.step()).toBe(10n * MS);
    h.now = 12n * MS;
    h.step();
    expect(h.out.slice(2)).toEqual(["a@12", "b@12", "p@12"]);
  });

  it("refuses unknown runtime arguments with status 2", async () => {
    await expect(start(["--nope"])).rejects.toSatisfy((e: unknown) => e instanceof Exit && e.status === 2);
  });
});
