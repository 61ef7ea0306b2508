// `npm run bench -- boot`: how fast a kvm image boots. The hello image's
// size; QEMU's wall time from spawn to the first line and to exit for
// examples/hello (whose timers keep it up 3 s), examples/trap with
// --kind=nothing (a line, then exit) and an empty PVH kernel the bench
// builds itself (a line on COM1, then isa-debug-exit) as the baseline, side
// by side over repeated runs, under KVM when usable and under TCG; and the
// in-guest time from the PVH entry to the app's first line, read from the
// TSC by a hello image built with the runtime's bootTrace probe.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { compileWasm, kvmUsable, linkKvm, qemuCommand } from "../build/kvm.ts";
import { sourceRoots } from "../build/sourcemap.ts";
import { Report } from "../report.ts";
import { formatTable, median } from "./table.ts";
import { Assembler } from "../x86/index.ts";
import { link } from "../link/index.ts";

const quiet = new Report(() => {});

/** The baseline: a PVH kernel of a dozen 32-bit instructions (bytes: tools/x86 is 64-bit only) that writes a line to COM1 and exits through isa-debug-exit. */
export function emptyKernel(): Uint8Array {
  const a = new Assembler();
  a.emitBytes([0xba, 0xf8, 0x03, 0x00, 0x00]); // mov edx, 0x3f8
  for (const ch of new TextEncoder().encode("empty\n")) a.emitBytes([0xb0, ch, 0xee]); // mov al, ch; out dx, al
  a.emitBytes([0xb0, 0x00, 0xe6, 0xf4]); // mov al, 0; out 0xf4, al   (QEMU exits 1)
  a.emitBytes([0xf4, 0xeb, 0xfd]); // hlt; jmp hlt
  const { code } = a.finish();
  return link([{ name: "empty kernel", object: { text: code, rodata: new Uint8Array(0), data: new Uint8Array(0), bssSize: 0, symbols: new Map([["entry", { section: "text", offset: 0 }]]), relocs: [], undefined: [] } }],
    { entry: "entry", pvhEntry: "entry", base: 0x10_0000, gnuStack: false }).image;
}

interface Run { first: number; exit: number; status: number; stdout: string }

/** Spawns QEMU on `image`; times the first byte of output and the exit, in ms. */
function boot(image: string, args: string[], accel: "kvm" | "tcg"): Promise<Run> {
  const [cmd, argv] = qemuCommand(image, "32M", args, accel);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = NaN, stdout = "";
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.setEncoding("utf8").on("data", (s: string) => { if (Number.isNaN(first)) first = performance.now() - t0; stdout += s; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ first, exit: performance.now() - t0, status: code ?? -1, stdout }));
  });
}

const ms = (xs: number[]): string => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;

/** Runs the boot suite. */
export async function bootBench(opts: { runs: number }): Promise<number> {
  const runs = Math.max(opts.runs, 5);
  const out = path.join(repoRoot, "examples", "hello", "_build", "bench-boot");
  mkdirSync(out, { recursive: true });
  const images: { name: string; file: string; args: string[]; expect: RegExp }[] = [];

  // The real images, through the real build.
  for (const [dir, args] of [["hello", []], ["trap", ["--kind=nothing"]]] as const) {
    const { plan } = await configure(path.join(repoRoot, "examples", dir), "kvm");
    await build(plan, quiet);
    images.push({ name: `${dir}${args.length ? " " + args.join(" ") : ""}`, file: plan.artefact, args: [...args], expect: dir === "hello" ? /^(hello from atoll\n){4}$/ : /nothing failed\n$/ });
  }
  const empty = path.join(out, "empty.kvm");
  writeFileSync(empty, emptyKernel());
  images.push({ name: "empty PVH kernel (baseline)", file: empty, args: [], expect: /^empty\n$/ });
  // hello with the boot probe.
  const helloDir = path.join(repoRoot, "examples", "hello");
  const traced = path.join(out, "hello-boottrace.kvm");
  writeFileSync(traced, linkKvm(compileWasm(readFileSync(path.join(helloDir, "_build", "kvm", "app.wasm"))), { bootTrace: true, sourceRoots: sourceRoots(path.join(helloDir, "_build", "kvm")) }));

  const accels: ("kvm" | "tcg")[] = kvmUsable() ? ["kvm", "tcg"] : ["tcg"];
  const rows: string[][] = [];
  const notes: string[] = [];
  let failures = 0;
  for (const accel of accels) {
    for (const img of images) {
      const first: number[] = [], exit: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await boot(img.file, img.args, accel);
        if (!img.expect.test(r.stdout)) { failures++; notes.push(`${img.name} on ${accel}: unexpected output ${JSON.stringify(r.stdout.slice(0, 200))} (status ${r.status})`); break; }
        first.push(r.first); exit.push(r.exit);
      }
      if (exit.length === 0) continue;
      process.stderr.write(`bench: ${img.name} on ${accel}: first line ${median(first).toFixed(0)} ms, exit ${median(exit).toFixed(0)} ms\n`);
      rows.push([img.name, accel, `${(statSync(img.file).size / 1024).toFixed(1)}`, ms(first), ms(exit), ""]);
    }
    const inGuest: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await boot(traced, [], accel);
      const m = /atoll-boot-ns: (\d+)/.exec(r.stdout);
      if (!m) { failures++; notes.push(`boot probe on ${accel}: no atoll-boot-ns line (status ${r.status})`); break; }
      inGuest.push(Number(m[1]) / 1e6);
    }
    if (inGuest.length > 0) rows.push(["hello, PVH entry to first line (TSC)", accel, "", "", "", `${median(inGuest).toFixed(2)} (${Math.min(...inGuest).toFixed(2)}-${Math.max(...inGuest).toFixed(2)})`]);
  }
  process.stdout.write("\n" + formatTable(["image", "accel", "KiB", "first line ms", "exit ms", "in-guest ms"], rows) + "\n");
  process.stdout.write(`\nQEMU ${"-M microvm,acpi=off,rtc=on"}, 32 MiB; wall times from spawn, median (min-max) of ${runs} runs. hello's timers keep it up 3 s; trap --kind=nothing exits after two lines.\n`);
  process.stdout.write(`in-guest: monotonic time at the first console_write, which the runtime counts from the TSC read at the PVH entry (kvmclock's scale under KVM, PIT-calibrated under TCG).\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  return failures === 0 ? 0 : 1;
}
