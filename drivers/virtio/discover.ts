// Which virtio devices the machine has, scanned once, in a stable order:
//
// - a machine with a PCI host bridge at 00:00.0 (q35, pc): the virtio
//   functions (vendor 0x1af4) of PCI bus 0 by device and function number.
//   QEMU gives each -device the next free slot, so this is the order of
//   QEMU's command line.
// - otherwise (microvm, Firecracker-like machines with no PCI): the
//   virtio-mmio slots of QEMU's microvm, 0x200 bytes each from 0xfeb00000,
//   from the highest address down: QEMU plugs the first -device into the
//   last slot, so this too is the command line's order. Only slots holding
//   a device count (device ID 0 marks an empty slot, §4.2.2).
//
// MMIO is probed only without PCI so that nothing reads q35's PCI hole,
// where the firmware puts BARs.
import { MmioTransport, probeMmio } from "./mmio";
import { pciRead32, pciTransport, VIRTIO_VENDOR, pciRead8 } from "./pci";
import { Transport } from "./transport";

/** QEMU microvm's virtio-mmio window (hw/i386/microvm.h: VIRTIO_MMIO_BASE, 0x200 per transport). */
const MICROVM_MMIO_BASE: u64 = 0xfeb0_0000;
const MICROVM_MMIO_STRIDE: u64 = 0x200;
const MICROVM_MMIO_SLOTS: u32 = 24;
/**
 * The I/O APIC input of slot 0: microvm with acpi=off (what `atoll run`
 * starts) wires slot n to GSI 5 + n (QEMU 7.2: the virtio_mmio.device=
 * words it appends read ...@0xfeb00e00:12 for slot 7).
 */
const MICROVM_MMIO_FIRST_GSI: i32 = 5;

let scanned = false;
let found: Transport[] = [];
/** Devices that were seen but cannot be driven, for messages: "virtio-mmio at 0x... (version 1)". */
let skipped: string[] = [];

function scan(): void {
  scanned = true;
  if (pciRead32(0, 0) != 0xffff_ffff) {
    for (let dev: u32 = 0; dev < 32; dev++) {
      const functions: u32 = (pciRead8(dev << 3, 0x0e) & 0x80) != 0 ? 8 : 1; // header type bit 7: multi-function
      for (let fn: u32 = 0; fn < functions; fn++) {
        const bdf = (dev << 3) | fn;
        const id = pciRead32(bdf, 0);
        if (<u16>id != VIRTIO_VENDOR) continue;
        const t = pciTransport(bdf);
        if (t !== null) found.push(t);
        else skipped.push("virtio-pci function " + bdf.toString() + " (no reachable interface)");
      }
    }
    return;
  }
  for (let i = <i32>MICROVM_MMIO_SLOTS - 1; i >= 0; i--) {
    const base = MICROVM_MMIO_BASE + <u64>i * MICROVM_MMIO_STRIDE;
    const version = probeMmio(base);
    if (version == 2) found.push(new MmioTransport(base, MICROVM_MMIO_FIRST_GSI + i));
    else if (version != 0) skipped.push("virtio-mmio at 0x" + base.toString(16) + " (version " + version.toString() + ", legacy: start QEMU with -global virtio-mmio.force-legacy=false)");
  }
}

/** Every virtio device of type `type` (transport.ts's DeviceType), in the order described above. */
export function virtioDevices(type: u32): Transport[] {
  if (!scanned) scan();
  const out: Transport[] = [];
  for (let i = 0; i < found.length; i++) if (found[i].deviceType == type) out.push(found[i]);
  return out;
}

/** Devices seen but not usable (a legacy virtio-mmio device, a PCI device with no reachable interface), for error messages. */
export function unusableDevices(): string[] {
  if (!scanned) scan();
  return skipped;
}
