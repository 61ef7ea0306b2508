// Addresses as plain integers: an IPv4 address is a u32 in host order
// (10.0.0.1 is 0x0A000001) and a MAC address the low 48 bits of a u64. They
// compare with ==, need no allocation, and fit in any Repr field; the wire
// views convert to and from network byte order at the buffer.

/** An IPv4 address in host byte order. */
export type Ipv4Addr = u32;
/** A 48-bit Ethernet MAC address in the low bits of a u64. */
export type MacAddr = u64;

/** 0.0.0.0: "no address yet" (RFC 1122 §3.2.1.3). */
export const IPV4_UNSPECIFIED: Ipv4Addr = 0;
/** 255.255.255.255: the limited broadcast address (RFC 919 §7). */
export const IPV4_BROADCAST: Ipv4Addr = 0xFFFF_FFFF;
/** ff:ff:ff:ff:ff:ff. */
export const MAC_BROADCAST: MacAddr = 0xFFFF_FFFF_FFFF;
/** 00:00:00:00:00:00, the target hardware address of an ARP request. */
export const MAC_ZERO: MacAddr = 0;

/** The address a.b.c.d. */
export function ipv4(a: u8, b: u8, c: u8, d: u8): Ipv4Addr {
  return (<u32>a << 24) | (<u32>b << 16) | (<u32>c << 8) | <u32>d;
}

/** The netmask of a prefix length 0..32. */
export function prefixMask(prefixLen: i32): u32 {
  if (prefixLen <= 0) return 0;
  if (prefixLen >= 32) return 0xFFFF_FFFF;
  return ~(<u32>0xFFFF_FFFF >>> <u32>prefixLen);
}

/** The prefix length of a contiguous netmask, or -1 when the mask has holes. */
export function maskPrefixLen(mask: u32): i32 {
  const len = <i32>clz<u32>(~mask);
  return prefixMask(len) == mask ? len : -1;
}

/** True for 224.0.0.0/4 (RFC 5771). */
export function isMulticast(a: Ipv4Addr): bool { return (a >>> 28) == 0xE; }

/** True for 127.0.0.0/8 (RFC 1122 §3.2.1.3). */
export function isLoopback(a: Ipv4Addr): bool { return (a >>> 24) == 127; }

/** True when the group bit of the first octet is set (IEEE 802: multicast and broadcast). */
export function isMulticastMac(m: MacAddr): bool { return ((m >> 40) & 1) != 0; }

/** The Ethernet group address of an IPv4 multicast address (RFC 1112 §6.4: 01:00:5e + low 23 bits). */
export function multicastMac(a: Ipv4Addr): MacAddr {
  return <u64>0x01005E00_0000 | <u64>(a & 0x7F_FFFF);
}

/** Reads 6 bytes at `ptr` as a MAC address. */
@inline export function loadMac(ptr: usize): MacAddr {
  return (<u64>bswap<u32>(load<u32>(ptr)) << 16) | <u64>bswap<u16>(load<u16>(ptr, 4));
}

/** Writes `m` as 6 bytes at `ptr`. */
@inline export function storeMac(ptr: usize, m: MacAddr): void {
  store<u32>(ptr, bswap<u32>(<u32>(m >> 16)));
  store<u16>(ptr, bswap<u16>(<u16>m), 4);
}

/** The MAC address in the first 6 bytes of `b` (0 when `b` is shorter). */
export function macFromBytes(b: Uint8Array): MacAddr {
  if (b.length < 6) return 0;
  return loadMac(b.dataStart);
}

/** A MAC address as 6 new bytes. */
export function macToBytes(m: MacAddr): Uint8Array {
  const b = new Uint8Array(6);
  storeMac(b.dataStart, m);
  return b;
}

/** "10.0.0.1". */
export function ipv4ToString(a: Ipv4Addr): string {
  return (a >>> 24).toString() + "." + ((a >>> 16) & 0xFF).toString() + "." +
    ((a >>> 8) & 0xFF).toString() + "." + (a & 0xFF).toString();
}

/** "02:00:00:00:00:01". */
export function macToString(m: MacAddr): string {
  let s = "";
  for (let i = 5; i >= 0; i--) {
    const byte = <u32>((m >> (<u64>i * 8)) & 0xFF);
    if (byte < 16) s += "0";
    s += byte.toString(16);
    if (i > 0) s += ":";
  }
  return s;
}

/** Parses dotted-quad "a.b.c.d"; returns the address, or -1 when `s` is not one. */
export function parseIpv4(s: string): i64 {
  let value: u32 = 0;
  let part: u32 = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + <u32>(c - 48);
      digits++;
      if (digits > 3 || part > 255) return -1;
    } else if (c == 46) {
      if (digits == 0 || dots == 3) return -1;
      value = (value << 8) | part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (digits == 0 || dots != 3) return -1;
  return <i64>((value << 8) | part);
}
