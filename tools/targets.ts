// Every target of the design, as data. A target that is not built yet is
// still a known name, so `-t kvm` says "not available yet" rather than
// "unknown target".

/** A target name. */
export type TargetName = "unix" | "node" | "kvm" | "xen";

/** What the CLI knows about a target. */
export interface Target {
  name: TargetName;
  /** One line for `--help` and the README's table. */
  summary: string;
  /** The artefact's path relative to the application folder. */
  artefact: (name: string) => string;
  /** Null when the target works; else why not, for the "not available yet" error. */
  unavailable: string | null;
}

/** All targets, in the order the help lists them. */
export const targets: readonly Target[] = [
  { name: "unix", summary: "static x86-64 ELF executable, a Linux process", artefact: (n) => `dist/${n}`, unavailable: null },
  { name: "node", summary: "one .mjs file run by Node.js", artefact: (n) => `dist/${n}.mjs`, unavailable: null },
  { name: "kvm", summary: "PVH ELF image for QEMU/KVM, Firecracker, cloud-hypervisor", artefact: (n) => `dist/${n}.kvm`, unavailable: null },
  { name: "xen", summary: "PVH ELF image for a Xen domU", artefact: (n) => `dist/${n}.xen`, unavailable: "the Xen runtime is not written yet" },
];

/** The names of all targets. */
export const targetNames: readonly string[] = targets.map((t) => t.name);

/** The target `atoll` uses when none is given: unix on Linux x86-64 once it works, else node. */
export function defaultTarget(): TargetName {
  const unix = targets.find((t) => t.name === "unix")!;
  return unix.unavailable === null && process.platform === "linux" && process.arch === "x64" ? "unix" : "node";
}

/** Looks a target up by name; undefined for an unknown name. */
export function findTarget(name: string): Target | undefined {
  return targets.find((t) => t.name === name);
}
