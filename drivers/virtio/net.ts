// lib/net/device.ts's NetDevice on virtio-net (virtio 1.2 §5.1), over either
// transport: receive queue 0 kept full of buffers, transmit queue 1 with its
// completed buffers recycled as frames are sent. No offloads: every frame
// carries a zeroed 12-byte virtio_net_hdr (§5.1.6; VERSION_1 makes it 12
// bytes, num_buffers included, with or without MRG_RXBUF), so one buffer
// holds the header and a whole frame and each frame is one descriptor.
//
// Events: the device's interrupt is attached to a device handle of the event
// loop (Transport.attachInterrupt: an I/O APIC line on virtio-mmio, MSI-X on
// PCI); when `yield` reports the bit, poll() acknowledges the interrupt,
// passes every received frame to the handler, gives the buffers back and
// re-arms. With VIRTIO_F_EVENT_IDX the driver asks for an interrupt at the
// next used entry only (used_event, §2.7.10), else it toggles
// VIRTQ_AVAIL_F_NO_INTERRUPT; the transmit queue interrupts only while a
// sender waits for a free buffer, and is notified once per burst of frames
// (NOTIFY_BATCH). Nothing busy-polls.
//
// Which device is which: the n-th call of openVirtioNet (config.ts's network
// devices, in order) takes the n-th virtio-net device of discover.ts's
// order, which is QEMU's command-line order; `atoll run -t kvm` adds one
// device per network device of config.ts, in config.ts's order.
import { NetDevice, NetResult, FrameHandler } from "atoll/net/device";
import { EventSource, loop } from "atoll/loop";
import { Timer, TimerHandler } from "atoll/timer";
import { AbiConsole } from "atoll/console";
import { exit, EXIT_USAGE } from "atoll/exit";
import { physical } from "./dma";
import { virtioDevices, unusableDevices } from "./discover";
import { Transport, DeviceType, bit, Feature } from "./transport";
import { Virtqueue } from "./virtqueue";

/** Feature bits (§5.1.3). */
const enum NetFeature {
  Mtu = 3,
  Mac = 5,
}
/** Configuration offsets (§5.1.4): mac[6], status u16, max_virtqueue_pairs u16, mtu u16. */
const CONFIG_MAC: u32 = 0;
const CONFIG_MTU: u32 = 10;
/** The header in front of every frame (§5.1.6, VERSION_1): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers. */
const HEADER: i32 = 12;
const ETH_HEADER: u32 = 14;
/** Ethernet's MTU, when the device does not offer VIRTIO_NET_F_MTU. */
const DEFAULT_MTU: u32 = 1500;
/** Bytes per buffer: the header, a 1514-byte frame plus a VLAN tag, rounded up. */
const BUFFER: i32 = 2048;
/**
 * Queue sizes asked for; the device's maxima may be smaller. 256 transmit
 * buffers hold a 256 KiB TCP window (about 180 frames) with its ACKs: with
 * 128, a bulk send's first burst found the queue full (about 50 segments
 * refused, then retransmitted).
 */
const RX_QUEUE: u16 = 256;
const TX_QUEUE: u16 = 256;
const RECEIVEQ: u16 = 0;
const TRANSMITQ: u16 = 1;
/**
 * At most this many frames per poll, so a flood cannot starve timers; the
 * rest wait for a poll from a zero-delay timer, after the loop's other
 * work (an interrupt would not come: the device signals new entries only).
 */
const MAX_FRAMES_PER_POLL: i32 = 1024;

/**
 * Frames queued before the transmit queue is notified at once; fewer wait
 * for the end of the loop's turn (Flush). Each notification is an MMIO
 * write, a VM exit: under TCG, sending 100 MB from the guest spent 13% of
 * QEMU's vCPU time in them when every frame notified (perf on QEMU).
 */
const NOTIFY_BATCH: i32 = 32;

/** Notifies the transmit queue of the frames a turn of the loop queued. */
class Flush extends TimerHandler {
  constructor(private dev: VirtioNet) { super(); }
  onTimer(timer: Timer, now: i64): void { this.dev.flushTimer(); }
}

/** Polls a VirtioNet again when a poll stopped at MAX_FRAMES_PER_POLL. */
class Resume extends TimerHandler {
  constructor(private dev: VirtioNet) { super(); }
  onTimer(timer: Timer, now: i64): void { this.dev.poll(); }
}

/** Drains a VirtioNet when the loop reports its bit. */
class VirtioNetSource extends EventSource {
  constructor(private dev: VirtioNet) { super(); }
  poll(now: i64): void { this.dev.poll(); }
  get waiting(): bool { return this.dev.listening; }
}

/** A virtio-net device as an Ethernet device. */
export class VirtioNet extends NetDevice {
  private handler: FrameHandler | null = null;
  /** Receive buffers, BUFFER bytes each; rxOf[descriptor] is the buffer a chain's head descriptor holds. */
  private rxPool: Uint8Array;
  private rxOf: StaticArray<i32>;
  /** Transmit buffers and which are free; txOf as rxOf. */
  private txPool: Uint8Array;
  private txOf: StaticArray<i32>;
  private txFree: Array<i32> = [];
  /** A transmit found no free buffer: the transmit queue interrupts until one comes back. */
  private txWaiting: bool = false;
  private resume: Resume | null = null;
  /** Frames in the transmit queue the device has not been notified of, and whether a Flush is armed. */
  private unnotified: i32 = 0;
  private flushArmed: bool = false;
  private flusher: Flush | null = null;

  constructor(private _name: string, private transport: Transport, private rx: Virtqueue, private tx: Virtqueue,
    private _mac: Uint8Array, private _mtu: u32, handle: i32) {
    super();
    this.rxPool = new Uint8Array(<i32>rx.size * BUFFER);
    this.rxOf = new StaticArray<i32>(<i32>rx.size);
    this.txPool = new Uint8Array(<i32>tx.size * BUFFER);
    this.txOf = new StaticArray<i32>(<i32>tx.size);
    for (let i = 0; i < <i32>tx.size; i++) this.txFree.push(i);
    for (let i = 0; i < <i32>rx.size; i++) this.giveRx(i);
    tx.suppressInterrupts(true);
    rx.suppressInterrupts(false);
    loop.attach(handle, new VirtioNetSource(this));
  }

  get name(): string { return this._name; }
  get mac(): Uint8Array { return this._mac; }
  get mtu(): u32 { return this._mtu; }
  /** True once a handler is set: the device then keeps the unikernel alive. */
  get listening(): bool { return this.handler != null; }

  /** Starts the device: its buffers are in place (§3.1.1 step 8). */
  start(): void {
    this.transport.driverOk();
    this.rx.kick();
  }

  transmit(frame: Uint8Array): NetResult {
    const len = frame.length;
    if (<u32>len > this._mtu + ETH_HEADER) return NetResult.TooBig;
    this.recycleTx();
    if (this.txFree.length == 0) {
      // The device must see every queued frame, or no buffer would come back.
      this.flush();
      // Wake when the device hands one back: the caller retries after the
      // next event. A buffer returned between the harvest and the re-arm
      // would raise nothing, so look again after a barrier: a register read
      // (a VM exit) orders the used_event store before the used index load
      // (§2.7.10). Not ackInterrupt: that would swallow a receive interrupt.
      this.txWaiting = true;
      this.tx.suppressInterrupts(false);
      this.transport.configGeneration();
      this.recycleTx();
      if (this.txFree.length == 0) return NetResult.Busy;
    }
    const i = this.txFree.pop();
    const at = this.txPool.dataStart + <usize>(i * BUFFER);
    memory.fill(at, 0, HEADER); // no checksum or segmentation offload (§5.1.6.2)
    memory.copy(at + HEADER, frame.dataStart, <usize>len);
    this.tx.stage(physical(at), <u32>(HEADER + len), false);
    const head = this.tx.submit();
    if (head < 0) { // cannot happen: one descriptor per buffer, as many buffers as descriptors
      this.txFree.push(i);
      return NetResult.DeviceError;
    }
    unchecked(this.txOf[head] = i);
    // A burst of frames (a TCP window, the answers to a poll's frames) costs
    // one notification: at the end of the loop's turn (a zero-delay timer
    // runs after the devices' polls, §2.7.13.3 lets the driver batch), or
    // at once when NOTIFY_BATCH are waiting or the queue is full.
    this.unnotified++;
    if (this.unnotified >= NOTIFY_BATCH || this.txFree.length == 0) {
      this.flush();
    } else if (!this.flushArmed) {
      let f = this.flusher;
      if (f == null) this.flusher = f = new Flush(this);
      loop.timers.after(0, f);
      this.flushArmed = true;
    }
    return NetResult.Ok;
  }

  /** The armed Flush fired. */
  flushTimer(): void {
    this.flushArmed = false;
    this.flush();
  }

  /** Notifies the device of the frames queued since the last notification. */
  flush(): void {
    if (this.unnotified > 0) {
      this.tx.kick();
      this.unnotified = 0;
    }
  }

  listen(handler: FrameHandler): void {
    this.handler = handler;
    // Frames may have arrived before the loop first polls: take them now.
    this.poll();
  }

  /**
   * Takes every frame the device has returned, gives its buffer back, and
   * re-arms the interrupt. The acknowledgement (an MMIO access: a VM exit,
   * hence a full barrier) comes after used_event is written and before the
   * used index is read again, so a frame that lands in between is never
   * missed (§2.7.10's race).
   */
  poll(): void {
    let frames = 0;
    while (true) {
      const h = this.handler;
      let given = 0;
      while (frames < MAX_FRAMES_PER_POLL && this.rx.pollUsed()) {
        const i = unchecked(this.rxOf[this.rx.usedId]);
        const len = <i32>this.rx.usedLen - HEADER;
        if (h != null && len > 0 && len <= BUFFER - HEADER) {
          const off = i * BUFFER + HEADER;
          h.onFrame(this.rxPool.subarray(off, off + len));
        }
        this.giveRx(i);
        given++;
        frames++;
      }
      if (given > 0) this.rx.kick();
      this.recycleTx();
      if (frames >= MAX_FRAMES_PER_POLL) {
        let r = this.resume;
        if (r == null) this.resume = r = new Resume(this);
        loop.timers.after(0, r);
        return;
      }
      this.rx.suppressInterrupts(false);
      this.transport.ackInterrupt();
      // Anything used since the harvest may have had its interrupt acknowledged just now.
      if (!this.rx.hasUsed() && !(this.txWaiting && this.tx.hasUsed())) return;
    }
  }

  /** Puts receive buffer `i` into the receive queue (not yet notified). */
  private giveRx(i: i32): void {
    this.rx.stage(physical(this.rxPool.dataStart + <usize>(i * BUFFER)), <u32>BUFFER, true);
    const head = this.rx.submit();
    if (head >= 0) unchecked(this.rxOf[head] = i);
  }

  /** Returns the buffers of sent frames to the free list. */
  private recycleTx(): void {
    while (this.tx.pollUsed()) this.txFree.push(unchecked(this.txOf[this.tx.usedId]));
    if (this.txWaiting && this.txFree.length > 0) this.txWaiting = false;
    // Moves used_event along too, so the "no interrupt" mark stays ahead of the device.
    this.tx.suppressInterrupts(!this.txWaiting);
  }
}

/** How many virtio-net devices openVirtioNet has claimed. */
let claimed = 0;

/**
 * Opens the network device `name` of config.ts: the next virtio-net device
 * in discovery order. No device left, one that refuses the features, or one
 * whose interrupt cannot be routed ends the unikernel at start-up with
 * status 2 and a message saying what to pass.
 */
export function openVirtioNet(name: string): VirtioNet {
  const devices = virtioDevices(DeviceType.Net);
  if (claimed >= devices.length) {
    const skipped = unusableDevices();
    fail("network device '" + name + "' has no virtio-net device; run with 'atoll run -t kvm --net " + name +
      "=tap:IFNAME' (or =user, =none)" + (skipped.length > 0 ? "; unusable virtio devices: " + skipped.join(", ") : ""));
  }
  const t = devices[claimed++];
  t.begin();
  const features = t.negotiate(bit(NetFeature.Mac) | bit(NetFeature.Mtu) | bit(Feature.EventIdx), 0);
  if (features == u64.MAX_VALUE) fail("network device '" + name + "' (" + t.location + ") refused the driver's features");
  const eventIdx = (features & bit(Feature.EventIdx)) != 0;
  // The interrupt before the queues: a PCI device takes each queue's MSI-X vector as the queue is set up (§4.1.5.1.2).
  const handle = t.attachInterrupt();
  if (handle < 0) {
    t.fail();
    fail("network device '" + name + "' (" + t.location + "): its interrupt cannot be routed (irq_attach: " + handle.toString() + ")");
  }
  const rx = new Virtqueue(t, RECEIVEQ, RX_QUEUE, eventIdx);
  const tx = new Virtqueue(t, TRANSMITQ, TX_QUEUE, eventIdx);
  if (!rx.ok || !tx.ok) {
    t.fail();
    fail("network device '" + name + "' (" + t.location + ") has no usable receive and transmit queues");
  }
  const mac = new Uint8Array(6);
  if ((features & bit(NetFeature.Mac)) != 0) {
    for (let i = 0; i < 6; i++) mac[i] = t.config8(CONFIG_MAC + <u32>i);
  } else {
    // §5.1.5: without VIRTIO_NET_F_MAC the driver picks one: random, locally administered, unicast.
    for (let i = 0; i < 6; i++) mac[i] = <u8>(Math.random() * 256.0);
    mac[0] = (mac[0] & 0xfe) | 0x02;
  }
  const mtu = (features & bit(NetFeature.Mtu)) != 0 ? <u32>t.config16(CONFIG_MTU) : DEFAULT_MTU;
  const dev = new VirtioNet(name, t, rx, tx, mac, min(mtu, <u32>(BUFFER - HEADER) - ETH_HEADER - 4), handle);
  dev.start();
  return dev;
}

function fail(message: string): void {
  new AbiConsole().write("error: " + message + "\n");
  exit(EXIT_USAGE);
}
