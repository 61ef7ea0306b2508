// Out of memory on every target: test/fixtures/oom allocates and keeps
// buffers until its heap cannot grow, and the runtime must say so — "out of
// memory", the heap's size — with the trap status, 102. Its config.ts sets
// memory: "16M", linear memory's maximum on unix and node (256 pages) and
// the guest's RAM on kvm (TCG here: these hosts' /dev/kvm cannot run it).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll, root } from "./helpers/cli.ts";

const FIXTURE = "test/fixtures/oom";
const PAGE = 65536;
/** config.ts's memory, in pages. */
const LIMIT = 256;
/** The large allocation of the second run: more pages than any grow could add once the first is held. */
const BIG = 12_000_000;
const BIG_PAGES = Math.ceil(BIG / PAGE);

interface Report {
  /** The heap's size as printed in MiB, and in pages. */
  mib: string;
  pages: number;
  /** The pages the refused grow asked for (native runtimes only). */
  delta: number | null;
  /** The bytes the fixture held before the failing allocation. */
  held: number;
}

/** The out-of-memory report among `lines`, or a failure showing them. */
function parse(output: string): Report {
  const m = /^trap: out of memory: the heap is (\d+\.\d) MiB \((\d+) pages?\) and could not grow(?: by (\d+) pages?)?, in .+$/m.exec(output);
  expect(m, output.slice(-2000)).not.toBeNull();
  const held = [...output.matchAll(/^held (\d+)$/gm)].map((h) => Number(h[1]));
  return { mib: m![1]!, pages: Number(m![2]), delta: m![3] === undefined ? null : Number(m![3]), held: held.at(-1) ?? 0 };
}

/** What holds for every report: the MiB figure is the pages', and the heap holds what the fixture kept. */
function expectConsistent(r: Report): void {
  expect(r.mib).toBe((r.pages / 16).toFixed(1));
  expect(r.pages * PAGE).toBeGreaterThanOrEqual(r.held);
}

/** Runs the fixture on `target`; the report and the status, with standard output and error together (kvm: both are the serial port). */
function run(target: string, args: string[] = [], env: Record<string, string> = {}): { report: Report; status: number } {
  const r = atoll(["run", "-t", target, FIXTURE, "--", ...args], root, env);
  const output = r.stdout + r.stderr;
  expect(output).not.toContain("unreachable executed");
  return { report: parse(output), status: r.status };
}

describe("out of memory on unix", () => {
  it("64 KiB buffers until the 16M maximum: the report names the heap, at the maximum, and the refused grow", () => {
    const { report, status } = run("unix");
    expect(status).toBe(102);
    expectConsistent(report);
    expect(report.pages).toBeLessThanOrEqual(LIMIT);
    expect(report.pages + report.delta!).toBeGreaterThan(LIMIT); // refused because it passed the maximum
    expect(report.held).toBeGreaterThan(15 * 1024 * 1024);
  });

  it("one buffer too large for what is left: the refused grow is at least its size", () => {
    const { report, status } = run("unix", [`--chunk=${BIG}`]);
    expect(status).toBe(102);
    expectConsistent(report);
    expect(report.held).toBe(BIG);
    expect(report.delta!).toBeGreaterThanOrEqual(BIG_PAGES);
  });

  it("the host refusing memory (RLIMIT_DATA below the maximum) is reported the same way", () => {
    // The runtime's 8 MiB wasm stack and its data count against RLIMIT_DATA
    // too, so 12 MiB leaves the heap a few MiB: mprotect fails with ENOMEM.
    expect(atoll(["build", "-t", "unix", FIXTURE]).status).toBe(0);
    const exe = path.join(root, FIXTURE, "dist", "oom");
    const r = spawnSync("prlimit", [`--data=${12 * 1024 * 1024}`, exe], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(102);
    const report = parse(r.stdout + r.stderr);
    expectConsistent(report);
    expect(report.pages).toBeLessThan(12 * 16);
    expect(report.held).toBeGreaterThan(1024 * 1024);
  });
});

describe("out of memory on node", () => {
  it("64 KiB buffers until the 16M maximum: the report names the heap, at the maximum, and where", () => {
    const r = atoll(["run", "-t", "node", FIXTURE]);
    expect(r.status).toBe(102);
    expect(r.stderr).toMatch(/could not grow, in \S+ \(~lib\/rt\/\w+\.ts\) at ~lib\/rt\/tlsf\.ts:\d+\n/);
    const report = parse(r.stdout + r.stderr);
    expectConsistent(report);
    expect(report.pages).toBeLessThanOrEqual(LIMIT);
    expect(report.pages).toBeGreaterThan(LIMIT - 4);
  });

  it("one buffer too large for what is left", () => {
    const { report, status } = run("node", [`--chunk=${BIG}`]);
    expect(status).toBe(102);
    expectConsistent(report);
    expect(report.held).toBe(BIG);
    expect(report.pages + BIG_PAGES).toBeGreaterThan(LIMIT); // the second buffer could not fit
  });
});

describe("out of memory on kvm under TCG (a 16 MiB guest)", () => {
  const tcg = { ATOLL_QEMU_ACCEL: "tcg" };

  it("64 KiB buffers until the guest's RAM is used up: the report names the heap, below the 16 MiB of RAM, and the refused grow", () => {
    const { report, status } = run("kvm", [], tcg);
    expect(status).toBe(102);
    expectConsistent(report);
    // The image, the 1 MiB stack and the page tables share the RAM, so the
    // heap stops short of the maximum, but holds most of it.
    expect(report.pages).toBeLessThan(LIMIT);
    expect(report.pages).toBeGreaterThan(LIMIT / 2);
    expect(report.delta!).toBeGreaterThanOrEqual(1);
  });

  it("one buffer larger than the RAM left: the refused grow is at least its size", () => {
    const { report, status } = run("kvm", [`--chunk=${BIG}`], tcg);
    expect(status).toBe(102);
    expectConsistent(report);
    expect(report.delta!).toBeGreaterThanOrEqual(BIG_PAGES);
  });
});
