// `npm run bench -- SUITE [--runs N] [--scale N] [PROGRAM...]`: benchmarks
// that print their peers side by side. Suites are rows of a table; the
// boot, block and net suites join it with their issues. `compute --profile`
// shows where a program's time goes instead of timing it.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { computeBench } from "./compute.ts";
import { computeProfile } from "./profile.ts";
import { aotSpeedBench } from "./aot-speed.ts";
import { bootBench } from "./boot.ts";
import { blockBench } from "./block.ts";
import { netBench } from "./net.ts";

interface Suite {
  summary: string;
  run(opts: { runs: number; scale?: number; only?: string[] }): Promise<number>;
}

const suites: Record<string, Suite> = {
  compute: { summary: "AssemblyScript programs on unix (AOT), node (V8) and wasm2c+gcc -O2", run: computeBench },
  aot: { summary: "the AOT pipeline's speed on the compute programs' wasm: decode, validate and compile in KB/s, and a digest of their output", run: aotSpeedBench },
  boot: { summary: "kvm images under QEMU: hello's size, wall time to first line and exit beside an empty PVH kernel, in-guest boot time (TSC)", run: bootBench },
  block: { summary: "block device throughput on unix, node and kvm beside dd and fio on the same file", run: blockBench },
  net: { summary: "HTTP req/s (wrk) of examples/web on unix and node beside Node.js http and nginx; TCP throughput each way on unix", run: netBench },
};

/** Runs the named suites; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let runs = 3;
  let scale: number | undefined;
  let profile = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--runs") runs = Number(argv[++i]);
    else if (a === "--scale") scale = Number(argv[++i]);
    else if (a === "--profile") profile = true;
    else names.push(a);
  }
  const [suiteName, ...only] = names;
  const suite = suiteName ? suites[suiteName] : undefined;
  if (!suite || !Number.isInteger(runs) || runs < 1 || (scale !== undefined && !(scale > 0)) || (profile && suiteName !== "compute")) {
    process.stderr.write(`usage: npm run bench -- SUITE [--runs N] [--scale N] [PROGRAM...]\n       npm run bench -- compute --profile [--scale N] [PROGRAM...]   (perf: where the time goes, per function)\nsuites:\n${Object.entries(suites).map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`).join("\n")}\n`);
    return 2;
  }
  execFileSync("bash", [path.join(repoRoot, "tools", "setup", "install-system-packages.sh")], { stdio: "inherit" });
  const opts = { runs, scale, only: only.length > 0 ? only : undefined };
  return profile ? computeProfile(opts) : suite.run(opts);
}
