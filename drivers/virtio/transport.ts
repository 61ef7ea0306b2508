// A virtio transport: how a driver reaches one device's status, features,
// configuration space, virtqueues and notifications (virtio 1.2 §4). The MMIO
// (mmio.ts) and PCI (pci.ts) transports implement it; virtqueue.ts, block.ts
// and net.ts code against it only. The device initialisation sequence of
// §3.1.1 is written here once.

/** Device status bits (virtio 1.2 §2.1). */
export const enum Status {
  Acknowledge = 1,
  Driver = 2,
  DriverOk = 4,
  FeaturesOk = 8,
  NeedsReset = 64,
  Failed = 128,
}

/** Device-independent feature bits (virtio 1.2 §6). */
export const enum Feature {
  IndirectDesc = 28,
  EventIdx = 29,
  Version1 = 32,
  AccessPlatform = 33,
  RingPacked = 34,
}

/** Device types (virtio 1.2 §5). */
export const enum DeviceType {
  Net = 1,
  Block = 2,
}

/** The bit mask of feature bit `bit`. */
export function bit(b: i32): u64 {
  return (<u64>1) << <u64>b;
}

/** One virtio device as its transport shows it. */
export abstract class Transport {
  /** The device type (DeviceType). */
  abstract get deviceType(): u32;
  /** Where the device is, for messages: "virtio-mmio at 0xfeb00e00", "virtio-pci 00:02.0". */
  abstract get location(): string;
  /** True for the virtio 1.x interface (VERSION_1 required), false for a legacy one. */
  abstract get modern(): bool;
  /** The status byte. */
  abstract getStatus(): u8;
  /** Writes the status byte; 0 resets the device. */
  abstract setStatus(status: u8): void;
  /** The 64 feature bits the device offers (32 on a legacy interface). */
  abstract deviceFeatures(): u64;
  /** Tells the device which features the driver accepts. */
  abstract setDriverFeatures(features: u64): void;
  /** The configuration generation; reads of several fields are consistent when it is the same before and after (§2.5.1). */
  abstract configGeneration(): u32;
  /** Reads the 8-bit field at `offset` of the device configuration space. */
  abstract config8(offset: u32): u8;
  /** Reads the 16-bit field at `offset` of the device configuration space. */
  abstract config16(offset: u32): u16;
  /** Reads the 32-bit field at `offset` of the device configuration space. */
  abstract config32(offset: u32): u32;
  /** Selects virtqueue `index` and returns its largest size; 0 when it does not exist or is in use. */
  abstract queueMaxSize(index: u16): u16;
  /** True when the queue size cannot be chosen: a legacy interface takes the size queueMaxSize said. */
  abstract get fixedQueueSize(): bool;
  /**
   * Gives the device virtqueue `index` of `size` entries at the three
   * physical addresses and enables it. A legacy interface takes only the
   * first, with the rest laid out as §2.7.2's legacy layout (see virtqueue.ts).
   */
  abstract enableQueue(index: u16, size: u16, desc: u64, driver: u64, device: u64): void;
  /** Tells the device there are new buffers in virtqueue `index`. */
  abstract notify(index: u16): void;
  /** Reads and acknowledges the interrupt status (bit 0: a used buffer, bit 1: a configuration change). */
  abstract ackInterrupt(): u32;

  /**
   * Routes the device's used-buffer interrupts to a new device handle of the
   * event loop (docs/abi.md: irq_attach, irq_attach_msi) and returns it; a
   * negative value when this transport cannot. Call before enabling the
   * queues (a PCI device takes each queue's MSI-X vector as it is set up).
   */
  attachInterrupt(): i32 { return -1; }

  /** Reads the 64-bit field at `offset` as two 32-bit halves, retried until the generation is stable (§2.5.1, §4.2.2.2). */
  config64(offset: u32): u64 {
    let gen: u32, value: u64;
    do {
      gen = this.configGeneration();
      value = <u64>this.config32(offset) | ((<u64>this.config32(offset + 4)) << 32);
    } while (gen != this.configGeneration());
    return value;
  }

  /** §3.1.1 steps 1-3: reset, then ACKNOWLEDGE and DRIVER. */
  begin(): void {
    this.setStatus(0);
    // §4.1.4.3.2, §4.2.2.1: wait until the reset is done (QEMU's is immediate;
    // the bound keeps a wedged device from hanging start-up: negotiate then fails).
    for (let i = 0; i < 1_000_000 && this.getStatus() != 0; i++) {}
    this.setStatus(<u8>Status.Acknowledge);
    this.setStatus(<u8>(Status.Acknowledge | Status.Driver));
  }

  /**
   * §3.1.1 steps 4-6: accepts the offered features among `wanted` (plus
   * VERSION_1 on a modern interface) and returns them, or returns u64.MAX_VALUE
   * after marking the device FAILED when it does not take them (FEATURES_OK
   * not kept) or lacks one of `required`.
   */
  negotiate(wanted: u64, required: u64): u64 {
    const offered = this.deviceFeatures();
    let accepted = offered & wanted;
    if (this.modern) accepted |= offered & bit(Feature.Version1);
    if ((accepted & required) != required || (this.modern && (accepted & bit(Feature.Version1)) == 0)) {
      this.fail();
      return u64.MAX_VALUE;
    }
    this.setDriverFeatures(accepted);
    if (this.modern) {
      // A legacy interface has no FEATURES_OK step (§4.1.4.8 legacy interface).
      this.setStatus(<u8>(Status.Acknowledge | Status.Driver | Status.FeaturesOk));
      if ((this.getStatus() & <u8>Status.FeaturesOk) == 0) {
        this.fail();
        return u64.MAX_VALUE;
      }
    }
    return accepted;
  }

  /** §3.1.1 step 8: the driver is ready; call after the virtqueues are enabled. */
  driverOk(): void {
    this.setStatus(this.getStatus() | <u8>Status.DriverOk);
  }

  /** Marks the device FAILED (§3.1.1): the driver gave up on it. */
  fail(): void {
    this.setStatus(this.getStatus() | <u8>Status.Failed);
  }
}
