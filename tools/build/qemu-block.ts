// The kvm target's block devices on QEMU's command line: one virtio-blk
// device per `atoll run --disk NAME=PATH`, in config.ts order, each with
// serial=NAME. drivers/virtio/block.ts finds a config.ts device by that ID
// (VIRTIO_BLK_T_GET_ID), so the mapping does not rest on device order.
import type { QemuMachine } from "./kvm.ts";

/** A block device of config.ts and the host file behind it. */
export interface BlockAttachment {
  name: string;
  /** Absolute path of the image file (raw). */
  file: string;
  readOnly: boolean;
}

/** The virtio-blk device model each machine takes: virtio-mmio on microvm, PCI on q35. */
export const BLOCK_DEVICE_MODEL: Record<QemuMachine, string> = { microvm: "virtio-blk-device", q35: "virtio-blk-pci" };

/** The longest ID virtio-blk returns (virtio 1.2 §5.2.6, VIRTIO_BLK_ID_BYTES). */
export const MAX_SERIAL_BYTES = 20;

/** A value inside a QEMU option list: ',' is doubled. */
function optionValue(s: string): string {
  return s.replace(/,/g, ",,");
}

/**
 * QEMU arguments for `disks`. format=raw, so QEMU never guesses a format
 * from the contents; cache=writeback (QEMU's default, said aloud): writes go
 * to the host's page cache and the guest's VIRTIO_BLK_T_FLUSH becomes
 * fdatasync, which is what lib/block.ts's flush promises.
 */
export function qemuBlockArgs(disks: BlockAttachment[], machine: QemuMachine): string[] {
  // QEMU 7.2's virtio-mmio offers the legacy interface unless told otherwise; drivers/virtio drives the modern one (virtio 1.2 §4.2).
  const out: string[] = disks.length > 0 && machine === "microvm" ? ["-global", "virtio-mmio.force-legacy=false"] : [];
  for (const d of disks) {
    const id = `disk-${d.name}`;
    out.push("-drive", `file=${optionValue(d.file)},format=raw,if=none,id=${id},cache=writeback${d.readOnly ? ",readonly=on" : ""}`);
    out.push("-device", `${BLOCK_DEVICE_MODEL[machine]},drive=${id},serial=${d.name}`);
  }
  return out;
}
