// The kvm target's network devices on QEMU's command line: one virtio-net
// device per network device of config.ts, on the backend `atoll run --net`
// chose — a Linux tap, QEMU's user networking (slirp: NAT, a DHCP server at
// 10.0.2.2 handing out 10.0.2.15, host port forwards), or nothing.
import type { QemuMachine } from "./kvm.ts";

/** A network device's backend (`atoll run --net`); a tap is created when missing only with `create` (QEMU creates one whenever it may). */
export type NetBackend = { kind: "tap"; ifname: string; create?: boolean } | { kind: "user" } | { kind: "none" };

/** One host port forwarded to the guest by user networking (`atoll run --forward`). */
export interface Forward {
  proto: "tcp" | "udp";
  host: number;
  guest: number;
}

/** A network device of config.ts and its backend. */
export interface NetAttachment {
  name: string;
  backend: NetBackend;
}

/** The virtio-net device model each machine takes: virtio-mmio on microvm, PCI on q35. */
export const NET_DEVICE_MODEL: Record<QemuMachine, string> = { microvm: "virtio-net-device", q35: "virtio-net-pci" };

/**
 * QEMU arguments for `nets`, in config.ts order; `forwards` go to the one
 * user-networking backend. A `none` backend is a device with no peer: the
 * unikernel sees a NIC whose frames go nowhere (QEMU warns "has no peer").
 * The device's netdev id is the config.ts name, so QEMU's messages name it.
 */
export function qemuNetArgs(nets: NetAttachment[], forwards: Forward[], machine: QemuMachine = "microvm"): string[] {
  // QEMU 7.2's virtio-mmio offers the legacy interface unless told otherwise; drivers/virtio drives the modern one (virtio 1.2 §4.2).
  const out: string[] = nets.length > 0 && machine === "microvm" ? ["-global", "virtio-mmio.force-legacy=false"] : [];
  for (const { name, backend } of nets) {
    const id = `net-${name}`;
    const netdev = {
      tap: (b: { ifname: string }) => `tap,id=${id},ifname=${b.ifname},script=no,downscript=no`,
      user: () => [`user,id=${id}`, ...forwards.map((f) => `hostfwd=${f.proto}::${f.host}-:${f.guest}`)].join(","),
      none: () => null,
    };
    const spec = backend.kind === "tap" ? netdev.tap(backend) : netdev[backend.kind]();
    if (spec !== null) out.push("-netdev", spec);
    out.push("-device", spec === null ? NET_DEVICE_MODEL[machine] : `${NET_DEVICE_MODEL[machine]},netdev=${id}`);
  }
  return out;
}
