// One IPv4 datagram being reassembled (RFC 791 §3.2, "Reassembly"): the
// fragment data kept so far, which byte ranges it covers, and the links that
// place it in the Reassembler's lists. Data already held is never replaced:
// of two overlapping fragments the one that arrived first wins, so a later
// fragment cannot rewrite what an earlier one said (RFC 1858 §4).

import { Ipv4Addr } from "../addr";
import { Ipv4Repr } from "../wire/ipv4";

/** Bytes of a datagram starting at `offset`. */
export class Piece {
  constructor(public offset: i32, public data: Uint8Array) {}
}

/** A datagram in progress and its place in the reassembler's lists. */
export class PartialDatagram {
  pieces: Piece[] = [];
  /** Received byte ranges, merged and sorted: [start0, end0, start1, end1, ...]. */
  covered: i32[] = [];
  /** Payload length of the whole datagram, known once the last fragment came; -1 until then. */
  total: i32 = -1;
  /** Fragments received, duplicates included. */
  fragments: i32 = 0;
  /** Bytes charged against the reassembler's budget: data kept plus bookkeeping. */
  charged: i32 = 0;
  /** The first fragment's IPv4 header and first 8 data bytes, for ICMP errors; null until it came. */
  quote: Uint8Array | null = null;
  ttl: u8 = 0;

  // Arrival order of first fragments, over all datagrams and over this
  // source's: the oldest is at the head of each list.
  older: PartialDatagram | null = null;
  newer: PartialDatagram | null = null;
  olderOfSource: PartialDatagram | null = null;
  newerOfSource: PartialDatagram | null = null;
  /** The next datagram with the same lookup key (same source, ident and protocol, another destination). */
  sameKey: PartialDatagram | null = null;

  constructor(
    public src: Ipv4Addr, public dst: Ipv4Addr, public protocol: u8, public ident: u16,
    /** When reassembly gives up on it. */
    public deadline: i64,
  ) {}

  /** True when `r` is a fragment of this datagram: RFC 791's (source, destination, protocol, identification). */
  matches(r: Ipv4Repr): bool {
    return r.src == this.src && r.dst == this.dst && r.protocol == this.protocol && r.ident == this.ident;
  }

  /** True when [0, total) is covered. */
  get complete(): bool {
    const c = this.covered;
    return this.total >= 0 && c.length == 2 && c[0] == 0 && c[1] == this.total;
  }

  /** End of the highest covered range, 0 when nothing is. */
  get highest(): i32 { return this.covered.length > 0 ? this.covered[this.covered.length - 1] : 0; }

  /**
   * The parts of [start, end) not covered yet, as [start0, end0, ...] into
   * `gaps` (emptied first); returns how many bytes they hold.
   */
  uncovered(start: i32, end: i32, gaps: i32[]): i32 {
    gaps.length = 0;
    const c = this.covered;
    let cur = start;
    let fresh = 0;
    for (let i = 0; i < c.length && cur < end; i += 2) {
      const cs = c[i];
      const ce = c[i + 1];
      if (ce <= cur) continue;
      if (cs >= end) break;
      if (cs > cur) { gaps.push(cur); gaps.push(cs); fresh += cs - cur; }
      cur = max(cur, ce);
    }
    if (cur < end) { gaps.push(cur); gaps.push(end); fresh += end - cur; }
    return fresh;
  }

  /** Keeps the bytes of `gaps` (from uncovered) out of `data`, which starts at `start`, and covers [start, end). */
  keep(data: Uint8Array, start: i32, end: i32, gaps: i32[]): void {
    for (let i = 0; i < gaps.length; i += 2) {
      const gs = gaps[i];
      const ge = gaps[i + 1];
      this.pieces.push(new Piece(gs, data.slice(gs - start, ge - start)));
    }
    if (end > start) this.cover(start, end);
  }

  /** The whole payload; call when complete. */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.total);
    const pieces = this.pieces;
    for (let i = 0; i < pieces.length; i++) out.set(pieces[i].data, pieces[i].offset);
    return out;
  }

  /** Adds [start, end) to the covered ranges. */
  private cover(start: i32, end: i32): void {
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
}
