// A split virtqueue (virtio 1.2 §2.7): the descriptor table, the available
// ring the driver fills and the used ring the device fills, in linear memory
// the device reaches through dma.ts's physical addresses.
//
// Layout: one page-aligned block in the legacy layout of §2.7.2 (descriptor
// table, then the available ring, then the used ring at the next 4096-byte
// boundary). It meets the modern alignments too (16, 2 and 4 bytes,
// §2.7), so the same queue serves the modern and the legacy interfaces.
//
// Ordering: the driver's stores reach the device in program order (x86 is
// TSO, and the compiler keeps the order of memory stores), so a descriptor is
// written before the ring entry naming it, and the entry before the index
// that publishes it (§2.7.13). The one reordering x86 allows, a load passing
// an earlier store, is why kick() notifies every time (see there).
import { allocDma, physical } from "./dma";
import { Transport } from "./transport";

/** Descriptor flags (§2.7.5). */
const enum DescFlag {
  Next = 1,
  Write = 2,
}
/** Available ring flag (§2.7.6): the driver does not want interrupts. */
const AVAIL_F_NO_INTERRUPT: u16 = 1;
/** Used ring flag (§2.7.8): the device does not want notifications. */
const USED_F_NO_NOTIFY: u16 = 1;
/** The legacy layout aligns the used ring to this (§2.7.2). */
const LEGACY_ALIGN: usize = 4096;
/** Entries a queue never exceeds; the device's maximum may be larger. */
export const MAX_QUEUE_SIZE: u16 = 256;

/** Why a queue could not be set up. */
export const enum QueueError {
  Ok = 0,
  /** The device has no such queue, or it is already enabled. */
  Missing = 1,
  /** A legacy device's fixed size is not a power of two or exceeds what we allocate. */
  BadSize = 2,
}

/** One split virtqueue of one device. */
export class Virtqueue {
  /** Number of descriptors (a power of two). */
  readonly size: u16;
  private desc: usize;
  private avail: usize;
  private used: usize;
  private freeHead: u16 = 0;
  private freeCount: u16;
  /** The available ring's next index (free-running, §2.7.6). */
  private availIdx: u16 = 0;
  /** The used ring's next index not yet harvested. */
  private lastUsed: u16 = 0;
  /** Buffers staged by stage() for the next submit(). */
  private stagedAddr: StaticArray<u64>;
  private stagedLen: StaticArray<u32>;
  private stagedWrite: StaticArray<bool>;
  private staged: i32 = 0;
  /** The descriptor id of the last harvested chain's head (after pollUsed). */
  usedId: u16 = 0;
  /** The bytes the device wrote into the last harvested chain (after pollUsed). */
  usedLen: u32 = 0;
  /** The setup error when `ok` is false. */
  error: QueueError = QueueError.Ok;

  /**
   * Sets up queue `index` of `transport` with at most `wanted` entries (a
   * power of two) and enables it. Check `ok` afterwards. `eventIdx` says
   * VIRTIO_F_EVENT_IDX was negotiated (§2.7.10): the used_event and
   * avail_event fields then replace the flags.
   */
  constructor(private transport: Transport, readonly index: u16, wanted: u16, readonly eventIdx: bool = false) {
    const deviceMax = transport.queueMaxSize(index);
    let size: u16 = 0;
    if (deviceMax == 0) this.error = QueueError.Missing;
    else if (transport.fixedQueueSize) {
      // A legacy device's size is its own (§4.1.4.8): take it whole.
      if ((deviceMax & (deviceMax - 1)) != 0 || deviceMax > 4 * MAX_QUEUE_SIZE) this.error = QueueError.BadSize;
      else size = deviceMax;
    } else {
      size = min(deviceMax, min(wanted, MAX_QUEUE_SIZE));
      while ((size & (size - 1)) != 0) size &= size - 1; // a split queue's size is a power of two (§2.7)
    }
    this.size = size;
    this.freeCount = size;
    const n = <usize>size;
    const availAt = n * 16;
    const usedAt = (availAt + 6 + 2 * n + LEGACY_ALIGN - 1) & ~(LEGACY_ALIGN - 1);
    const block = allocDma(usedAt + 6 + 8 * n, LEGACY_ALIGN);
    this.desc = block;
    this.avail = block + availAt;
    this.used = block + usedAt;
    this.stagedAddr = new StaticArray<u64>(<i32>max(n, 1));
    this.stagedLen = new StaticArray<u32>(<i32>max(n, 1));
    this.stagedWrite = new StaticArray<bool>(<i32>max(n, 1));
    if (this.error == QueueError.Ok) {
      // The free list threads every descriptor through its next field.
      for (let i: u16 = 0; i < size; i++) store<u16>(this.desc + <usize>i * 16, (i + 1) & (size - 1), 14);
      transport.enableQueue(index, size, physical(this.desc), physical(this.avail), physical(this.used));
    }
  }

  /** True when the queue was set up. */
  get ok(): bool { return this.error == QueueError.Ok; }

  /** Descriptors not in any chain the device holds. */
  get free(): u16 { return this.freeCount; }

  /** Stages one buffer of the next chain: `len` bytes at physical `addr`, written by the device when `deviceWrites`. */
  stage(addr: u64, len: u32, deviceWrites: bool): void {
    if (this.staged >= <i32>this.size) { this.staged++; return; } // submit() refuses the chain
    unchecked(this.stagedAddr[this.staged] = addr);
    unchecked(this.stagedLen[this.staged] = len);
    unchecked(this.stagedWrite[this.staged] = deviceWrites);
    this.staged++;
  }

  /**
   * Puts the staged buffers, in order, into the available ring as one chain
   * (§2.7.13) and returns its head descriptor; -1 (nothing published) when
   * fewer descriptors are free than the chain needs or nothing was staged.
   * Does not notify: call kick().
   */
  submit(): i32 {
    const count = this.staged;
    this.staged = 0;
    if (count == 0 || count > <i32>this.freeCount) return -1;
    const head = this.freeHead;
    let id = head;
    for (let i = 0; i < count; i++) {
      const d = this.desc + <usize>id * 16;
      store<u64>(d, unchecked(this.stagedAddr[i]));
      store<u32>(d, unchecked(this.stagedLen[i]), 8);
      let flags: u16 = unchecked(this.stagedWrite[i]) ? <u16>DescFlag.Write : 0;
      if (i + 1 < count) flags |= <u16>DescFlag.Next;
      store<u16>(d, flags, 12);
      if (i + 1 < count) id = load<u16>(d, 14); // the next free descriptor, already linked
    }
    this.freeHead = load<u16>(this.desc + <usize>id * 16, 14);
    this.freeCount -= <u16>count;
    store<u16>(this.avail + 4 + <usize>(this.availIdx & (this.size - 1)) * 2, head);
    this.availIdx++;
    store<u16>(this.avail, this.availIdx, 2); // publishes the entry (§2.7.13.3)
    return head;
  }

  /**
   * Notifies the device of new chains. Always: honouring VIRTQ_USED_F_NO_NOTIFY
   * or avail_event (needsNotify) needs a full barrier between publishing the
   * index and reading those fields, and every barrier the kvm ABI offers
   * (an I/O or MMIO access, cpuid) costs a VM exit, as the notification does.
   */
  kick(): void {
    this.transport.notify(this.index);
  }

  /**
   * The notification-suppression hook (§2.7.10, §2.7.13.4): whether the device
   * asked to be notified after the index moved from `oldIdx` to the current
   * one. Only meaningful after a full memory barrier (see kick()).
   */
  needsNotify(oldIdx: u16): bool {
    if (this.eventIdx) {
      const event = load<u16>(this.used + 4 + <usize>this.size * 8); // avail_event
      return <u16>(this.availIdx - event - 1) < <u16>(this.availIdx - oldIdx);
    }
    return (load<u16>(this.used) & USED_F_NO_NOTIFY) == 0;
  }

  /** The available ring's index, for needsNotify's `oldIdx`. */
  get availIndex(): u16 { return this.availIdx; }

  /**
   * Asks the device not to interrupt for this queue (`off` true), or to
   * interrupt again; with EVENT_IDX, at the next used entry (§2.7.10). A
   * hint: the device may interrupt anyway.
   */
  suppressInterrupts(off: bool): void {
    if (this.eventIdx) {
      store<u16>(this.avail + 4 + <usize>this.size * 2, off ? this.lastUsed + 0x8000 : this.lastUsed); // used_event: half the index space away, or the next entry
    } else {
      store<u16>(this.avail, off ? AVAIL_F_NO_INTERRUPT : 0);
    }
  }

  /** True when the device has returned chains not yet harvested. */
  hasUsed(): bool {
    return load<u16>(this.used, 2) != this.lastUsed;
  }

  /**
   * Harvests the oldest used chain: sets usedId (its head) and usedLen (the
   * bytes the device wrote) and frees its descriptors. False when there is none.
   */
  pollUsed(): bool {
    if (load<u16>(this.used, 2) == this.lastUsed) return false;
    const e = this.used + 4 + <usize>(this.lastUsed & (this.size - 1)) * 8;
    const id = <u16>load<u32>(e);
    this.usedId = id;
    this.usedLen = load<u32>(e, 4);
    this.lastUsed++;
    // Back onto the free list: walk the chain to its tail and link it in front.
    let tail = id, n: u16 = 1;
    while ((load<u16>(this.desc + <usize>tail * 16, 12) & DescFlag.Next) != 0) {
      tail = load<u16>(this.desc + <usize>tail * 16, 14);
      n++;
    }
    store<u16>(this.desc + <usize>tail * 16, this.freeHead, 14);
    this.freeHead = id;
    this.freeCount += n;
    return true;
  }
}
