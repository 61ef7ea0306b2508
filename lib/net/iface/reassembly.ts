// IPv4 reassembly (RFC 791 §3.2, "Reassembly"; RFC 1122 §3.3.2). Datagrams
// in progress are keyed by (source, destination, protocol, identification).
// Three limits keep a flood of fragments from eating memory: how many
// datagrams may be in progress, how many bytes all of them may hold, and how
// long each may take. Overlapping data is accepted and the bytes that
// arrived first win, so a later fragment cannot rewrite what an earlier one
// said (the overlap attacks of RFC 1858 §4).

import { Ipv4Addr } from "../addr";
import { seconds, FOREVER } from "../../time";
import { Ipv4Packet, Ipv4Repr, IPV4_MAX_LEN, IPV4_HEADER_LEN } from "../wire/ipv4";
import { ICMP_ERROR_QUOTE } from "../wire/icmpv4";

/** Limits of the reassembler. */
export class ReassemblyConfig {
  /** Datagrams in progress at once; fragments of another one are dropped. */
  maxDatagrams: i32 = 4;
  /** Bytes of fragment data held across all datagrams in progress. */
  maxBytes: i32 = 128 * 1024;
  /** Fragments one datagram may arrive in. */
  maxFragments: i32 = 128;
  /** From the first fragment; RFC 1122 §3.3.2 recommends 60 to 120 s. */
  timeout: i64 = seconds(60);
}

/** What happened to a fragment. */
export enum FragmentOutcome {
  /** Kept; the datagram is not complete yet. */
  Pending = 0,
  /** The datagram is complete: see Reassembler.datagram. */
  Complete = 1,
  /** Contradicts the fragments before it (length, alignment, end); the datagram is dropped. */
  Invalid = 2,
  /** Would be one datagram too many in progress; dropped. */
  TooManyDatagrams = 3,
  /** Would exceed the byte or fragment limits; the whole datagram is dropped. */
  TooBig = 4,
}

class Piece {
  constructor(public offset: i32, public data: Uint8Array) {}
}

class Partial {
  pieces: Piece[] = [];
  /** Received byte ranges, merged and sorted: [start0, end0, start1, end1, ...]. */
  covered: i32[] = [];
  /** Payload length of the whole datagram, known once the last fragment came; -1 until then. */
  total: i32 = -1;
  bytes: i32 = 0;
  fragments: i32 = 0;
  /** The first fragment's IPv4 header and first 8 data bytes, for ICMP errors; null until it came. */
  quote: Uint8Array | null = null;
  ttl: u8 = 0;

  constructor(public src: Ipv4Addr, public dst: Ipv4Addr, public protocol: u8, public ident: u16, public deadline: i64) {}

  matches(r: Ipv4Repr): bool {
    return r.src == this.src && r.dst == this.dst && r.protocol == this.protocol && r.ident == this.ident;
  }

  /** True when [0, total) is covered. */
  get complete(): bool {
    const c = this.covered;
    return this.total >= 0 && c.length == 2 && c[0] == 0 && c[1] == this.total;
  }

  /** Adds [start, end) to the covered ranges. */
  cover(start: i32, end: i32): void {
    const c = this.covered;
    const out: i32[] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (let i = 0; i < c.length; i += 2) {
      const cs = c[i];
      const ce = c[i + 1];
      if (ce < s) { out.push(cs); out.push(ce); continue; }
      if (cs > e) {
        if (!placed) { out.push(s); out.push(e); placed = true; }
        out.push(cs); out.push(ce);
        continue;
      }
      s = min(s, cs);
      e = max(e, ce);
    }
    if (!placed) { out.push(s); out.push(e); }
    this.covered = out;
  }

  /** End of the highest covered range, 0 when nothing is. */
  get highest(): i32 { return this.covered.length > 0 ? this.covered[this.covered.length - 1] : 0; }
}

/** Puts fragmented IPv4 datagrams back together. */
export class Reassembler {
  private partials: Partial[] = [];
  private heldBytes: i32 = 0;
  /** After Complete: the reassembled payload. */
  datagram: Uint8Array = new Uint8Array(0);
  /** After Complete: the first fragment's header and 8 data bytes, for ICMP errors about it. */
  datagramQuote: Uint8Array = new Uint8Array(0);
  /** After Complete: the first fragment's TTL. */
  datagramTtl: u8 = 0;
  /** Quotes of fragment zero of datagrams that timed out, for ICMP time exceeded; the caller empties it. */
  readonly expired: Uint8Array[] = [];

  constructor(readonly config: ReassemblyConfig = new ReassemblyConfig()) {}

  /** Datagrams in progress. */
  get inProgress(): i32 { return this.partials.length; }
  /** Fragment bytes held. */
  get bytesHeld(): i32 { return this.heldBytes; }

  /**
   * Adds one fragment: `repr` parsed from `packet` (whose header is quoted in
   * ICMP errors), `payload` its data. On Complete, `datagram` holds the
   * whole payload, and the fragments are forgotten.
   */
  add(repr: Ipv4Repr, packet: Ipv4Packet, payload: Uint8Array, now: i64): FragmentOutcome {
    const start = repr.fragmentOffset;
    const len = payload.length;
    const end = start + len;
    let p = this.find(repr);
    // Every fragment but the last carries a multiple of 8 bytes (RFC 791 §3.2),
    // and nothing may end beyond what a datagram can hold.
    if ((repr.moreFragments && (len == 0 || (len & 7) != 0)) || end > IPV4_MAX_LEN - IPV4_HEADER_LEN) {
      if (p != null) this.drop(p);
      return FragmentOutcome.Invalid;
    }
    if (p == null) {
      if (this.partials.length >= this.config.maxDatagrams) return FragmentOutcome.TooManyDatagrams;
      p = new Partial(repr.src, repr.dst, repr.protocol, repr.ident, now + this.config.timeout);
      this.partials.push(p);
    }
    if (!repr.moreFragments) {
      // The last fragment fixes the length; it must agree with everything seen.
      if ((p.total >= 0 && p.total != end) || p.highest > end) {
        this.drop(p);
        return FragmentOutcome.Invalid;
      }
      p.total = end;
    } else if (p.total >= 0 && end > p.total) {
      this.drop(p);
      return FragmentOutcome.Invalid;
    }
    if (++p.fragments > this.config.maxFragments) {
      this.drop(p);
      return FragmentOutcome.TooBig;
    }
    // Keep only the bytes not covered yet: the first to arrive win.
    const c = p.covered;
    let cur = start;
    let fresh = 0;
    const gaps: i32[] = [];
    for (let i = 0; i < c.length && cur < end; i += 2) {
      const cs = c[i];
      const ce = c[i + 1];
      if (ce <= cur) continue;
      if (cs >= end) break;
      if (cs > cur) { gaps.push(cur); gaps.push(cs); fresh += cs - cur; }
      cur = max(cur, ce);
    }
    if (cur < end) { gaps.push(cur); gaps.push(end); fresh += end - cur; }
    if (this.heldBytes + fresh > this.config.maxBytes) {
      this.drop(p);
      return FragmentOutcome.TooBig;
    }
    for (let i = 0; i < gaps.length; i += 2) {
      const gs = gaps[i];
      const ge = gaps[i + 1];
      p.pieces.push(new Piece(gs, payload.slice(gs - start, ge - start)));
    }
    p.bytes += fresh;
    this.heldBytes += fresh;
    if (len > 0) p.cover(start, end);
    if (start == 0 && p.quote == null) {
      const hl = repr.headerLen;
      p.quote = packet.buffer.slice(0, hl + min(len, ICMP_ERROR_QUOTE));
      p.ttl = repr.ttl;
    }
    if (!p.complete) return FragmentOutcome.Pending;
    const out = new Uint8Array(p.total);
    for (let i = 0; i < p.pieces.length; i++) out.set(p.pieces[i].data, p.pieces[i].offset);
    this.datagram = out;
    const q = p.quote;
    this.datagramQuote = q != null ? q : new Uint8Array(0);
    this.datagramTtl = p.ttl;
    this.drop(p);
    return FragmentOutcome.Complete;
  }

  /** Drops the datagrams whose time ran out; quotes those that had fragment zero into `expired`. */
  expire(now: i64): i32 {
    let n = 0;
    for (let i = this.partials.length - 1; i >= 0; i--) {
      const p = this.partials[i];
      if (p.deadline > now) continue;
      const q = p.quote;
      if (q != null) this.expired.push(q);
      this.drop(p);
      n++;
    }
    return n;
  }

  /** The earliest deadline of a datagram in progress, or FOREVER. */
  pollAt(): i64 {
    let t = FOREVER;
    for (let i = 0; i < this.partials.length; i++) t = min(t, this.partials[i].deadline);
    return t;
  }

  private find(r: Ipv4Repr): Partial | null {
    for (let i = 0; i < this.partials.length; i++) {
      if (this.partials[i].matches(r)) return this.partials[i];
    }
    return null;
  }

  private drop(p: Partial): void {
    const i = this.partials.indexOf(p);
    if (i < 0) return;
    this.heldBytes -= p.bytes;
    this.partials.splice(i, 1);
  }
}
