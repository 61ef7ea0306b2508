// The kvm target's steps after asc: the wasm compiled to x86-64 (tools/wasm,
// tools/aot), then linked with the bare-metal runtime (tools/runtime/kvm)
// into dist/NAME.kvm, an ELF image that boots by PVH (tools/link's
// pvhEntry). Also how the image is started: the QEMU command line, and the
// Firecracker and libvirt configurations configure writes beside it.
import { existsSync, mkdirSync, openSync, closeSync } from "node:fs";
import path from "node:path";
import { compileModule, type AotObject } from "../aot/index.ts";
import { link, LinkError } from "../link/index.ts";
import { kvmRuntime, KVM_IMAGE_BASE, KVM_RUNTIME_SYMBOLS, type KvmRuntimeOptions } from "../runtime/kvm/index.ts";
import { decodeModule, validateModule, WasmError } from "../wasm/index.ts";
import type { Report } from "../report.ts";
import { UserError } from "../errors.ts";
import { memoryMiB } from "../configure/vm-configs.ts";
import { writeFileAtomic } from "../atomic-write.ts";

/** Bytes for people. */
function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Compiles `wasm` ahead of time and links it with the kvm runtime into `outfile`. */
export async function buildKvm(outfile: string, wasm: Uint8Array, sourceRoots: [string, string][], report: Report): Promise<void> {
  const aot = await report.step("aot", () => compileWasm(wasm), (o) => `x86-64 ${size(o.text.length)} code, ${size(o.rodata.length + o.data.length)} data (tools/aot)`);
  await report.step("link", () => {
    const image = linkKvm(aot, { sourceRoots });
    mkdirSync(path.dirname(outfile), { recursive: true });
    writeFileAtomic(outfile, image);
    return image.length;
  }, (n) => `${path.relative(process.cwd(), outfile)} ${size(n)} (PVH ELF image, kvm runtime)`);
}

/** Decodes, validates and compiles a module; wasm errors become UserErrors. */
export function compileWasm(wasm: Uint8Array): AotObject {
  try {
    const m = decodeModule(wasm);
    validateModule(m);
    return compileModule(m, { name: "app.wasm" });
  } catch (e) {
    if (e instanceof WasmError) throw new UserError(`app.wasm: ${e.message}`);
    throw e;
  }
}

/** The PVH image of a compiled module. The runtime goes first, so its 32-bit entry sits low in the image. */
export function linkKvm(aot: AotObject, options: KvmRuntimeOptions = {}): Uint8Array {
  try {
    return link(
      [
        { name: "kvm runtime", object: kvmRuntime(options) },
        { name: "app.wasm", object: aot },
      ],
      { entry: KVM_RUNTIME_SYMBOLS.start, pvhEntry: KVM_RUNTIME_SYMBOLS.pvhEntry, base: KVM_IMAGE_BASE, gnuStack: false, layoutSymbols: true },
    ).image;
  } catch (e) {
    if (e instanceof LinkError) throw new UserError(explain(e.message));
    throw e;
  }
}

/** A missing `import:MODULE.NAME` is an import the runtime lacks: say so in the module's words. */
function explain(message: string): string {
  const imports = [...message.matchAll(/^ {2}import:(\S+)/gm)].map((m) => m[1]!);
  if (imports.length === 0) return `link: ${message}`;
  return `link: the module imports ${imports.join(", ")}, which the kvm runtime does not provide (docs/abi.md lists what it does)\n${message}`;
}

/** True when /dev/kvm exists and this process may open it read-write (what QEMU's -accel kvm needs). */
export function kvmUsable(): boolean {
  if (!existsSync("/dev/kvm")) return false;
  try {
    closeSync(openSync("/dev/kvm", "r+"));
    return true;
  } catch {
    return false;
  }
}

/** The kernel command line for runtime arguments: PVH passes one string, the runtime splits it on spaces. */
export function commandLine(args: string[]): string {
  const bad = args.find((a) => a === "" || /\s/.test(a));
  if (bad !== undefined) throw new UserError(`runtime argument ${JSON.stringify(bad)} cannot be passed on the kvm target: the kernel command line is split on spaces (empty arguments and spaces are not supported)`, 2);
  return args.join(" ");
}

/** The accelerator `atoll run -t kvm` uses: ATOLL_QEMU_ACCEL (kvm or tcg) when set, else KVM when /dev/kvm is usable, else TCG. */
export function chooseAccel(env: NodeJS.ProcessEnv = process.env): "kvm" | "tcg" {
  const forced = env["ATOLL_QEMU_ACCEL"];
  if (forced === "kvm" || forced === "tcg") return forced;
  if (forced !== undefined && forced !== "") throw new UserError(`ATOLL_QEMU_ACCEL is '${forced}': use kvm or tcg`, 2);
  return kvmUsable() ? "kvm" : "tcg";
}

/**
 * The QEMU machines `atoll run -t kvm --machine` boots, and their -M value.
 * microvm (the default): without ACPI it boots fastest; rtc=on gives the
 * runtime its wall clock (microvm has no RTC by default);
 * auto-kernel-cmdline=off keeps QEMU from appending virtio_mmio.device=...
 * to the command line, which the runtime would pass on as arguments. q35:
 * virtio-pci devices, booted through SeaBIOS (slower, ~1 s more).
 */
export const QEMU_MACHINES = {
  microvm: "microvm,acpi=off,rtc=on,auto-kernel-cmdline=off",
  q35: "q35",
} as const;
export type QemuMachine = keyof typeof QEMU_MACHINES;

/** Checks a --machine value. */
export function parseMachine(value: string | undefined): QemuMachine {
  if (value === undefined) return "microvm";
  if (Object.hasOwn(QEMU_MACHINES, value)) return value as QemuMachine;
  throw new UserError(`--machine ${value}: unknown QEMU machine; use ${Object.keys(QEMU_MACHINES).join(" or ")}`, 2);
}

/** How `atoll run -t kvm` starts QEMU; `devices` are QEMU arguments for the VM's devices (qemu-net.ts's, qemu-block.ts's). The choices are measured in ../shared/notes/boot-and-qemu.md. */
export function qemuCommand(image: string, memory: string, args: string[], accel: "kvm" | "tcg" = chooseAccel(), devices: string[] = [], machine: QemuMachine = "microvm"): [string, string[]] {
  return ["qemu-system-x86_64", [
    "-M", QEMU_MACHINES[machine],
    "-accel", accel,
    // -cpu host and -cpu max abort on these hosts; host without
    // arch-capabilities works under KVM. Under TCG a named x86-64-v2 model
    // (SSE4.2, POPCNT: what tools/aot emits) that TCG implements fully.
    "-cpu", accel === "kvm" ? "host,arch-capabilities=off" : "Nehalem-v1",
    "-m", `${memoryMiB(memory)}M`,
    "-display", "none", "-nodefaults", "-no-user-config", "-no-reboot",
    "-serial", "stdio",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ...devices,
    "-kernel", image,
    "-append", commandLine(args),
  ]];
}

/** QEMU's exit status back to the unikernel's: isa-debug-exit gives (v << 1) | 1, a reset (status 0) gives 0; anything else is QEMU's own failure. */
export function guestStatus(qemuStatus: number): number {
  return qemuStatus > 1 && qemuStatus % 2 === 1 ? (qemuStatus - 1) >> 1 : qemuStatus;
}
