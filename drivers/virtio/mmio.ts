// The virtio-mmio transport (virtio 1.2 §4.2): a 0x200-byte register window
// per device. Only the modern interface (Version 2) is driven; QEMU's
// microvm offers it with -global virtio-mmio.force-legacy=false, which
// `atoll run` passes. Control registers take 32-bit accesses only
// (§4.2.2.2); the configuration space takes each field's own width.
import { irq_attach, mmio_read8, mmio_read16, mmio_read32, mmio_write32 } from "./hardware";
import { Transport } from "./transport";

/** "virt" little-endian: register 0 of every virtio-mmio device (§4.2.2). */
export const MMIO_MAGIC: u32 = 0x74726976;

/** Register offsets (§4.2.2, table "MMIO Device Register Layout"). */
const enum Reg {
  Magic = 0x000,
  Version = 0x004,
  DeviceId = 0x008,
  DeviceFeatures = 0x010,
  DeviceFeaturesSel = 0x014,
  DriverFeatures = 0x020,
  DriverFeaturesSel = 0x024,
  QueueSel = 0x030,
  QueueNumMax = 0x034,
  QueueNum = 0x038,
  QueueReady = 0x044,
  QueueNotify = 0x050,
  InterruptStatus = 0x060,
  InterruptAck = 0x064,
  Status = 0x070,
  QueueDescLow = 0x080,
  QueueDescHigh = 0x084,
  QueueDriverLow = 0x090,
  QueueDriverHigh = 0x094,
  QueueDeviceLow = 0x0a0,
  QueueDeviceHigh = 0x0a4,
  ConfigGeneration = 0x0fc,
  Config = 0x100,
}

/** What sits at `base`: 2 for a modern virtio-mmio device, 1 for a legacy one, 0 for none (no magic, or device ID 0: an empty slot). */
export function probeMmio(base: u64): u32 {
  if (<u32>mmio_read32(base + Reg.Magic) != MMIO_MAGIC) return 0;
  if (mmio_read32(base + Reg.DeviceId) == 0) return 0;
  return <u32>mmio_read32(base + Reg.Version);
}

/** One virtio-mmio device, modern interface. */
export class MmioTransport extends Transport {
  /** `gsi`: the I/O APIC input of the device's interrupt line, -1 when unknown. */
  constructor(private base: u64, private gsi: i32 = -1) {
    super();
  }

  /** The device's level-triggered line through the I/O APIC; the driver acknowledges with ackInterrupt (§4.2.3.4). */
  attachInterrupt(): i32 { return this.gsi < 0 ? -1 : irq_attach(this.gsi); }

  get deviceType(): u32 { return <u32>this.r(Reg.DeviceId); }
  get location(): string { return "virtio-mmio at 0x" + this.base.toString(16); }
  get modern(): bool { return true; }
  get fixedQueueSize(): bool { return false; }

  getStatus(): u8 { return <u8>this.r(Reg.Status); }
  setStatus(status: u8): void { this.w(Reg.Status, status); }

  deviceFeatures(): u64 {
    this.w(Reg.DeviceFeaturesSel, 0);
    const low = <u64><u32>this.r(Reg.DeviceFeatures);
    this.w(Reg.DeviceFeaturesSel, 1);
    return low | ((<u64><u32>this.r(Reg.DeviceFeatures)) << 32);
  }

  setDriverFeatures(features: u64): void {
    this.w(Reg.DriverFeaturesSel, 0);
    this.w(Reg.DriverFeatures, <u32>features);
    this.w(Reg.DriverFeaturesSel, 1);
    this.w(Reg.DriverFeatures, <u32>(features >> 32));
  }

  configGeneration(): u32 { return <u32>this.r(Reg.ConfigGeneration); }
  config8(offset: u32): u8 { return <u8>mmio_read8(this.base + Reg.Config + offset); }
  config16(offset: u32): u16 { return <u16>mmio_read16(this.base + Reg.Config + offset); }
  config32(offset: u32): u32 { return <u32>mmio_read32(this.base + Reg.Config + offset); }

  queueMaxSize(index: u16): u16 {
    this.w(Reg.QueueSel, index);
    if (this.r(Reg.QueueReady) != 0) return 0;
    return <u16>this.r(Reg.QueueNumMax);
  }

  enableQueue(index: u16, size: u16, desc: u64, driver: u64, device: u64): void {
    this.w(Reg.QueueSel, index);
    this.w(Reg.QueueNum, size);
    this.w(Reg.QueueDescLow, <u32>desc);
    this.w(Reg.QueueDescHigh, <u32>(desc >> 32));
    this.w(Reg.QueueDriverLow, <u32>driver);
    this.w(Reg.QueueDriverHigh, <u32>(driver >> 32));
    this.w(Reg.QueueDeviceLow, <u32>device);
    this.w(Reg.QueueDeviceHigh, <u32>(device >> 32));
    this.w(Reg.QueueReady, 1);
  }

  notify(index: u16): void { this.w(Reg.QueueNotify, index); }

  ackInterrupt(): u32 {
    const s = <u32>this.r(Reg.InterruptStatus);
    if (s != 0) this.w(Reg.InterruptAck, s);
    return s;
  }

  private r(reg: u32): i32 { return mmio_read32(this.base + <u64>reg); }
  private w(reg: u32, value: u32): void { mmio_write32(this.base + <u64>reg, value); }
}
