// For the kvm target, configure also writes how to boot the image with
// other monitors than QEMU, beside the image: a Firecracker configuration
// (`firecracker --no-api --config-file dist/NAME.firecracker.json`) and a
// libvirt domain (`virsh create dist/NAME.libvirt.xml`). Both name the image
// by its absolute path; it exists once `atoll build` has run.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Plan } from "./plan.ts";
import { writeFileAtomic } from "../atomic-write.ts";

/** Memory sizes as config.ts writes them ("32M", "1G", "512K") in MiB, at least 1. */
export function memoryMiB(memory: string): number {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(memory.trim());
  if (!m) throw new Error(`memory '${memory}' is not a size like 32M`);
  const n = Number(m[1]);
  const unit = m[2]!.toUpperCase();
  const mib = unit === "G" ? n * 1024 : unit === "M" ? n : unit === "K" ? n / 1024 : n / (1024 * 1024);
  return Math.max(1, Math.ceil(mib));
}

/** The Firecracker configuration file (its --config-file schema: boot-source, machine-config). */
export function firecrackerConfig(plan: Plan): string {
  return JSON.stringify({
    "boot-source": { kernel_image_path: plan.artefact, boot_args: "" },
    "drives": [],
    "machine-config": { vcpu_count: 1, mem_size_mib: memoryMiB(plan.memory) },
    "network-interfaces": [],
  }, null, 2) + "\n";
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");

/** A libvirt domain: QEMU/KVM booting the image as a kernel (PVH), serial console on a pty, destroyed when the guest resets (its exit). */
export function libvirtDomain(plan: Plan): string {
  return [
    `<domain type='kvm'>`,
    `  <name>${xml(plan.name)}</name>`,
    `  <memory unit='MiB'>${memoryMiB(plan.memory)}</memory>`,
    `  <vcpu>1</vcpu>`,
    `  <os>`,
    `    <type arch='x86_64' machine='pc'>hvm</type>`,
    `    <kernel>${xml(plan.artefact)}</kernel>`,
    `    <cmdline></cmdline>`,
    `  </os>`,
    `  <cpu mode='host-model'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>destroy</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    `    <serial type='pty'><target port='0'/></serial>`,
    `    <console type='pty'><target type='serial' port='0'/></console>`,
    `    <memballoon model='none'/>`,
    `  </devices>`,
    `</domain>`,
    ``,
  ].join("\n");
}

/** The files beside the image, by path. */
export function vmConfigFiles(plan: Plan): Map<string, string> {
  const base = plan.artefact.replace(/\.kvm$/, "");
  return new Map([
    [`${base}.firecracker.json`, firecrackerConfig(plan)],
    [`${base}.libvirt.xml`, libvirtDomain(plan)],
  ]);
}

/** Writes them. */
export function writeVmConfigs(plan: Plan): string[] {
  const files = vmConfigFiles(plan);
  mkdirSync(path.dirname(plan.artefact), { recursive: true });
  for (const [file, text] of files) writeFileAtomic(file, text);
  return [...files.keys()];
}
