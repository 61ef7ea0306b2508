// lib/net/device.ts's NetDevice over the host network calls of docs/abi.md
// (net_open, net_info, net_read, net_write): on unix a Linux tap attached
// with --atoll-net=NAME=tap:IFNAME. The device is an EventSource of the event
// loop under its handle: when `yield` reports its bit, poll() drains every
// queued frame into the FrameHandler. Nothing here blocks.
import { NetDevice, NetResult, FrameHandler } from "atoll/net/device";
import { EventSource, loop } from "atoll/loop";
import { AbiConsole } from "atoll/console";
import { exit, EXIT_USAGE } from "atoll/exit";

@external("atoll", "net_open")
declare function net_open(name: usize, nameLen: usize): i32;
@external("atoll", "net_info")
declare function net_info(handle: i32, out: usize): i32;
@external("atoll", "net_read")
declare function net_read(handle: i32, ptr: usize, len: usize): i32;
@external("atoll", "net_write")
declare function net_write(handle: i32, ptr: usize, len: usize): i32;

const NOT_ATTACHED: i32 = -1;
const EAGAIN: i32 = 11;
/** Ethernet header bytes on top of the MTU. */
const ETH_HEADER: u32 = 14;
/** At most this many frames per poll, so one busy device cannot starve timers. */
const MAX_FRAMES_PER_POLL: i32 = 256;

/** Drains a HostNet's frames when the loop reports its bit. */
class HostNetSource extends EventSource {
  constructor(private dev: HostNet) { super(); }
  poll(now: i64): void { this.dev.drain(); }
  get waiting(): bool { return this.dev.listening; }
}

/** A host network backend as an Ethernet device. */
export class HostNet extends NetDevice {
  private handler: FrameHandler | null = null;
  private rx: Uint8Array;

  constructor(private _name: string, private handle: i32, private _mac: Uint8Array, private _mtu: u32) {
    super();
    this.rx = new Uint8Array(<i32>(_mtu + ETH_HEADER + 4));
    loop.attach(handle, new HostNetSource(this));
  }

  get name(): string { return this._name; }
  get mac(): Uint8Array { return this._mac; }
  get mtu(): u32 { return this._mtu; }
  /** True once a handler is set: the device then keeps the unikernel alive. */
  get listening(): bool { return this.handler != null; }

  transmit(frame: Uint8Array): NetResult {
    if (<u32>frame.length > this._mtu + ETH_HEADER) return NetResult.TooBig;
    const r = net_write(this.handle, frame.dataStart, <usize>frame.length);
    if (r == 0) return NetResult.Ok;
    if (r == -EAGAIN) return NetResult.Busy;
    return NetResult.DeviceError;
  }

  listen(handler: FrameHandler): void {
    this.handler = handler;
    // Frames may have queued before the loop first polls: drain them now.
    this.drain();
  }

  /** Passes every queued frame (up to a bound) to the handler. */
  drain(): void {
    const h = this.handler;
    if (h == null) return;
    for (let i = 0; i < MAX_FRAMES_PER_POLL; i++) {
      const n = net_read(this.handle, this.rx.dataStart, <usize>this.rx.length);
      if (n <= 0) return;
      h.onFrame(this.rx.subarray(0, n));
    }
  }
}

/**
 * Opens the network device `name` of config.ts. A device with no backend
 * attached, or one the host cannot open, ends the unikernel at start-up with
 * status 2 and a message saying what to pass.
 */
export function openHostNet(name: string): HostNet {
  const utf8 = String.UTF8.encode(name);
  const handle = net_open(changetype<usize>(utf8), <usize>utf8.byteLength);
  if (handle < 0) {
    const out = new AbiConsole();
    if (handle == NOT_ATTACHED) {
      out.write("error: network device '" + name + "' has no backend attached; run with 'atoll run --net " + name +
        "=tap:IFNAME' (the artefact itself takes --atoll-net=" + name + "=tap:IFNAME)\n");
    } else {
      out.write("error: network device '" + name + "' cannot be opened (the runtime said why above)\n");
    }
    exit(EXIT_USAGE);
  }
  const info = new Uint8Array(12);
  if (net_info(handle, info.dataStart) != 0) {
    new AbiConsole().write("error: network device '" + name + "': the runtime has no information on it\n");
    exit(EXIT_USAGE);
  }
  const mac = info.slice(0, 6);
  const mtu = (<u32>info[8]) | (<u32>info[9] << 8) | (<u32>info[10] << 16) | (<u32>info[11] << 24);
  return new HostNet(name, handle, mac, mtu);
}
