// The kvm target booting real images under QEMU: examples/hello and
// examples/trap through the real CLI (KVM when /dev/kvm is usable, else TCG:
// the describe names which), then the trap example once more under TCG
// whatever the host has, so the fallback is always exercised.
import { spawn, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll, atollTimed, root } from "../helpers/cli.ts";
import { expectHello } from "../helpers/hello.ts";
import { kvmUsable, qemuCommand, guestStatus } from "../../tools/build/kvm.ts";

const accel = kvmUsable() ? "KVM" : "TCG (no usable /dev/kvm)";

/** The lines of the build and of `atoll run` itself, which go to standard error with the prefix "atoll: ". */
const ownLines = (stderr: string): string => stderr.split("\n").filter((l) => l !== "" && !l.startsWith("atoll: ")).join("\n");

describe(`kvm target: examples/hello under QEMU with ${accel}`, () => {
  it("prints 'hello from atoll' four times, one second apart, and QEMU exits 0", async () => {
    const r = await atollTimed(["run", "-t", "kvm", "examples/hello"]);
    expectHello(r);
  });

  it("the image is a PVH ELF of at most 128 KiB", () => {
    const image = path.join(root, "examples/hello/dist/hello.kvm");
    const bytes = statSync(image).size;
    process.stderr.write(`kvm: examples/hello/dist/hello.kvm is ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)\n`);
    expect(bytes).toBeLessThanOrEqual(128 * 1024);
    const notes = spawnSync("readelf", ["-n", image], { encoding: "utf8" }).stdout;
    expect(notes).toMatch(/Xen\s+0x00000008\s+Unknown note type: \(0x00000012\)/);
  });
});

describe(`kvm target: examples/trap under QEMU with ${accel}`, () => {
  // The statuses and reports are the unix target's; on kvm both the
  // console and the error stream are the serial port, so all of it is on
  // standard output.
  const cases: [kind: string, status: number, message: string][] = [
    ["memory", 102, "trap: out of bounds memory access in start (examples/trap/unikernel.ts)\n"],
    ["unreachable", 102, "trap: unreachable executed in start (examples/trap/unikernel.ts)\n"],
    ["divide", 102, "trap: integer divide by zero in start (examples/trap/unikernel.ts)\n"],
    ["recurse", 102, "trap: call stack exhausted in recurse (examples/trap/unikernel.ts)\n"],
    ["abort", 101, "abort: the trap example asserted false at examples/trap/unikernel.ts:30:29\n"],
  ];
  it.each(cases)("--kind=%s: QEMU's status maps back to %i and the report names where it failed", (kind, status, message) => {
    const r = atoll(["run", "-t", "kvm", "examples/trap", "--", `--kind=${kind}`]);
    expect(r.stdout).toBe(`trap: about to fail with '${kind}'\n${message}`);
    expect(ownLines(r.stderr)).toBe("");
    expect(r.status).toBe(status);
  });

  it("runtime arguments round-trip through the kernel command line", () => {
    const r = atoll(["run", "-t", "kvm", "examples/trap", "--", "--kind=héllo,wörld"]);
    expect(r.stdout).toBe("trap: about to fail with 'héllo,wörld'\ntrap: unknown --kind=héllo,wörld; nothing failed\n");
    expect(r.status).toBe(0);
  });

  it("an undeclared runtime argument is a usage error, status 2", () => {
    const r = atoll(["run", "-t", "kvm", "examples/trap", "--", "--colour=blue"]);
    expect(r.stdout).toMatch(/^error: .*colour/);
    expect(r.status).toBe(2);
  });

  it("an argument with a space is refused before QEMU starts (the command line is split on spaces)", () => {
    const r = atoll(["run", "-t", "kvm", "examples/trap", "--", "--kind=a b"]);
    expect(r.stderr).toContain("split on spaces");
    expect(r.status).toBe(2);
  });
});

describe("kvm target: the TCG fallback, whatever the host has", () => {
  it("boots examples/trap under TCG and reports the trap", () => {
    const image = path.join(root, "examples/trap/dist/trap.kvm"); // built by the tests above
    const [cmd, args] = qemuCommand(image, "32M", ["--kind=divide"], "tcg");
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe("trap: about to fail with 'divide'\ntrap: integer divide by zero in start (examples/trap/unikernel.ts)\n");
    expect(r.stderr).toBe("");
    expect(guestStatus(r.status ?? -1)).toBe(102);
  });
});

describe("kvm target: atoll run under TCG (ATOLL_QEMU_ACCEL=tcg), as on a host without KVM", () => {
  it("examples/hello prints its four lines a second apart and QEMU exits 0", async () => {
    const r = await atollTimed(["run", "-t", "kvm", "examples/hello"], root, { ATOLL_QEMU_ACCEL: "tcg" });
    expectHello(r);
  });

  it("calibrates the TSC right while QEMU is held again and again during the boot (60 ms stopped, 25 ms running)", async () => {
    // Without kvmclock the runtime times the TSC against the PIT for 10 ms.
    // A loaded host holds QEMU like this now and then; a hold inside that
    // window once made guest time run 4 to 23 times slow (hello's lines 6.5 s
    // apart). QEMU is held until the first line, which follows the calibration.
    const image = path.join(root, "examples/hello/dist/hello.kvm"); // built by the tests above
    const [cmd, args] = qemuCommand(image, "32M", [], "tcg");
    const t0 = performance.now();
    const vm = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: { text: string; at: number }[] = [];
    let partial = "", stderr = "", held = true;
    vm.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      held = false;
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const text of parts) lines.push({ text, at: performance.now() - t0 });
    });
    vm.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    const closed = new Promise<number | null>((res) => vm.on("close", (code) => { held = false; res(code); }));
    while (held) {
      vm.kill("SIGSTOP");
      await new Promise((res) => setTimeout(res, 60));
      vm.kill("SIGCONT");
      await new Promise((res) => setTimeout(res, 25));
    }
    const status = await closed;
    expectHello({ status: guestStatus(status ?? -1), stdout: "", stderr, lines });
  });

  it("--dry-run shows TCG with a named x86-64-v2 CPU model", () => {
    const r = atoll(["run", "-t", "kvm", "--dry-run", "examples/hello"], root, { ATOLL_QEMU_ACCEL: "tcg" });
    expect(r.stdout).toContain("-accel tcg -cpu Nehalem-v1 ");
  });
});
