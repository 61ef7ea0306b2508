// The virtio PCI transport (virtio 1.2 §4.1) on a PC's PCI bus: configuration
// space through the I/O ports 0xcf8/0xcfc (PCI configuration mechanism #1),
// vendor 0x1af4. Two interfaces:
//
// - modern (§4.1.4): the vendor capabilities name the BAR and offset of the
//   common, notify, ISR and device configuration structures. Used when their
//   BAR lies in the runtime's MMIO window [0xc0000000, 4 GiB) (docs/abi.md).
//   QEMU 7.2's q35 booted with -kernel (PVH through SeaBIOS's option ROM)
//   puts the 64-bit BAR4 of a virtio-pci device at 0xfebf8000 (measured):
//   modern is what atoll uses there.
// - legacy (§4.1.4.8): the I/O-port BAR0 of a transitional device; used when
//   the modern structures are out of reach (a BAR above 4 GiB).
import { irq_attach_msi, io_in8, io_in16, io_in32, io_out8, io_out16, io_out32, mmio_read8, mmio_read16, mmio_read32, mmio_write8, mmio_write16, mmio_write32 } from "./hardware";
import { Transport } from "./transport";

const CONFIG_ADDRESS = 0xcf8;
const CONFIG_DATA = 0xcfc;
/** Red Hat's vendor ID, every virtio PCI device's (§4.1.2). */
export const VIRTIO_VENDOR: u16 = 0x1af4;

/** The 32-bit configuration address of bus/device/function and register `offset` (mechanism #1). */
function address(bdf: u32, offset: u32): u32 {
  return 0x8000_0000 | (bdf << 8) | (offset & 0xfc);
}
/** Reads the configuration space of `bdf` (bus << 8 | device << 3 | function). */
export function pciRead32(bdf: u32, offset: u32): u32 {
  io_out32(CONFIG_ADDRESS, address(bdf, offset));
  return <u32>io_in32(CONFIG_DATA);
}
export function pciRead16(bdf: u32, offset: u32): u16 {
  io_out32(CONFIG_ADDRESS, address(bdf, offset));
  return <u16>io_in16(CONFIG_DATA + (offset & 2));
}
export function pciRead8(bdf: u32, offset: u32): u8 {
  io_out32(CONFIG_ADDRESS, address(bdf, offset));
  return <u8>io_in8(CONFIG_DATA + (offset & 3));
}
export function pciWrite16(bdf: u32, offset: u32, value: u16): void {
  io_out32(CONFIG_ADDRESS, address(bdf, offset));
  io_out16(CONFIG_DATA + (offset & 2), value);
}

/** "bb:dd.f", as lspci shows it. */
export function bdfName(bdf: u32): string {
  const hex = (v: u32): string => (v < 16 ? "0" : "") + v.toString(16);
  return hex(bdf >> 8) + ":" + hex((bdf >> 3) & 31) + "." + (bdf & 7).toString();
}

/** PCI command register bits: I/O space, memory space, bus master (DMA). */
const COMMAND = 0x04;
const COMMAND_ENABLE: u16 = 1 | 2 | 4;
/** Status register bit 4: the capability list exists; its head is at 0x34. */
const STATUS = 0x06;
const CAP_LIST: u16 = 1 << 4;
const CAP_POINTER = 0x34;
const CAP_VENDOR: u8 = 0x09;
/** The MSI-X capability (PCI Local Bus 3.0 §6.8.2): message control at +2 (bit 15 enable, 14 function mask), table offset and BIR at +4. */
const CAP_MSIX: u8 = 0x11;
const MSIX_ENABLE: u16 = 0x8000;
const MSIX_FUNCTION_MASK: u16 = 0x4000;
/** virtio's "no MSI-X vector" (§4.1.4.3). */
const NO_VECTOR: u16 = 0xffff;

/** virtio_pci_cap.cfg_type (§4.1.4). */
const enum CfgType {
  Common = 1,
  Notify = 2,
  Isr = 3,
  Device = 4,
}

/** The virtio device type of a virtio PCI function (§4.1.2): 0x1040 + type, or a transitional ID's subsystem ID. */
export function pciDeviceType(bdf: u32): u32 {
  const id = <u32>pciRead16(bdf, 2);
  if (id >= 0x1040 && id <= 0x107f) return id - 0x1040;
  if (id >= 0x1000 && id <= 0x103f) return <u32>pciRead16(bdf, 0x2e);
  return 0;
}

/** The address of BAR `bar` when it is a memory BAR (64-bit ones read whole); 0 for an I/O BAR or an empty one. */
function memoryBar(bdf: u32, bar: u32): u64 {
  if (bar > 5) return 0;
  const low = pciRead32(bdf, 0x10 + bar * 4);
  if ((low & 1) != 0) return 0;
  let addr = <u64>(low & 0xffff_fff0);
  if (((low >> 1) & 3) == 2 && bar < 5) addr |= (<u64>pciRead32(bdf, 0x14 + bar * 4)) << 32;
  return addr;
}

/** The I/O port base of BAR0 when it is an I/O BAR, else -1. */
function ioBar0(bdf: u32): i32 {
  const low = pciRead32(bdf, 0x10);
  return (low & 1) != 0 ? <i32>(low & 0xfffc) : -1;
}

/** The device-memory window of the kvm runtime's MMIO calls (docs/abi.md). */
const MMIO_LOW: u64 = 0xc000_0000;
const MMIO_END: u64 = 0x1_0000_0000;

function reachable(addr: u64, len: u32): bool {
  return addr >= MMIO_LOW && addr + <u64>len <= MMIO_END;
}

/**
 * The transport for the virtio PCI function `bdf`: modern when its
 * structures are reachable, else legacy through an I/O BAR0, else null.
 * Enables I/O, memory decoding and bus mastering (the device's DMA).
 */
export function pciTransport(bdf: u32): Transport | null {
  pciWrite16(bdf, COMMAND, pciRead16(bdf, COMMAND) | COMMAND_ENABLE);
  const modern = ModernPciTransport.find(bdf);
  if (modern !== null) return modern;
  const io = ioBar0(bdf);
  return io >= 0 ? new LegacyPciTransport(bdf, io) : null;
}

/** Offsets in virtio_pci_common_cfg (§4.1.4.3). */
const enum Common {
  DeviceFeatureSelect = 0,
  DeviceFeature = 4,
  DriverFeatureSelect = 8,
  DriverFeature = 12,
  MsixConfig = 16,
  DeviceStatus = 20,
  ConfigGeneration = 21,
  QueueSelect = 22,
  QueueSize = 24,
  QueueMsixVector = 26,
  QueueEnable = 28,
  QueueNotifyOff = 30,
  QueueDesc = 32,
  QueueDriver = 40,
  QueueDevice = 48,
}

/** A virtio PCI device through its modern capabilities, every field at its natural width (§4.1.3.1). */
export class ModernPciTransport extends Transport {
  /** Queues enabled from now on signal MSI-X table entry 0 (attachInterrupt). */
  private msix: bool = false;
  /** Each enabled queue's notification address, read once at enableQueue (0: not known), so a notification is one MMIO write. */
  private notifyAt: StaticArray<u64> = new StaticArray<u64>(16);

  /** `msixCap`: the configuration-space offset of the MSI-X capability, 0 when there is none. */
  constructor(private bdf: u32, private common: u64, private notifyBase: u64, private notifyMultiplier: u32, private isr: u64, private device: u64,
    private msixCap: u32 = 0) {
    super();
  }

  /**
   * MSI-X (the atoll runtime's choice for PCI: no chipset INTx routing to
   * know): table entry 0 gets the runtime's message for a new handle, every
   * queue enabled afterwards signals it (§4.1.5.1.2), configuration changes
   * signal nothing.
   */
  attachInterrupt(): i32 {
    if (this.msixCap == 0) return -1;
    const where = pciRead32(this.bdf, this.msixCap + 4);
    const bar = memoryBar(this.bdf, where & 7);
    const table = bar + <u64>(where & ~7);
    if (bar == 0 || !reachable(table, 16)) return -1;
    const message = new ArrayBuffer(12);
    const at = changetype<usize>(message);
    const handle = irq_attach_msi(at);
    if (handle < 0) return handle;
    mmio_write32(table, load<u32>(at)); // message address, low and high
    mmio_write32(table + 4, load<u32>(at, 4));
    mmio_write32(table + 8, load<u32>(at, 8)); // message data
    mmio_write32(table + 12, 0); // vector control: unmasked
    pciWrite16(this.bdf, this.msixCap + 2, (pciRead16(this.bdf, this.msixCap + 2) | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
    mmio_write16(this.common + Common.MsixConfig, NO_VECTOR);
    this.msix = true;
    return handle;
  }

  /** The modern transport of `bdf`, or null when it lacks a structure or one lies outside the MMIO window. */
  static find(bdf: u32): ModernPciTransport | null {
    if ((pciRead16(bdf, STATUS) & CAP_LIST) == 0) return null;
    let common: u64 = 0, notify: u64 = 0, isr: u64 = 0, device: u64 = 0, multiplier: u32 = 0, msix: u32 = 0;
    let cap = <u32>(pciRead8(bdf, CAP_POINTER) & 0xfc);
    for (let guard = 0; cap != 0 && guard < 48; guard++) {
      if (pciRead8(bdf, cap) == CAP_VENDOR) {
        const type = pciRead8(bdf, cap + 3);
        const bar = <u32>pciRead8(bdf, cap + 4);
        const offset = pciRead32(bdf, cap + 8);
        const length = pciRead32(bdf, cap + 12);
        const base = memoryBar(bdf, bar);
        const at = base == 0 || !reachable(base + <u64>offset, length) ? 0 : base + <u64>offset;
        // The first capability of each type is the preferred one (§4.1.4).
        if (type == CfgType.Common && common == 0) common = at;
        else if (type == CfgType.Notify && notify == 0) {
          notify = at;
          multiplier = pciRead32(bdf, cap + 16);
        } else if (type == CfgType.Isr && isr == 0) isr = at;
        else if (type == CfgType.Device && device == 0) device = at;
      }
      if (pciRead8(bdf, cap) == CAP_MSIX) msix = cap;
      cap = <u32>(pciRead8(bdf, cap + 1) & 0xfc);
    }
    if (common == 0 || notify == 0 || isr == 0) return null;
    return new ModernPciTransport(bdf, common, notify, multiplier, isr, device, msix);
  }

  get deviceType(): u32 { return pciDeviceType(this.bdf); }
  get location(): string { return "virtio-pci " + bdfName(this.bdf); }
  get modern(): bool { return true; }
  get fixedQueueSize(): bool { return false; }

  getStatus(): u8 { return <u8>mmio_read8(this.common + Common.DeviceStatus); }
  setStatus(status: u8): void { mmio_write8(this.common + Common.DeviceStatus, status); }

  deviceFeatures(): u64 {
    mmio_write32(this.common + Common.DeviceFeatureSelect, 0);
    const low = <u64><u32>mmio_read32(this.common + Common.DeviceFeature);
    mmio_write32(this.common + Common.DeviceFeatureSelect, 1);
    return low | ((<u64><u32>mmio_read32(this.common + Common.DeviceFeature)) << 32);
  }

  setDriverFeatures(features: u64): void {
    mmio_write32(this.common + Common.DriverFeatureSelect, 0);
    mmio_write32(this.common + Common.DriverFeature, <u32>features);
    mmio_write32(this.common + Common.DriverFeatureSelect, 1);
    mmio_write32(this.common + Common.DriverFeature, <u32>(features >> 32));
  }

  configGeneration(): u32 { return <u32>mmio_read8(this.common + Common.ConfigGeneration); }
  config8(offset: u32): u8 { return this.device == 0 ? 0 : <u8>mmio_read8(this.device + offset); }
  config16(offset: u32): u16 { return this.device == 0 ? 0 : <u16>mmio_read16(this.device + offset); }
  config32(offset: u32): u32 { return this.device == 0 ? 0 : <u32>mmio_read32(this.device + offset); }

  queueMaxSize(index: u16): u16 {
    mmio_write16(this.common + Common.QueueSelect, index);
    if (mmio_read16(this.common + Common.QueueEnable) != 0) return 0;
    return <u16>mmio_read16(this.common + Common.QueueSize);
  }

  enableQueue(index: u16, size: u16, desc: u64, driver: u64, device: u64): void {
    const c = this.common;
    mmio_write16(c + Common.QueueSelect, index);
    mmio_write16(c + Common.QueueSize, size);
    // 64-bit fields as two 32-bit writes, low first (§4.1.3.1 allows either).
    mmio_write32(c + Common.QueueDesc, <u32>desc); mmio_write32(c + Common.QueueDesc + 4, <u32>(desc >> 32));
    mmio_write32(c + Common.QueueDriver, <u32>driver); mmio_write32(c + Common.QueueDriver + 4, <u32>(driver >> 32));
    mmio_write32(c + Common.QueueDevice, <u32>device); mmio_write32(c + Common.QueueDevice + 4, <u32>(device >> 32));
    if (this.msix) mmio_write16(c + Common.QueueMsixVector, 0);
    mmio_write16(c + Common.QueueEnable, 1);
    if (<i32>index < this.notifyAt.length) unchecked(this.notifyAt[index] = this.notifyAddress());
  }

  notify(index: u16): void {
    let at: u64 = <i32>index < this.notifyAt.length ? unchecked(this.notifyAt[index]) : 0;
    if (at == 0) {
      mmio_write16(this.common + Common.QueueSelect, index);
      at = this.notifyAddress();
    }
    mmio_write16(at, index);
  }

  /** The selected queue's notification address (§4.1.4.4): the notify structure plus queue_notify_off times the multiplier. */
  private notifyAddress(): u64 {
    return this.notifyBase + <u64>mmio_read16(this.common + Common.QueueNotifyOff) * <u64>this.notifyMultiplier;
  }

  ackInterrupt(): u32 { return <u32>mmio_read8(this.isr); } // reading the ISR status acknowledges it (§4.1.4.5)
}

/** Offsets in the legacy I/O BAR (§4.1.4.8), MSI-X off. */
const enum Legacy {
  DeviceFeatures = 0x00,
  DriverFeatures = 0x04,
  QueueAddress = 0x08,
  QueueSize = 0x0c,
  QueueSelect = 0x0e,
  QueueNotify = 0x10,
  DeviceStatus = 0x12,
  IsrStatus = 0x13,
  Config = 0x14,
}

/** A transitional virtio PCI device through its legacy I/O-port interface (32 feature bits, fixed queue sizes, no FEATURES_OK). */
export class LegacyPciTransport extends Transport {
  constructor(private bdf: u32, private port: i32) {
    super();
  }

  get deviceType(): u32 { return pciDeviceType(this.bdf); }
  get location(): string { return "virtio-pci " + bdfName(this.bdf) + " (legacy)"; }
  get modern(): bool { return false; }
  get fixedQueueSize(): bool { return true; }

  getStatus(): u8 { return <u8>io_in8(this.port + Legacy.DeviceStatus); }
  setStatus(status: u8): void { io_out8(this.port + Legacy.DeviceStatus, status); }
  deviceFeatures(): u64 { return <u64><u32>io_in32(this.port + Legacy.DeviceFeatures); }
  setDriverFeatures(features: u64): void { io_out32(this.port + Legacy.DriverFeatures, <u32>features); }
  configGeneration(): u32 { return 0; } // legacy has none; config64 reads once
  config8(offset: u32): u8 { return <u8>io_in8(this.port + Legacy.Config + offset); }
  config16(offset: u32): u16 { return <u16>io_in16(this.port + Legacy.Config + offset); }
  config32(offset: u32): u32 { return <u32>io_in32(this.port + Legacy.Config + offset); }

  queueMaxSize(index: u16): u16 {
    io_out16(this.port + Legacy.QueueSelect, index);
    if (io_in32(this.port + Legacy.QueueAddress) != 0) return 0;
    return <u16>io_in16(this.port + Legacy.QueueSize);
  }

  enableQueue(index: u16, size: u16, desc: u64, driver: u64, device: u64): void {
    io_out16(this.port + Legacy.QueueSelect, index);
    io_out32(this.port + Legacy.QueueAddress, <u32>(desc >> 12)); // the page frame; the rings follow in the legacy layout
  }

  notify(index: u16): void { io_out16(this.port + Legacy.QueueNotify, index); }
  ackInterrupt(): u32 { return <u32>io_in8(this.port + Legacy.IsrStatus); }
}
