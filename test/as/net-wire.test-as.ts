// lib/net/wire: each format's view and Repr against hand-built packets (the
// checksums in them were computed separately), then truncations, bad
// checksums, wrong lengths, and random bytes that must never trap.
import { ipv4, MAC_BROADCAST, MAC_ZERO, macToString, ipv4ToString, parseIpv4, prefixMask, maskPrefixLen, multicastMac } from "atoll/net/addr";
import { WireError } from "atoll/net/wire/error";
import { checksum } from "atoll/net/wire/checksum";
import { EthernetFrame, EthernetRepr, EtherType } from "atoll/net/wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation } from "atoll/net/wire/arp";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "atoll/net/wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr, IcmpKind, DstUnreachableCode } from "atoll/net/wire/icmpv4";
import { UdpPacket, UdpRepr } from "atoll/net/wire/udp";
import { DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DHCP_INFINITE_LEASE } from "atoll/net/wire/dhcp";
import { bytes, ascii, assertBytes, sameBytes, Rng } from "./net-util";

// --- addresses --------------------------------------------------------------

export function test_addresses_print_and_parse(): void {
  assert(ipv4ToString(ipv4(192, 168, 1, 100)) == "192.168.1.100");
  assert(parseIpv4("10.0.0.1") == <i64>ipv4(10, 0, 0, 1));
  assert(parseIpv4("255.255.255.255") == 0xFFFFFFFF);
  assert(parseIpv4("1.2.3") == -1);
  assert(parseIpv4("1.2.3.256") == -1);
  assert(parseIpv4("1..2.3") == -1);
  assert(parseIpv4("1.2.3.4.") == -1);
  assert(macToString(0x525400123456) == "52:54:00:12:34:56");
  assert(prefixMask(24) == 0xFFFFFF00 && prefixMask(0) == 0 && prefixMask(32) == 0xFFFFFFFF);
  assert(maskPrefixLen(0xFFFFFF00) == 24 && maskPrefixLen(0xFF00FF00) == -1);
  assert(multicastMac(ipv4(224, 0, 0, 251)) == 0x01005E0000FB);
  assert(multicastMac(ipv4(239, 255, 255, 250)) == 0x01005E7FFFFA);
}

// --- checksum ---------------------------------------------------------------

export function test_checksum_matches_rfc1071_example(): void {
  // RFC 1071 §3: these bytes sum to ddf2, so the checksum is 220d.
  const b = bytes([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert(checksum(b, 0, 8) == 0x220d);
  // An odd length pads with a zero byte.
  assert(checksum(bytes([0x01]), 0, 1) == 0xFEFF);
  assert(checksum(new Uint8Array(0), 0, 0) == 0xFFFF);
}

// --- Ethernet ---------------------------------------------------------------

// Broadcast ARP request from 52:54:00:12:34:56 (192.168.1.1) for 192.168.1.2.
const ARP_REQUEST_FRAME: u8[] = [
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
  0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
  0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0xc0, 0xa8, 0x01, 0x01,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x02,
];

export function test_ethernet_parse_and_emit_round_trip(): void {
  const buf = bytes(ARP_REQUEST_FRAME);
  const f = new EthernetFrame(buf);
  const r = new EthernetRepr();
  assert(r.parse(f) == WireError.None);
  assert(r.dst == MAC_BROADCAST);
  assert(r.src == 0x525400123456);
  assert(r.etherType == EtherType.ARP);
  assert(f.payload().length == 28);
  const out = new Uint8Array(buf.length);
  out.set(f.payload(), 14);
  r.emit(new EthernetFrame(out));
  assertBytes(out, buf, "emitted frame");
}

export function test_ethernet_rejects_short_frames_and_8023_lengths(): void {
  assert(new EthernetRepr().parse(new EthernetFrame(new Uint8Array(13))) == WireError.Truncated);
  const buf = bytes(ARP_REQUEST_FRAME);
  buf[12] = 0x05; buf[13] = 0xDC; // 1500: an 802.3 length, not a type
  assert(new EthernetRepr().parse(new EthernetFrame(buf)) == WireError.Unsupported);
}

// --- ARP --------------------------------------------------------------------

export function test_arp_parse_and_emit_round_trip(): void {
  const frame = bytes(ARP_REQUEST_FRAME);
  const pkt = new ArpPacket(frame.subarray(14));
  const r = new ArpRepr();
  assert(r.parse(pkt) == WireError.None);
  assert(r.operation == ArpOperation.Request);
  assert(r.senderMac == 0x525400123456);
  assert(r.senderIp == ipv4(192, 168, 1, 1));
  assert(r.targetMac == MAC_ZERO);
  assert(r.targetIp == ipv4(192, 168, 1, 2));
  assert(r.bufferLen() == 28);
  const out = new Uint8Array(28);
  r.emit(new ArpPacket(out));
  assertBytes(out, frame.subarray(14), "emitted ARP");
}

export function test_arp_rejects_truncated_foreign_and_unknown_operations(): void {
  const body = bytes(ARP_REQUEST_FRAME).subarray(14);
  for (let n = 0; n < 28; n++) {
    assert(new ArpRepr().parse(new ArpPacket(body.slice(0, n))) == WireError.Truncated, "length " + n.toString());
  }
  let b = body.slice(0);
  b[1] = 6; // IEEE 802 networks
  assert(new ArpRepr().parse(new ArpPacket(b)) == WireError.BadVersion);
  b = body.slice(0);
  b[2] = 0x86; b[3] = 0xDD;
  assert(new ArpRepr().parse(new ArpPacket(b)) == WireError.BadVersion);
  b = body.slice(0);
  b[7] = 3; // RARP request
  assert(new ArpRepr().parse(new ArpPacket(b)) == WireError.Unsupported);
  // Other address lengths: the view measures them, the Repr declines them.
  b = new Uint8Array(8 + 2 * (8 + 4));
  b.set(body.subarray(0, 8));
  b[4] = 8;
  assert(new ArpPacket(b).checkLen() == WireError.None);
  assert(new ArpRepr().parse(new ArpPacket(b)) == WireError.BadLength);
  assert(new ArpPacket(b.subarray(0, b.length - 1)).checkLen() == WireError.Truncated);
}

// --- IPv4 -------------------------------------------------------------------

// A header whose checksum (b861) is the usual worked example of RFC 791's
// checksum: 192.168.0.1 -> 192.168.0.199, UDP, total length 115.
const HEADER_B861: u8[] = [
  0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
  0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
];

// 10.0.0.1 -> 10.0.0.2 echo request, ident 0x1234, seq 1, data "abcdefgh".
const ICMP_ECHO_REQUEST: u8[] = [
  0x45, 0x00, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x0a, 0x91, 0x0a, 0x00, 0x00, 0x01,
  0x0a, 0x00, 0x00, 0x02, 0x08, 0x00, 0x54, 0x35, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64,
  0x65, 0x66, 0x67, 0x68,
];

// 10.0.0.1:1234 -> 10.0.0.2:7, "hello".
const UDP_HELLO: u8[] = [
  0x45, 0x00, 0x00, 0x21, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x0a, 0x84, 0x0a, 0x00, 0x00, 0x01,
  0x0a, 0x00, 0x00, 0x02, 0x04, 0xd2, 0x00, 0x07, 0x00, 0x0d, 0xa3, 0x26, 0x68, 0x65, 0x6c, 0x6c,
  0x6f,
];

export function test_ipv4_checksum_of_the_worked_example(): void {
  const full = new Uint8Array(115);
  full.set(bytes(HEADER_B861));
  const p = new Ipv4Packet(full);
  assert(p.checkLen() == WireError.None);
  assert(p.verifyChecksum());
  p.fillChecksum();
  assert(p.checksum == 0xb861);
  const r = new Ipv4Repr();
  assert(r.parse(p) == WireError.None);
  assert(r.src == ipv4(192, 168, 0, 1) && r.dst == ipv4(192, 168, 0, 199));
  assert(r.protocol == IpProtocol.UDP && r.payloadLen == 95 && r.dontFragment && !r.isFragment);
}

export function test_ipv4_parse_and_emit_round_trip(): void {
  const buf = bytes(ICMP_ECHO_REQUEST);
  const p = new Ipv4Packet(buf);
  const r = new Ipv4Repr();
  assert(r.parse(p) == WireError.None);
  assert(r.src == ipv4(10, 0, 0, 1) && r.dst == ipv4(10, 0, 0, 2));
  assert(r.protocol == IpProtocol.ICMP && r.ttl == 64 && r.ident == 0x1c46);
  assert(r.payloadLen == 16 && p.payload().length == 16);
  const out = new Uint8Array(buf.length);
  out.set(p.payload(), 20);
  r.emit(new Ipv4Packet(out));
  assertBytes(out, buf, "emitted IPv4");
}

export function test_ipv4_skips_options_and_ignores_ethernet_padding(): void {
  // The same datagram with a 4-byte option (NOP NOP NOP EOL) and 10 bytes of trailing padding.
  const src = bytes(ICMP_ECHO_REQUEST);
  const b = new Uint8Array(src.length + 4 + 10);
  b.set(src.subarray(0, 20));
  b[0] = 0x46;
  b[20] = 1; b[21] = 1; b[22] = 1; b[23] = 0;
  b.set(src.subarray(20), 24);
  const p = new Ipv4Packet(b);
  p.totalLen = <u16>(src.length + 4);
  p.fillChecksum();
  const r = new Ipv4Repr();
  assert(r.parse(p) == WireError.None);
  assert(r.headerLen == 24 && r.payloadLen == 16);
  assertBytes(p.payload(), src.subarray(20), "payload after options");
}

export function test_ipv4_rejects_truncation_bad_checksum_version_and_lengths(): void {
  const good = bytes(ICMP_ECHO_REQUEST);
  for (let n = 0; n < good.length; n++) {
    const e = new Ipv4Repr().parse(new Ipv4Packet(good.slice(0, n)));
    assert(e == WireError.Truncated, "length " + n.toString());
  }
  let b = good.slice(0);
  b[11] ^= 1;
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.BadChecksum);
  b = good.slice(0);
  b[0] = 0x65; // version 6
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.BadVersion);
  b = good.slice(0);
  b[0] = 0x44; // IHL 4 words: shorter than the fixed header
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.BadLength);
  b = good.slice(0);
  b[3] = 19; // total length below the header
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.BadLength);
  b = good.slice(0);
  b[3] = 0x25; // one byte more than the buffer
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.Truncated);
  b = good.slice(0);
  b[6] = 0x9F; b[7] = 0xFF; // reserved flag, and an offset that ends past 65535
  new Ipv4Packet(b).fillChecksum();
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.Malformed);
  b[6] = 0x1F;
  new Ipv4Packet(b).fillChecksum();
  assert(new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.BadLength);
}

export function test_ipv4_fragment_fields(): void {
  const b = bytes(UDP_HELLO);
  const p = new Ipv4Packet(b);
  p.setFragment(false, true, 1480);
  p.fillChecksum();
  const r = new Ipv4Repr();
  assert(r.parse(p) == WireError.None);
  assert(r.isFragment && r.moreFragments && !r.dontFragment && r.fragmentOffset == 1480);
  const out = new Uint8Array(b.length);
  out.set(p.payload(), 20);
  r.emit(new Ipv4Packet(out));
  assertBytes(out, b, "emitted fragment");
}

// --- ICMPv4 -----------------------------------------------------------------

export function test_icmp_echo_parse_and_emit_round_trip(): void {
  const ip = bytes(ICMP_ECHO_REQUEST);
  const body = ip.subarray(20);
  const r = new Icmpv4Repr();
  assert(r.parse(new Icmpv4Packet(body)) == WireError.None);
  assert(r.kind == IcmpKind.EchoRequest && r.ident == 0x1234 && r.seq == 1);
  assertBytes(r.data, ascii("abcdefgh"), "echo data");
  const out = new Uint8Array(r.bufferLen());
  r.emit(new Icmpv4Packet(out));
  assertBytes(out, body, "emitted echo");
  // The reply differs only in type and checksum (RFC 792: type 0, checksum +8 in ones' complement).
  const reply = Icmpv4Repr.echo(false, r.ident, r.seq, r.data);
  const rb = new Uint8Array(reply.bufferLen());
  reply.emit(new Icmpv4Packet(rb));
  assert(rb[0] == 0 && rb[2] == 0x5c && rb[3] == 0x35);
}

export function test_icmp_errors_quote_the_offending_header(): void {
  const orig = bytes(UDP_HELLO);
  const quoted = orig.subarray(0, 28);
  const r = Icmpv4Repr.error(IcmpKind.DstUnreachable, DstUnreachableCode.PORT, quoted);
  const b = new Uint8Array(r.bufferLen());
  r.emit(new Icmpv4Packet(b));
  assert(b[0] == 3 && b[1] == 3 && b[4] == 0 && b[7] == 0);
  const back = new Icmpv4Repr();
  assert(back.parse(new Icmpv4Packet(b)) == WireError.None);
  assert(back.kind == IcmpKind.DstUnreachable && back.code == 3);
  assertBytes(back.data, quoted, "quoted datagram");
  // Fragmentation needed carries the next-hop MTU (RFC 1191).
  const fn = Icmpv4Repr.error(IcmpKind.DstUnreachable, DstUnreachableCode.FRAG_NEEDED, quoted);
  fn.mtu = 1400;
  const fb = new Uint8Array(fn.bufferLen());
  fn.emit(new Icmpv4Packet(fb));
  assert(back.parse(new Icmpv4Packet(fb)) == WireError.None && back.mtu == 1400);
  // Time exceeded, reassembly.
  const te = Icmpv4Repr.error(IcmpKind.TimeExceeded, 1, quoted);
  const tb = new Uint8Array(te.bufferLen());
  te.emit(new Icmpv4Packet(tb));
  assert(tb[0] == 11 && back.parse(new Icmpv4Packet(tb)) == WireError.None && back.kind == IcmpKind.TimeExceeded);
}

export function test_icmp_rejects_truncation_bad_checksum_and_unknown_types(): void {
  const body = bytes(ICMP_ECHO_REQUEST).subarray(20);
  for (let n = 0; n < 8; n++) assert(new Icmpv4Repr().parse(new Icmpv4Packet(body.slice(0, n))) == WireError.Truncated);
  // Cutting the data breaks the checksum, which covers the whole message.
  assert(new Icmpv4Repr().parse(new Icmpv4Packet(body.slice(0, 12))) == WireError.BadChecksum);
  let b = body.slice(0);
  b[9] ^= 0x20;
  assert(new Icmpv4Repr().parse(new Icmpv4Packet(b)) == WireError.BadChecksum);
  b = body.slice(0);
  b[0] = 13; // timestamp
  new Icmpv4Packet(b).fillChecksum();
  assert(new Icmpv4Repr().parse(new Icmpv4Packet(b)) == WireError.Unsupported);
  b = body.slice(0);
  b[1] = 1; // echo with a code
  new Icmpv4Packet(b).fillChecksum();
  assert(new Icmpv4Repr().parse(new Icmpv4Packet(b)) == WireError.Malformed);
  // An error that quotes less than an IPv4 header.
  b = new Uint8Array(8 + 12);
  b[0] = 3; b[1] = 3;
  new Icmpv4Packet(b).fillChecksum();
  assert(new Icmpv4Repr().parse(new Icmpv4Packet(b)) == WireError.Malformed);
}

// --- UDP --------------------------------------------------------------------

export function test_udp_parse_and_emit_round_trip(): void {
  const ip = bytes(UDP_HELLO);
  const src = ipv4(10, 0, 0, 1);
  const dst = ipv4(10, 0, 0, 2);
  const body = ip.subarray(20);
  const r = new UdpRepr();
  assert(r.parse(new UdpPacket(body), src, dst) == WireError.None);
  assert(r.srcPort == 1234 && r.dstPort == 7);
  assertBytes(r.payload, ascii("hello"), "payload");
  const out = new Uint8Array(r.bufferLen());
  UdpRepr.of(1234, 7, ascii("hello")).emit(new UdpPacket(out), src, dst);
  assertBytes(out, body, "emitted UDP");
}

export function test_udp_checksum_covers_the_pseudo_header_and_zero_means_none(): void {
  const body = bytes(UDP_HELLO).subarray(20).slice(0);
  const src = ipv4(10, 0, 0, 1);
  // Another destination address changes the pseudo-header, so the checksum fails.
  assert(new UdpRepr().parse(new UdpPacket(body), src, ipv4(10, 0, 0, 3)) == WireError.BadChecksum);
  body[9] ^= 1;
  assert(new UdpRepr().parse(new UdpPacket(body), src, ipv4(10, 0, 0, 2)) == WireError.BadChecksum);
  body[6] = 0; body[7] = 0; // no checksum: accepted whatever the contents
  assert(new UdpRepr().parse(new UdpPacket(body), src, ipv4(10, 0, 0, 3)) == WireError.None);
}

export function test_udp_sends_a_computed_zero_checksum_as_all_ones(): void {
  // Find a payload whose checksum computes to zero: then 0xFFFF goes on the wire (RFC 768).
  const src = ipv4(10, 0, 0, 1);
  const dst = ipv4(10, 0, 0, 2);
  const payload = new Uint8Array(2);
  const out = new Uint8Array(10);
  let found = false;
  for (let v = 0; v < 65536 && !found; v++) {
    payload[0] = <u8>(v >> 8); payload[1] = <u8>v;
    UdpRepr.of(1, 2, payload).emit(new UdpPacket(out), src, dst);
    if (out[6] == 0xFF && out[7] == 0xFF) found = true;
  }
  assert(found);
  assert(new UdpRepr().parse(new UdpPacket(out), src, dst) == WireError.None);
}

export function test_udp_rejects_truncation_and_wrong_lengths(): void {
  const body = bytes(UDP_HELLO).subarray(20);
  const src = ipv4(10, 0, 0, 1);
  const dst = ipv4(10, 0, 0, 2);
  for (let n = 0; n < body.length; n++) {
    assert(new UdpRepr().parse(new UdpPacket(body.slice(0, n)), src, dst) == WireError.Truncated, "length " + n.toString());
  }
  let b = body.slice(0);
  b[5] = 7; // length below the header
  assert(new UdpRepr().parse(new UdpPacket(b), src, dst) == WireError.BadLength);
  b = body.slice(0);
  b[2] = 0; b[3] = 0; // to port 0
  assert(new UdpRepr().parse(new UdpPacket(b), src, dst) == WireError.Malformed);
  // A length shorter than the buffer: the rest is not payload.
  b = new Uint8Array(body.length + 3);
  b.set(body);
  assert(new UdpRepr().parse(new UdpPacket(b), src, dst) == WireError.None);
}

// --- DHCP -------------------------------------------------------------------

// DHCPDISCOVER from 52:54:00:12:34:56, xid 0x3903f326, broadcast flag,
// asking for subnet mask, router and DNS: the fixed part's first 12 bytes and
// the options after the cookie; everything else is zero, and the message is
// padded to 300 bytes (RFC 1542 §2.1).
const DISCOVER_HEAD: u8[] = [0x01, 0x01, 0x06, 0x00, 0x39, 0x03, 0xf3, 0x26, 0x00, 0x00, 0x80, 0x00];
const DISCOVER_OPTIONS: u8[] = [0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x01, 0x37, 0x03, 0x01, 0x03, 0x06, 0xff];

// The options of a DHCPOFFER of 192.168.1.100 by server 192.168.1.1: lease
// 86400 s, mask /24, router 192.168.1.1, DNS 192.168.1.1 and 8.8.8.8.
const OFFER_OPTIONS: u8[] = [
  0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x02, 0x36, 0x04, 0xc0, 0xa8, 0x01, 0x01, 0x33, 0x04, 0x00,
  0x01, 0x51, 0x80, 0x01, 0x04, 0xff, 0xff, 0xff, 0x00, 0x03, 0x04, 0xc0, 0xa8, 0x01, 0x01, 0x06,
  0x08, 0xc0, 0xa8, 0x01, 0x01, 0x08, 0x08, 0x08, 0x08, 0xff,
];

function discoverBytes(): Uint8Array {
  const b = new Uint8Array(300);
  b.set(bytes(DISCOVER_HEAD));
  b.set(bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]), 28);
  b.set(bytes(DISCOVER_OPTIONS), 236);
  return b;
}

function offerBytes(): Uint8Array {
  const b = new Uint8Array(300);
  b.set(bytes([0x02, 0x01, 0x06, 0x00, 0x39, 0x03, 0xf3, 0x26]));
  b.set(bytes([0xc0, 0xa8, 0x01, 0x64]), 16); // yiaddr
  b.set(bytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]), 28);
  b.set(bytes(OFFER_OPTIONS), 236);
  return b;
}

export function test_dhcp_discover_parse_and_emit_round_trip(): void {
  const b = discoverBytes();
  const r = new DhcpRepr();
  assert(r.parse(new DhcpPacket(b)) == WireError.None);
  assert(r.op == DhcpOp.BootRequest && r.messageType == DhcpMessageType.DISCOVER);
  assert(r.xid == 0x3903f326 && r.broadcast && r.clientMac == 0x525400123456);
  assert(r.clientIp == 0 && r.yourIp == 0 && r.serverId == 0 && r.leaseTime == -1);
  const prl = r.parameterRequestList;
  assert(prl != null && sameBytes(prl, bytes([1, 3, 6])));
  assert(r.bufferLen() == 300);
  const out = new Uint8Array(r.bufferLen());
  r.emit(new DhcpPacket(out));
  assertBytes(out, b, "emitted DISCOVER");
}

export function test_dhcp_offer_parse_and_emit_round_trip(): void {
  const b = offerBytes();
  const r = new DhcpRepr();
  assert(r.parse(new DhcpPacket(b)) == WireError.None);
  assert(r.op == DhcpOp.BootReply && r.messageType == DhcpMessageType.OFFER && !r.broadcast);
  assert(r.yourIp == ipv4(192, 168, 1, 100));
  assert(r.serverId == ipv4(192, 168, 1, 1) && r.router == ipv4(192, 168, 1, 1));
  assert(r.subnetMask == 0xFFFFFF00 && r.leaseTime == 86400);
  assert(r.dnsCount == 2 && r.dnsServers[0] == ipv4(192, 168, 1, 1) && r.dnsServers[1] == ipv4(8, 8, 8, 8));
  assert(r.renewalTime == -1 && r.rebindingTime == -1);
  const out = new Uint8Array(r.bufferLen());
  r.emit(new DhcpPacket(out));
  assertBytes(out, b, "emitted OFFER");
}

export function test_dhcp_reads_options_overloaded_into_file_and_sname(): void {
  const b = offerBytes();
  // Replace End with "overload both", put the T1 option in `file` and T2 in `sname`.
  b[236 + 41] = 52; b[236 + 42] = 1; b[236 + 43] = 3; b[236 + 44] = 0xff;
  b.set(bytes([58, 4, 0, 0, 0x0e, 0x10, 0xff]), 108);
  b.set(bytes([59, 4, 0, 0, 0x1c, 0x20, 0xff]), 44);
  const r = new DhcpRepr();
  assert(r.parse(new DhcpPacket(b)) == WireError.None);
  assert(r.renewalTime == 3600 && r.rebindingTime == 7200);
}

export function test_dhcp_rejects_truncation_cookie_bootp_and_bad_options(): void {
  const good = offerBytes();
  assert(new DhcpRepr().parse(new DhcpPacket(good.slice(0, 239))) == WireError.Truncated);
  let b = good.slice(0);
  b[236] = 0; // magic cookie
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Malformed);
  b = good.slice(0);
  b[0] = 3; // op
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Malformed);
  b = good.slice(0);
  b[1] = 6; // htype IEEE 802
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.BadVersion);
  b = good.slice(0);
  b[240] = 0; b[241] = 0; b[242] = 0; // message type option padded away: plain BOOTP
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Unsupported);
  b = good.slice(0);
  b[242] = 9; // message type beyond INFORM
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Malformed);
  b = good.slice(0);
  b[244] = 3; // server id with 3 bytes
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Malformed);
  // An option running past the end of the buffer.
  b = good.slice(0, 236 + 15);
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.Malformed);
  // No End option but the options stop cleanly at the buffer's end: accepted.
  b = good.slice(0, 236 + 41);
  assert(new DhcpRepr().parse(new DhcpPacket(b)) == WireError.None);
}

export function test_dhcp_emits_times_messages_and_infinite_leases(): void {
  const r = new DhcpRepr();
  r.op = DhcpOp.BootReply;
  r.messageType = DhcpMessageType.NAK;
  r.xid = 7;
  r.clientMac = 0x020000000001;
  r.serverId = ipv4(10, 0, 0, 1);
  r.leaseTime = DHCP_INFINITE_LEASE;
  r.renewalTime = 100;
  r.rebindingTime = 200;
  r.maxMessageSize = 1500;
  r.message = "address not on this network";
  const b = new Uint8Array(r.bufferLen());
  r.emit(new DhcpPacket(b));
  const back = new DhcpRepr();
  assert(back.parse(new DhcpPacket(b)) == WireError.None);
  assert(back.messageType == DhcpMessageType.NAK && back.xid == 7 && back.clientMac == 0x020000000001);
  assert(back.leaseTime == DHCP_INFINITE_LEASE && back.renewalTime == 100 && back.rebindingTime == 200);
  assert(back.maxMessageSize == 1500 && back.message == "address not on this network");
}

// --- random bytes never trap ----------------------------------------------

function parseEverything(b: Uint8Array): void {
  const eth = new EthernetRepr();
  const frame = new EthernetFrame(b);
  if (eth.parse(frame) == WireError.None) new ArpRepr().parse(new ArpPacket(frame.payload()));
  new ArpRepr().parse(new ArpPacket(b));
  const ip = new Ipv4Packet(b);
  const ipr = new Ipv4Repr();
  if (ip.checkLen() == WireError.None) {
    // Give the deeper layers a chance: make the header checksum right.
    ip.fillChecksum();
    if (ipr.parse(ip) == WireError.None) {
      const payload = ip.payload();
      const icmp = new Icmpv4Packet(payload);
      if (icmp.checkLen() == WireError.None) icmp.fillChecksum();
      const ir = new Icmpv4Repr();
      if (ir.parse(icmp) == WireError.None) {
        const out = new Uint8Array(ir.bufferLen());
        ir.emit(new Icmpv4Packet(out));
      }
      const udp = new UdpPacket(payload);
      if (udp.checkLen() == WireError.None && (b[0] & 1) != 0) udp.fillChecksum(ipr.src, ipr.dst);
      const ur = new UdpRepr();
      if (ur.parse(udp, ipr.src, ipr.dst) == WireError.None) {
        const out = new Uint8Array(ur.bufferLen());
        ur.emit(new UdpPacket(out), ipr.src, ipr.dst);
      }
    }
  }
  new Icmpv4Repr().parse(new Icmpv4Packet(b));
  new UdpRepr().parse(new UdpPacket(b), 1, 2);
  const dr = new DhcpRepr();
  if (dr.parse(new DhcpPacket(b)) == WireError.None) {
    const out = new Uint8Array(dr.bufferLen());
    dr.emit(new DhcpPacket(out));
  }
}

export function test_random_bytes_never_trap(): void {
  const rng = new Rng(12345);
  for (let i = 0; i < 3000; i++) {
    const b = new Uint8Array(rng.below(120));
    rng.fill(b);
    if (b.length > 0 && rng.below(2) == 0) b[0] = 0x45 + <u8>rng.below(3); // look like IPv4 more often
    parseEverything(b);
  }
}

export function test_mutated_packets_never_trap(): void {
  const rng = new Rng(777);
  const seeds: Uint8Array[] = [bytes(ICMP_ECHO_REQUEST), bytes(UDP_HELLO), bytes(ARP_REQUEST_FRAME), bytes(HEADER_B861)];
  const dhcpSeeds: Uint8Array[] = [offerBytes(), discoverBytes()];
  let dhcpParsed = 0;
  for (let i = 0; i < 3000; i++) {
    // Mutate only the options area, where the variable-length parsing is.
    const b = dhcpSeeds[i & 1].slice(0);
    const n = 1 + rng.below(6);
    for (let k = 0; k < n; k++) b[240 + rng.below(50)] = <u8>rng.next();
    const cut = rng.below(3) == 0 ? 240 + rng.below(60) : b.length;
    if (new DhcpRepr().parse(new DhcpPacket(b.subarray(0, cut))) == WireError.None) dhcpParsed++;
    parseEverything(b.subarray(0, cut));
  }
  assert(dhcpParsed > 0, "no mutated DHCP message parsed");
  let parsed = 0;
  for (let i = 0; i < 8000; i++) {
    const b = rng.mutate(seeds[i % seeds.length]);
    parseEverything(b);
    if (new Ipv4Repr().parse(new Ipv4Packet(b)) == WireError.None) parsed++;
  }
  assert(parsed > 0, "no mutated packet survived: the fuzz does not reach the upper layers");
}

export function test_views_round_trip_after_emit(): void {
  // Re-parsing what emit wrote gives back the same Repr.
  const udp = UdpRepr.of(5353, 53, ascii("query"));
  const ip = Ipv4Repr.of(ipv4(10, 1, 2, 3), ipv4(10, 3, 2, 1), IpProtocol.UDP, udp.bufferLen(), 17);
  ip.ident = 99;
  const b = new Uint8Array(ip.bufferLen() + udp.bufferLen());
  ip.emit(new Ipv4Packet(b));
  udp.emit(new UdpPacket(b.subarray(20)), ip.src, ip.dst);
  const ip2 = new Ipv4Repr();
  const p = new Ipv4Packet(b);
  assert(ip2.parse(p) == WireError.None);
  assert(ip2.src == ip.src && ip2.dst == ip.dst && ip2.ttl == 17 && ip2.ident == 99);
  const udp2 = new UdpRepr();
  assert(udp2.parse(new UdpPacket(p.payload()), ip2.src, ip2.dst) == WireError.None);
  assert(udp2.srcPort == 5353 && udp2.dstPort == 53 && sameBytes(udp2.payload, ascii("query")));
}
