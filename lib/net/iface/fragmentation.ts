// IPv4 fragmentation on send (RFC 791 §3.2, "Fragmentation"): a datagram
// larger than the MTU leaves as fragments that share its identification,
// protocol, addresses and TTL. Each carries a slice of the payload at an
// offset counted in 8-byte units, so every fragment but the last holds a
// multiple of 8 bytes, and all but the last have More Fragments set. The
// headers we emit have no options, so there is nothing to copy or leave out
// per fragment (RFC 791 §3.1, the "copied" flag).

import { Ipv4Packet, IPV4_HEADER_LEN, IPV4_MAX_LEN } from "../wire/ipv4";

/** Payload bytes per fragment at `mtu`: what fits after a header, rounded down to a multiple of 8. */
export function fragmentDataLen(mtu: i32): i32 {
  return (mtu - IPV4_HEADER_LEN) & ~7;
}

/**
 * Cuts the datagram at `datagram[headroom..]` — a 20-byte header as
 * Ipv4Repr.emit writes it (not itself a fragment), then its payload — into
 * fragments of at most `mtu` bytes. Each comes in a new buffer with
 * `headroom` bytes in front for the link header. The Don't Fragment flag is
 * left clear. Empty when `mtu` cannot carry 8 bytes of data or the datagram
 * exceeds 65,535 bytes.
 */
export function fragmentDatagram(datagram: Uint8Array, headroom: i32, mtu: i32): Uint8Array[] {
  const out: Uint8Array[] = [];
  const step = fragmentDataLen(mtu);
  const length = datagram.length - headroom;
  if (step < 8 || length < IPV4_HEADER_LEN || length > IPV4_MAX_LEN) return out;
  const header = datagram.subarray(headroom, headroom + IPV4_HEADER_LEN);
  const payload = datagram.subarray(headroom + IPV4_HEADER_LEN);
  for (let offset = 0; offset < payload.length; offset += step) {
    const len = min(step, payload.length - offset);
    const more = offset + len < payload.length;
    const f = new Uint8Array(headroom + IPV4_HEADER_LEN + len);
    f.set(header, headroom);
    f.set(payload.subarray(offset, offset + len), headroom + IPV4_HEADER_LEN);
    const ip = new Ipv4Packet(f.subarray(headroom));
    ip.totalLen = <u16>(IPV4_HEADER_LEN + len);
    ip.setFragment(false, more, offset);
    ip.fillChecksum();
    out.push(f);
  }
  return out;
}
