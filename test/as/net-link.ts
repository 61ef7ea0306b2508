// An in-memory Ethernet between two stacks, for the lib/net tests: two
// TestDevices joined by a Link that can drop, duplicate, delay and reorder
// frames, and a simulated clock that jumps straight to the next deadline, so
// a minute of protocol time takes microseconds.
import { NetDevice, NetResult, FrameHandler } from "atoll/net/device";
import { MacAddr, Ipv4Addr, ipv4, macToBytes } from "atoll/net/addr";
import { EthernetInterface, InterfaceConfig } from "atoll/net/iface/interface";
import { FOREVER } from "atoll/time";
import { Rng } from "./net-util";

/** Simulated monotonic time, ns. */
let simTime: i64 = 1_000_000_000;
export function simNow(): i64 { return simTime; }
export function setSimNow(t: i64): void { simTime = t; }

export const MAC_A: MacAddr = 0x02000000000A;
export const MAC_B: MacAddr = 0x02000000000B;
export const IP_A: Ipv4Addr = ipv4(10, 0, 0, 1);
export const IP_B: Ipv4Addr = ipv4(10, 0, 0, 2);

/** Decides per frame whether the link loses it; `from` is 0 for A's frames, 1 for B's. */
export abstract class FrameFilter {
  abstract drop(from: i32, frame: Uint8Array): bool;
}

class InFlight {
  constructor(public from: i32, public frame: Uint8Array, public at: i64, public seq: i32) {}
}

/** One side of the link. */
export class TestDevice extends NetDevice {
  handler: FrameHandler | null = null;
  /** Answer for the next transmits; Ok unless a test makes the device refuse. */
  result: NetResult = NetResult.Ok;

  /** Set by the Link that creates it. */
  link: Link | null = null;

  constructor(readonly side: i32, private macAddr: MacAddr, private mtuBytes: u32) { super(); }

  get name(): string { return this.side == 0 ? "a" : "b"; }
  get mac(): Uint8Array { return macToBytes(this.macAddr); }
  get mtu(): u32 { return this.mtuBytes; }
  transmit(frame: Uint8Array): NetResult {
    if (this.result != NetResult.Ok) return this.result;
    if (frame.length > 14 + <i32>this.mtuBytes) return NetResult.TooBig;
    this.link!.push(this.side, frame);
    return NetResult.Ok;
  }
  listen(handler: FrameHandler): void { this.handler = handler; }
}

/** The wire. Faults are rates per thousand frames, drawn from a seeded generator. */
export class Link {
  readonly a: TestDevice;
  readonly b: TestDevice;
  private inFlight: InFlight[] = [];
  private seq: i32 = 0;
  private rng: Rng = new Rng(4242);
  latency: i64 = 0;
  dropPerMille: i32 = 0;
  duplicatePerMille: i32 = 0;
  reorderPerMille: i32 = 0;
  /** How much later a reordered frame arrives. */
  reorderDelay: i64 = 5_000_000;
  filter: FrameFilter | null = null;
  /** Every frame transmitted, in order, before faults; cleared by tests at will. */
  sent: Uint8Array[] = [];
  sentFrom: i32[] = [];
  delivered: i32 = 0;
  dropped: i32 = 0;
  duplicated: i32 = 0;

  constructor(mtu: u32 = 1500) {
    const a = new TestDevice(0, MAC_A, mtu);
    const b = new TestDevice(1, MAC_B, mtu);
    this.a = a;
    this.b = b;
    a.link = this;
    b.link = this;
  }

  push(from: i32, frame: Uint8Array): void {
    const copy = frame.slice(0);
    this.sent.push(copy);
    this.sentFrom.push(from);
    const f = this.filter;
    if ((f != null && f.drop(from, copy)) || this.chance(this.dropPerMille)) {
      this.dropped++;
      return;
    }
    let at = simNow() + this.latency;
    if (this.chance(this.reorderPerMille)) at += this.reorderDelay;
    this.inFlight.push(new InFlight(from, copy, at, this.seq++));
    if (this.chance(this.duplicatePerMille)) {
      this.duplicated++;
      this.inFlight.push(new InFlight(from, copy.slice(0), at, this.seq++));
    }
  }

  /** Delivers the frames due at simNow(), in arrival-time order; returns how many. */
  deliverDue(): i32 {
    let n = 0;
    while (true) {
      let best = -1;
      const now = simNow();
      for (let i = 0; i < this.inFlight.length; i++) {
        const f = this.inFlight[i];
        if (f.at > now) continue;
        if (best < 0 || f.at < this.inFlight[best].at || (f.at == this.inFlight[best].at && f.seq < this.inFlight[best].seq)) best = i;
      }
      if (best < 0) return n;
      const f = this.inFlight[best];
      this.inFlight.splice(best, 1);
      const to = f.from == 0 ? this.b : this.a;
      const h = to.handler;
      if (h != null) h.onFrame(f.frame);
      this.delivered++;
      n++;
    }
  }

  /** The earliest arrival time of a frame in flight, or FOREVER. */
  nextArrival(): i64 {
    let t = FOREVER;
    for (let i = 0; i < this.inFlight.length; i++) t = min(t, this.inFlight[i].at);
    return t;
  }

  get framesInFlight(): i32 { return this.inFlight.length; }

  /** Frames of `etherType` sent from `from` (-1: either side) since the log was cleared. */
  countSent(from: i32, etherType: u16): i32 {
    let n = 0;
    for (let i = 0; i < this.sent.length; i++) {
      const f = this.sent[i];
      if ((from < 0 || this.sentFrom[i] == from) && f.length >= 14 && ((<u16>f[12] << 8) | f[13]) == etherType) n++;
    }
    return n;
  }

  clearLog(): void {
    this.sent = [];
    this.sentFrom = [];
  }

  private chance(perMille: i32): bool {
    return perMille > 0 && this.rng.below(1000) < perMille;
  }
}

/** Two interfaces on one link: A is 10.0.0.1/24, B 10.0.0.2/24, unless configured otherwise. */
export class TwoStacks {
  readonly link: Link;
  readonly a: EthernetInterface;
  readonly b: EthernetInterface;

  constructor(configA: InterfaceConfig | null = null, configB: InterfaceConfig | null = null, mtu: u32 = 1500) {
    const link = new Link(mtu);
    this.link = link;
    let ca = configA;
    if (ca == null) { ca = new InterfaceConfig(); ca.address = IP_A; }
    let cb = configB;
    if (cb == null) { cb = new InterfaceConfig(); cb.address = IP_B; }
    const a = new EthernetInterface(link.a, ca);
    const b = new EthernetInterface(link.b, cb);
    this.a = a;
    this.b = b;
    a.start(simNow(), simNow);
    b.start(simNow(), simNow);
  }

  /**
   * Runs both stacks for `duration` ns of simulated time: delivers frames,
   * polls what is due, then jumps to the next deadline or arrival. Returns
   * at simNow() + duration.
   */
  run(duration: i64): void {
    const end = simNow() + duration;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.link.deliverDue() > 0) continue;
      const now = simNow();
      let polled = false;
      if (this.a.pollAt() <= now) { this.a.poll(now); polled = true; }
      if (this.b.pollAt() <= now) { this.b.poll(now); polled = true; }
      if (polled && this.link.deliverDue() > 0) continue;
      const next = min(min(this.a.pollAt(), this.b.pollAt()), this.link.nextArrival());
      if (next <= now) {
        if (polled) continue;
        assert(false, "a stack keeps asking to be polled at " + now.toString() + " and does nothing");
      }
      if (next > end) { setSimNow(end); return; }
      setSimNow(next);
    }
    assert(false, "simulation did not settle");
  }

  /** Runs until nothing is pending in the stacks or on the wire, at most `limit` ns. */
  settle(limit: i64 = 10_000_000_000): void {
    this.run(0);
    const start = simNow();
    while (simNow() - start < limit) {
      const next = min(min(this.a.pollAt(), this.b.pollAt()), this.link.nextArrival());
      if (next == FOREVER) return;
      this.run(max<i64>(next - simNow(), 0) + 1);
    }
  }
}
