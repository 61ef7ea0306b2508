// IPv4 reassembly (RFC 791 §3.2, "Reassembly"; RFC 1122 §3.3.2). Datagrams
// in progress are found through a Map keyed by (source, identification,
// protocol); the destination, RFC 791's fourth field, tells apart the rare
// datagrams that share a key (sameKey chains: to one of our few addresses).
//
// Memory is a byte budget, not a count of datagrams: each datagram is
// charged its data and an estimate of its bookkeeping, so a flood of tiny
// fragments is bounded as tightly as one of large ones. When a fragment does
// not fit, datagrams are evicted oldest first (by the arrival of their first
// fragment) until it does. A flood of incomplete datagrams therefore delays a
// legitimate one but cannot block it: a datagram whose fragments arrive
// close together completes before the flood has pushed it out. One source
// may hold at most maxBytesPerSource, and a source over it loses its own
// oldest datagrams first, so a single host cannot push everyone else out.
//
// Datagrams sit in two lists in arrival order, all of them and each
// source's. The timeout is the same for every datagram, so the oldest also
// has the earliest deadline: expiry and pollAt look at the head only.

import { Ipv4Addr } from "../addr";
import { seconds, FOREVER } from "../../time";
import { Ipv4Packet, Ipv4Repr, IPV4_MAX_LEN, IPV4_HEADER_LEN } from "../wire/ipv4";
import { ICMP_ERROR_QUOTE } from "../wire/icmpv4";
import { PartialDatagram } from "./partial-datagram";

/**
 * Bytes charged for a datagram in progress besides its data: its object, its
 * lists and arrays, the quote of fragment zero, its Map entry and its share
 * of a source's record. Measured with the incremental runtime (see
 * test/as/net-reassembly.test-as.ts, "charges cover the heap"), rounded up.
 */
export const REASSEMBLY_DATAGRAM_COST: i32 = 512;
/** Bytes charged for each piece of fragment data kept, besides the data: a Piece, a Uint8Array and its buffer's header. */
export const REASSEMBLY_PIECE_COST: i32 = 96;

/** Limits of the reassembler. */
export class ReassemblyConfig {
  /**
   * Bytes all datagrams in progress may be charged (data and bookkeeping):
   * room for four of the largest datagrams, or about 600 of the smallest.
   */
  maxBytes: i32 = 320 * 1024;
  /** Bytes one source address may be charged: a quarter of maxBytes, and room for the largest datagram (65,515 bytes in 45 fragments). */
  maxBytesPerSource: i32 = 80 * 1024;
  /** Fragments one datagram may arrive in. */
  maxFragments: i32 = 128;
  /**
   * From the first fragment. RFC 1122 §3.3.2 recommends 60 to 120 s; we use
   * Linux's 30 s (net.ipv4.ipfrag_time). The fragments of a datagram leave
   * their sender back to back, so one still incomplete after 30 s has lost
   * a fragment, and holding it longer only delays the ICMP time exceeded
   * that tells its sender. Memory does not depend on it (the budget does
   * that), and a shorter life narrows the window in which a wrapped
   * identification could join fragments of two datagrams (RFC 4963 §2).
   */
  timeout: i64 = seconds(30);
}

/** What happened to a fragment. */
export enum FragmentOutcome {
  /** Kept; the datagram is not complete yet. */
  Pending = 0,
  /** The datagram is complete: see Reassembler.datagram. */
  Complete = 1,
  /** Contradicts the fragments before it (length, alignment, end); the datagram is dropped. */
  Invalid = 2,
  /** The datagram would exceed a limit on its own (its source's share, the budget, maxFragments); it is dropped. */
  TooBig = 3,
}

/** What one source address holds. */
class SourceUsage {
  charged: i32 = 0;
  oldest: PartialDatagram | null = null;
  newest: PartialDatagram | null = null;
  constructor(readonly addr: Ipv4Addr) {}
}

/** Puts fragmented IPv4 datagrams back together. */
export class Reassembler {
  private byKey: Map<u64, PartialDatagram> = new Map();
  private bySource: Map<Ipv4Addr, SourceUsage> = new Map();
  private oldest: PartialDatagram | null = null;
  private newest: PartialDatagram | null = null;
  private count: i32 = 0;
  private charged: i32 = 0;
  private gaps: i32[] = [];
  /** After Complete: the reassembled payload. */
  datagram: Uint8Array = new Uint8Array(0);
  /** After Complete: the first fragment's header and 8 data bytes, for ICMP errors about it. */
  datagramQuote: Uint8Array = new Uint8Array(0);
  /** After Complete: the first fragment's TTL. */
  datagramTtl: u8 = 0;
  /** Quotes of fragment zero of datagrams that timed out, for ICMP time exceeded; the caller empties it. */
  readonly expired: Uint8Array[] = [];
  /** Datagrams evicted, oldest first, to make room in the budget for another's fragment. */
  evicted: i32 = 0;
  /** Datagrams evicted because their source was over its share. */
  evictedForSource: i32 = 0;
  /** Datagrams dropped at their timeout. */
  timedOut: i32 = 0;

  constructor(readonly config: ReassemblyConfig = new ReassemblyConfig()) {}

  /** Datagrams in progress. */
  get inProgress(): i32 { return this.count; }
  /** Bytes charged against maxBytes: fragment data kept and bookkeeping. */
  get bytesHeld(): i32 { return this.charged; }
  /** Source addresses with a datagram in progress. */
  get sources(): i32 { return this.bySource.size; }
  /** Bytes charged to `src`. */
  bytesHeldFor(src: Ipv4Addr): i32 { return this.bySource.has(src) ? this.bySource.get(src).charged : 0; }

  /**
   * Adds one fragment: `repr` parsed from `packet` (whose header is quoted in
   * ICMP errors), `payload` its data. On Complete, `datagram` holds the
   * whole payload, and the fragments are forgotten.
   */
  add(repr: Ipv4Repr, packet: Ipv4Packet, payload: Uint8Array, now: i64): FragmentOutcome {
    const start = repr.fragmentOffset;
    const len = payload.length;
    const end = start + len;
    const p = this.find(repr);
    // Every fragment but the last carries a multiple of 8 bytes (RFC 791 §3.2),
    // and nothing may end beyond what a datagram can hold.
    if ((repr.moreFragments && (len == 0 || (len & 7) != 0)) || end > IPV4_MAX_LEN - IPV4_HEADER_LEN) {
      if (p != null) this.drop(p);
      return FragmentOutcome.Invalid;
    }
    if (p != null) {
      // The last fragment fixes the length; everything must agree with it.
      const contradicts = !repr.moreFragments
        ? (p.total >= 0 && p.total != end) || p.highest > end
        : p.total >= 0 && end > p.total;
      if (contradicts) {
        this.drop(p);
        return FragmentOutcome.Invalid;
      }
      if (p.fragments + 1 > this.config.maxFragments) {
        this.drop(p);
        return FragmentOutcome.TooBig;
      }
    }
    const gaps = this.gaps;
    let fresh: i32;
    if (p != null) {
      fresh = p.uncovered(start, end, gaps);
    } else {
      gaps.length = 0;
      if (len > 0) { gaps.push(start); gaps.push(end); }
      fresh = len;
    }
    const cost = fresh + (gaps.length >> 1) * REASSEMBLY_PIECE_COST + (p == null ? REASSEMBLY_DATAGRAM_COST : 0);
    const already = p != null ? p.charged : 0;
    if (already + cost > this.config.maxBytesPerSource || already + cost > this.config.maxBytes) {
      if (p != null) this.drop(p);
      return FragmentOutcome.TooBig;
    }
    this.makeRoom(repr.src, cost, p);
    let d: PartialDatagram;
    if (p != null) {
      d = p;
    } else {
      d = new PartialDatagram(repr.src, repr.dst, repr.protocol, repr.ident, now + this.config.timeout);
      this.insert(d);
    }
    d.fragments++;
    d.keep(payload, start, end, gaps);
    this.charge(d, cost);
    if (!repr.moreFragments) d.total = end;
    if (start == 0 && d.quote == null) {
      d.quote = packet.buffer.slice(0, repr.headerLen + min(len, ICMP_ERROR_QUOTE));
      d.ttl = repr.ttl;
    }
    if (!d.complete) return FragmentOutcome.Pending;
    this.datagram = d.assemble();
    const q = d.quote;
    this.datagramQuote = q != null ? q : new Uint8Array(0);
    this.datagramTtl = d.ttl;
    this.drop(d);
    return FragmentOutcome.Complete;
  }

  /** Drops the datagrams whose time ran out; quotes those that had fragment zero into `expired`. */
  expire(now: i64): i32 {
    let n = 0;
    while (true) {
      const p = this.oldest;
      if (p == null || p.deadline > now) break;
      const q = p.quote;
      if (q != null) this.expired.push(q);
      this.drop(p);
      this.timedOut++;
      n++;
    }
    return n;
  }

  /** The earliest deadline of a datagram in progress, or FOREVER. */
  pollAt(): i64 {
    const p = this.oldest;
    return p != null ? p.deadline : FOREVER;
  }

  /**
   * Evicts datagrams other than `keep`, oldest first, until `cost` more
   * bytes fit `src`'s share and the budget. No ICMP time exceeded goes out
   * for them: their time did not run out (RFC 1122 §3.3.2 asks for one on a
   * timeout), and during a flood of spoofed fragments such a message would
   * go to the flood's made-up sources, one per datagram, and use up the
   * ICMP error rate limit that real errors need.
   */
  private makeRoom(src: Ipv4Addr, cost: i32, keep: PartialDatagram | null): void {
    if (this.bySource.has(src)) {
      const s = this.bySource.get(src);
      while (s.charged + cost > this.config.maxBytesPerSource) {
        // The caller checked that `keep` alone fits, so another datagram is there.
        let victim = s.oldest!;
        if (victim === keep) victim = victim.newerOfSource!;
        this.drop(victim);
        this.evictedForSource++;
      }
    }
    while (this.charged + cost > this.config.maxBytes) {
      let victim = this.oldest!;
      if (victim === keep) victim = victim.newer!;
      this.drop(victim);
      this.evicted++;
    }
  }

  private find(r: Ipv4Repr): PartialDatagram | null {
    const k = keyOf(r.src, r.ident, r.protocol);
    if (!this.byKey.has(k)) return null;
    let p: PartialDatagram | null = this.byKey.get(k);
    while (p != null && !p.matches(r)) p = p.sameKey;
    return p;
  }

  /** Adds `p` to the Map and, as the newest, to both lists. */
  private insert(p: PartialDatagram): void {
    const k = keyOf(p.src, p.ident, p.protocol);
    if (this.byKey.has(k)) p.sameKey = this.byKey.get(k);
    this.byKey.set(k, p);
    p.older = this.newest;
    if (this.newest != null) this.newest!.newer = p;
    else this.oldest = p;
    this.newest = p;
    let s: SourceUsage;
    if (this.bySource.has(p.src)) {
      s = this.bySource.get(p.src);
    } else {
      s = new SourceUsage(p.src);
      this.bySource.set(p.src, s);
    }
    p.olderOfSource = s.newest;
    if (s.newest != null) s.newest!.newerOfSource = p;
    else s.oldest = p;
    s.newest = p;
    this.count++;
  }

  private charge(p: PartialDatagram, bytes: i32): void {
    p.charged += bytes;
    this.charged += bytes;
    this.bySource.get(p.src).charged += bytes;
  }

  /** Forgets `p`: the Map, both lists, its charges. */
  private drop(p: PartialDatagram): void {
    const k = keyOf(p.src, p.ident, p.protocol);
    const head = this.byKey.get(k);
    if (head === p) {
      const next = p.sameKey;
      if (next != null) this.byKey.set(k, next);
      else this.byKey.delete(k);
    } else {
      let q = head;
      while (q.sameKey !== p) q = q.sameKey!;
      q.sameKey = p.sameKey;
    }
    p.sameKey = null;

    if (p.older != null) p.older!.newer = p.newer;
    else this.oldest = p.newer;
    if (p.newer != null) p.newer!.older = p.older;
    else this.newest = p.older;
    p.older = null;
    p.newer = null;

    const s = this.bySource.get(p.src);
    if (p.olderOfSource != null) p.olderOfSource!.newerOfSource = p.newerOfSource;
    else s.oldest = p.newerOfSource;
    if (p.newerOfSource != null) p.newerOfSource!.olderOfSource = p.olderOfSource;
    else s.newest = p.olderOfSource;
    p.olderOfSource = null;
    p.newerOfSource = null;
    s.charged -= p.charged;
    if (s.oldest == null) this.bySource.delete(p.src);

    this.charged -= p.charged;
    this.count--;
  }
}

/** The Map key of a datagram: source, identification and protocol (the destination is checked by matches). */
function keyOf(src: Ipv4Addr, ident: u16, protocol: u8): u64 {
  return (<u64>src << 32) | (<u64>ident << 8) | <u64>protocol;
}
