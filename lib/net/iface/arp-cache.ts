// The neighbour table of an Ethernet interface (RFC 826 for the protocol,
// RFC 1122 §2.3.2 for how a host keeps it). An entry is either resolved,
// with a MAC address and an expiry, or pending, with the frames that wait for
// the answer (bounded per neighbour and in all). Requests for one neighbour
// go out at most once per retryInterval (RFC 1122 §2.3.2.1 asks for no more
// than one a second), and a neighbour that stays silent for giveUpAfter is
// dropped with its frames.
// The table does no I/O: the interface asks it what is due.

import { Ipv4Addr, MacAddr } from "../addr";
import { seconds, FOREVER } from "../../time";

/** Timeouts and bounds of the ARP cache. */
export class ArpConfig {
  /** How long an answer is trusted (RFC 1122 §2.3.2.1 suggests about a minute). */
  entryLifetime: i64 = seconds(60);
  /** Smallest gap between two requests for the same address. */
  retryInterval: i64 = seconds(1);
  /** From the first request: then the neighbour is unreachable and its frames are dropped. */
  giveUpAfter: i64 = seconds(3);
  /**
   * Frames kept per pending neighbour; beyond it (or beyond queueBytes) the
   * oldest are dropped (RFC 1122 §2.3.2.2 asks for at least one). Room for
   * every fragment of the largest datagram: 45 frames for a 65,507-byte UDP
   * payload at an MTU of 1500.
   */
  queueLimit: i32 = 64;
  /**
   * Bytes of frames kept per pending neighbour, counted as Linux counts its
   * unresolved queue (unres_qlen_bytes): the largest datagram's fragments
   * take 67,045 bytes of frames at an MTU of 1500.
   */
  queueBytes: i32 = 72 * 1024;
  /** Bytes of frames kept for all pending neighbours together; a frame beyond it is dropped. */
  maxQueuedBytes: i32 = 256 * 1024;
  /** Entries, resolved and pending together. */
  maxEntries: i32 = 64;
}

/** One neighbour. */
export class Neighbor {
  mac: MacAddr = 0;
  resolved: bool = false;
  /** Resolved: when the entry stops being trusted. */
  expiresAt: i64 = 0;
  /** Pending: when the first and the latest request went out. */
  firstRequestAt: i64 = 0;
  lastRequestAt: i64 = 0;
  /** Pending: Ethernet frames (destination MAC still to fill) waiting for the answer. */
  queue: Uint8Array[] = [];
  /** Bytes of the frames in `queue`. */
  queuedBytes: i32 = 0;

  constructor(public ip: Ipv4Addr) {}
}

/** The ARP cache. */
export class ArpCache {
  private entries: Neighbor[] = [];
  /** Frames dropped: queue overflow, give-ups, evictions. */
  droppedFrames: i32 = 0;
  /** Neighbours given up on. */
  givenUp: i32 = 0;
  /** Bytes of frames waiting for answers, all neighbours together. */
  queuedBytes: i32 = 0;
  /** Addresses to request now, filled by due(); the caller empties it. */
  readonly requests: Ipv4Addr[] = [];

  constructor(readonly config: ArpConfig = new ArpConfig()) {}

  /** Entries, resolved and pending. */
  get size(): i32 { return this.entries.length; }

  /** The MAC address of `ip`, or -1 when it is not known (or no longer trusted) at `now`. */
  lookup(ip: Ipv4Addr, now: i64): i64 {
    const n = this.find(ip);
    if (n == null || !n.resolved) return -1;
    if (n.expiresAt <= now) {
      this.remove(n);
      return -1;
    }
    return <i64>n.mac;
  }

  /** The entry of `ip`, resolved or pending, or null. */
  get(ip: Ipv4Addr): Neighbor | null { return this.find(ip); }

  /**
   * Records that `ip` is at `mac` (an ARP packet said so). With `create`
   * false only an existing entry is refreshed: RFC 826's merge step, which
   * learns from every ARP packet but adds entries only for packets meant for
   * us. Returns the frames that were waiting for this answer, or null.
   */
  learn(ip: Ipv4Addr, mac: MacAddr, now: i64, create: bool): Uint8Array[] | null {
    let n = this.find(ip);
    if (n == null) {
      if (!create) return null;
      n = this.insert(ip, now);
    }
    n.mac = mac;
    n.expiresAt = now + this.config.entryLifetime;
    if (n.resolved) return null;
    n.resolved = true;
    const waiting = n.queue;
    if (waiting.length == 0) return null;
    this.forgetQueue(n);
    return waiting;
  }

  /**
   * Keeps `frame` until `ip` is resolved. Returns true when a request should
   * go out now: the first for this neighbour, or the previous one is older
   * than retryInterval.
   */
  enqueue(ip: Ipv4Addr, frame: Uint8Array, now: i64): bool {
    let n = this.find(ip);
    if (n != null && n.resolved) {
      // Expired (else the caller would have sent directly): start over.
      this.remove(n);
      n = null;
    }
    if (n == null) {
      n = this.insert(ip, now);
      n.firstRequestAt = now;
      n.lastRequestAt = now;
      this.push(n, frame);
      return true;
    }
    this.push(n, frame);
    if (now - n.lastRequestAt >= this.config.retryInterval) {
      n.lastRequestAt = now;
      return true;
    }
    return false;
  }

  /** Collects the requests due at `now` into `requests` and drops the neighbours given up on. */
  due(now: i64): void {
    const c = this.config;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const n = this.entries[i];
      if (n.resolved) continue;
      if (now - n.firstRequestAt >= c.giveUpAfter) {
        this.droppedFrames += n.queue.length;
        this.forgetQueue(n);
        this.givenUp++;
        this.entries.splice(i, 1);
      } else if (now - n.lastRequestAt >= c.retryInterval) {
        n.lastRequestAt = now;
        this.requests.push(n.ip);
      }
    }
  }

  /** When due() next has something to do, or FOREVER. */
  pollAt(): i64 {
    const c = this.config;
    let t = FOREVER;
    for (let i = 0; i < this.entries.length; i++) {
      const n = this.entries[i];
      if (n.resolved) continue;
      t = min(t, min(n.lastRequestAt + c.retryInterval, n.firstRequestAt + c.giveUpAfter));
    }
    return t;
  }

  /** Forgets everything (the interface's address changed); waiting frames are dropped. */
  clear(): void {
    for (let i = 0; i < this.entries.length; i++) this.droppedFrames += this.entries[i].queue.length;
    this.entries = [];
    this.queuedBytes = 0;
  }

  /** Queues `frame` on `n`, dropping its oldest frames beyond the per-neighbour limits, or `frame` itself beyond the total. */
  private push(n: Neighbor, frame: Uint8Array): void {
    const c = this.config;
    const len = frame.length;
    if (len > c.queueBytes) {
      this.droppedFrames++;
      return;
    }
    while (n.queue.length > 0 && (n.queue.length + 1 > c.queueLimit || n.queuedBytes + len > c.queueBytes)) {
      const old = n.queue.shift();
      n.queuedBytes -= old.length;
      this.queuedBytes -= old.length;
      this.droppedFrames++;
    }
    if (this.queuedBytes + len > c.maxQueuedBytes) {
      this.droppedFrames++;
      return;
    }
    n.queue.push(frame);
    n.queuedBytes += len;
    this.queuedBytes += len;
  }

  /** Empties `n`'s queue from the byte counts (its frames were sent or dropped). */
  private forgetQueue(n: Neighbor): void {
    this.queuedBytes -= n.queuedBytes;
    n.queuedBytes = 0;
    n.queue = [];
  }

  private find(ip: Ipv4Addr): Neighbor | null {
    const e = this.entries;
    for (let i = 0; i < e.length; i++) if (e[i].ip == ip) return e[i];
    return null;
  }

  private remove(n: Neighbor): void {
    const i = this.entries.indexOf(n);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** A new entry, making room first: expired entries, then the resolved one closest to expiry, then the oldest pending. */
  private insert(ip: Ipv4Addr, now: i64): Neighbor {
    const e = this.entries;
    if (e.length >= this.config.maxEntries) {
      for (let i = e.length - 1; i >= 0; i--) if (e[i].resolved && e[i].expiresAt <= now) e.splice(i, 1);
    }
    if (e.length >= this.config.maxEntries) {
      let victim = -1;
      for (let i = 0; i < e.length; i++) {
        if (e[i].resolved && (victim < 0 || e[i].expiresAt < e[victim].expiresAt)) victim = i;
      }
      if (victim < 0) {
        for (let i = 0; i < e.length; i++) {
          if (victim < 0 || e[i].firstRequestAt < e[victim].firstRequestAt) victim = i;
        }
        this.droppedFrames += e[victim].queue.length;
        this.forgetQueue(e[victim]);
      }
      if (victim >= 0) e.splice(victim, 1);
    }
    const n = new Neighbor(ip);
    e.push(n);
    return n;
  }
}
