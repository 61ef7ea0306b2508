// lib/net/socket/dhcp.ts: the client state by state against a fake egress
// (RFC 2131 Figure 5), then against a test server across the in-memory link.
import { ipv4, Ipv4Addr, IPV4_BROADCAST, IPV4_UNSPECIFIED } from "atoll/net/addr";
import { seconds, ms, FOREVER } from "atoll/time";
import { WireError } from "atoll/net/wire/error";
import { Icmpv4Repr } from "atoll/net/wire/icmpv4";
import { DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DHCP_INFINITE_LEASE } from "atoll/net/wire/dhcp";
import { Egress, SendError } from "atoll/net/socket/socket";
import { DhcpClient, DhcpConfig, DhcpHandler, DhcpLease, DhcpState, dhcpStateName } from "atoll/net/socket/dhcp";
import { UdpSocket } from "atoll/net/socket/udp";
import { IcmpSocket, IcmpHandler } from "atoll/net/socket/icmp";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { startDhcp } from "atoll/net/iface/dhcp";
import { TwoStacks, simNow, MAC_A, IP_B } from "./net-link";
import { TestDhcpServer } from "./net-dhcp-server";
import { ascii } from "./net-util";

const MAC: u64 = 0x020000000042;
const SERVER: Ipv4Addr = ipv4(192, 168, 1, 1);
const OFFERED: Ipv4Addr = ipv4(192, 168, 1, 50);

class Sent {
  constructor(public dst: Ipv4Addr, public srcPort: u16, public dstPort: u16, public msg: DhcpRepr, public at: i64) {}
}

class FakeEgress extends Egress {
  sent: Sent[] = [];
  addr: Ipv4Addr = IPV4_UNSPECIFIED;
  get address(): Ipv4Addr { return this.addr; }
  get mtu(): i32 { return 1500; }
  canReach(dst: Ipv4Addr): bool { return true; }
  sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError {
    const r = new DhcpRepr();
    assert(r.parse(new DhcpPacket(payload)) == WireError.None, "the client sent something unparseable");
    this.sent.push(new Sent(dst, srcPort, dstPort, r, now));
    return SendError.None;
  }
  sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError { return SendError.None; }
  get last(): DhcpRepr { return this.sent[this.sent.length - 1].msg; }
  get lastDst(): Ipv4Addr { return this.sent[this.sent.length - 1].dst; }
}

class Events extends DhcpHandler {
  bound: DhcpLease[] = [];
  unbound: i32 = 0;
  onBound(client: DhcpClient, lease: DhcpLease, now: i64): void { this.bound.push(lease); }
  onUnbound(client: DhcpClient, now: i64): void { this.unbound++; }
}

/** A client, its egress and its events, with a clock that moves only forwards. */
class Fixture {
  egress: FakeEgress = new FakeEgress();
  events: Events;
  client: DhcpClient;
  now: i64 = 0;

  constructor(config: DhcpConfig = new DhcpConfig()) {
    const events = new Events();
    this.events = events;
    this.client = new DhcpClient(MAC, events, config, 12345, 0);
  }

  /** Dispatches at every deadline up to `t`, then sets the clock to `t`. */
  advanceTo(t: i64): void {
    for (let guard = 0; guard < 1000; guard++) {
      const at = this.client.pollAt();
      if (at > t) break;
      this.now = max(this.now, at);
      this.client.dispatch(this.now, this.egress);
    }
    this.now = t;
  }

  /** A server reply to the client's current transaction. */
  reply(type: u8, yiaddr: Ipv4Addr = OFFERED, server: Ipv4Addr = SERVER, lease: i64 = 3600): DhcpRepr {
    const r = new DhcpRepr();
    r.op = DhcpOp.BootReply;
    r.messageType = type;
    r.xid = this.client.transactionId;
    r.clientMac = MAC;
    r.yourIp = yiaddr;
    r.serverId = server;
    r.leaseTime = lease;
    r.subnetMask = 0xFFFFFF00;
    r.router = SERVER;
    r.dnsServers[0] = ipv4(192, 168, 1, 2);
    r.dnsCount = 1;
    return r;
  }

  deliver(r: DhcpRepr, srcPort: u16 = 67): void {
    const b = new Uint8Array(r.bufferLen());
    r.emit(new DhcpPacket(b));
    this.client.processUdp(SERVER, srcPort, IPV4_BROADCAST, 68, b, this.now);
  }

  /** Runs INIT -> SELECTING -> REQUESTING -> BOUND at 0 with a lease of `lease` s. */
  bind(lease: i64 = 3600): void {
    this.advanceTo(0);
    this.deliver(this.reply(DhcpMessageType.OFFER));
    this.advanceTo(0);
    this.deliver(this.reply(DhcpMessageType.ACK, OFFERED, SERVER, lease));
    assert(this.client.state == DhcpState.Bound, "fixture did not bind: " + dhcpStateName(this.client.state));
  }
}

function near(t: i64, want: i64, slack: i64): bool { return t >= want - slack && t <= want + slack; }

// === INIT ========================================================================

export function test_init_waits_the_initial_delay_then_discovers(): void {
  const cfg = new DhcpConfig();
  cfg.initialDelay = seconds(2);
  const f = new Fixture(cfg);
  assert(f.client.state == DhcpState.Init && f.client.pollAt() == seconds(2));
  f.advanceTo(seconds(1));
  assert(f.egress.sent.length == 0);
  f.advanceTo(seconds(2));
  assert(f.egress.sent.length == 1);
  const s = f.egress.sent[0];
  assert(s.dst == IPV4_BROADCAST && s.srcPort == 68 && s.dstPort == 67);
  const m = s.msg;
  assert(m.op == DhcpOp.BootRequest && m.messageType == DhcpMessageType.DISCOVER);
  assert(m.clientMac == MAC && m.broadcast && m.xid == f.client.transactionId && m.secs == 0);
  const prl = m.parameterRequestList!;
  assert(prl.length == 6 && prl[0] == 1 && prl[1] == 3 && prl[2] == 6);
  assert(m.maxMessageSize == 1500);
  assert(f.client.state == DhcpState.Selecting);
}

export function test_init_each_start_takes_a_new_transaction_id(): void {
  const f = new Fixture();
  f.advanceTo(0);
  const first = f.client.transactionId;
  f.client.reset(seconds(1));
  f.advanceTo(seconds(1));
  assert(f.client.transactionId != first);
  assert(f.egress.last.xid == f.client.transactionId);
}

// === SELECTING ===================================================================

export function test_selecting_retransmits_with_exponential_backoff(): void {
  const f = new Fixture();
  f.advanceTo(seconds(300));
  const s = f.egress.sent;
  assert(s.length >= 7);
  // 4, 8, 16, 32, 64, 64 s apart, each ±1 s (RFC 2131 §4.1).
  const want: i64[] = [4, 8, 16, 32, 64, 64];
  for (let i = 0; i < want.length; i++) {
    const gap = s[i + 1].at - s[i].at;
    assert(near(gap, seconds(want[i]), seconds(1)), "gap " + i.toString() + " was " + (gap / 1_000_000).toString() + " ms");
    assert(s[i + 1].msg.messageType == DhcpMessageType.DISCOVER && s[i + 1].msg.xid == s[0].msg.xid);
  }
  assert(f.client.state == DhcpState.Selecting);
  assert(s[s.length - 1].msg.secs > 200, "secs counts from the first DISCOVER");
}

export function test_selecting_ignores_what_is_not_an_offer_for_us(): void {
  const f = new Fixture();
  f.advanceTo(0);
  let r = f.reply(DhcpMessageType.OFFER);
  r.xid ^= 1;
  f.deliver(r);
  r = f.reply(DhcpMessageType.OFFER);
  r.clientMac = 0x020000000043;
  f.deliver(r);
  f.deliver(f.reply(DhcpMessageType.OFFER, OFFERED, IPV4_UNSPECIFIED)); // no server identifier
  f.deliver(f.reply(DhcpMessageType.OFFER, IPV4_UNSPECIFIED)); // no address
  f.deliver(f.reply(DhcpMessageType.ACK));
  f.deliver(f.reply(DhcpMessageType.OFFER), 1067); // not from the server port
  r = f.reply(DhcpMessageType.OFFER);
  r.op = DhcpOp.BootRequest;
  f.deliver(r);
  const junk = new Uint8Array(100);
  f.client.processUdp(SERVER, 67, IPV4_BROADCAST, 68, junk, 0);
  assert(f.client.state == DhcpState.Selecting);
  assert(f.client.ignored == 8);
}

export function test_selecting_takes_the_first_offer_and_requests_it(): void {
  const f = new Fixture();
  f.advanceTo(0);
  f.now = seconds(3);
  f.deliver(f.reply(DhcpMessageType.OFFER));
  f.deliver(f.reply(DhcpMessageType.OFFER, ipv4(192, 168, 1, 99), ipv4(192, 168, 1, 9))); // a second offer, ignored
  assert(f.client.state == DhcpState.Requesting);
  assert(f.client.pollAt() <= f.now, "the REQUEST goes out at once");
  f.advanceTo(seconds(3));
  const s = f.egress.sent[f.egress.sent.length - 1];
  const m = s.msg;
  assert(m.messageType == DhcpMessageType.REQUEST && s.dst == IPV4_BROADCAST);
  assert(m.requestedIp == OFFERED && m.serverId == SERVER && m.clientIp == 0);
  assert(m.xid == f.client.transactionId && m.secs == 3);
}

// === REQUESTING ==================================================================

function requesting(): Fixture {
  const f = new Fixture();
  f.advanceTo(0);
  f.deliver(f.reply(DhcpMessageType.OFFER));
  f.advanceTo(0);
  assert(f.client.state == DhcpState.Requesting);
  return f;
}

export function test_requesting_ack_binds_with_default_t1_t2(): void {
  const f = requesting();
  f.now = seconds(1);
  f.deliver(f.reply(DhcpMessageType.ACK));
  assert(f.client.state == DhcpState.Bound);
  assert(f.events.bound.length == 1);
  const l = f.events.bound[0];
  assert(l.address == OFFERED && l.prefixLen == 24 && l.router == SERVER && l.server == SERVER);
  assert(l.dns.length == 1 && l.dns[0] == ipv4(192, 168, 1, 2));
  // T1 = 0.5, T2 = 0.875 of the lease (RFC 2131 §4.4.5).
  assert(l.renewAt == seconds(1 + 1800) && l.rebindAt == seconds(1 + 3150) && l.expiresAt == seconds(1 + 3600));
  assert(f.client.lease === l);
}

export function test_requesting_ack_with_explicit_t1_t2(): void {
  const f = requesting();
  const r = f.reply(DhcpMessageType.ACK, OFFERED, SERVER, 1000);
  r.renewalTime = 100;
  r.rebindingTime = 200;
  f.deliver(r);
  const l = f.client.lease!;
  assert(l.renewAt == seconds(100) && l.rebindAt == seconds(200) && l.expiresAt == seconds(1000));
}

export function test_requesting_ack_with_nonsense_times_is_clamped(): void {
  const f = requesting();
  const r = f.reply(DhcpMessageType.ACK, OFFERED, SERVER, 1000);
  r.renewalTime = 5000; // after T2
  r.rebindingTime = 9000; // after expiry
  f.deliver(r);
  const l = f.client.lease!;
  assert(l.rebindAt == seconds(875) && l.renewAt == seconds(875) && l.expiresAt == seconds(1000));
}

export function test_requesting_ignores_unusable_or_foreign_acks(): void {
  const f = requesting();
  f.deliver(f.reply(DhcpMessageType.ACK, OFFERED, ipv4(192, 168, 1, 9))); // another server
  f.deliver(f.reply(DhcpMessageType.ACK, OFFERED, SERVER, -1)); // no lease time
  f.deliver(f.reply(DhcpMessageType.ACK, IPV4_UNSPECIFIED)); // no address
  f.deliver(f.reply(DhcpMessageType.OFFER));
  assert(f.client.state == DhcpState.Requesting && f.events.bound.length == 0);
}

export function test_requesting_nak_restarts_from_init(): void {
  const f = requesting();
  const xid = f.client.transactionId;
  f.deliver(f.reply(DhcpMessageType.NAK));
  assert(f.client.state == DhcpState.Init);
  assert(f.events.unbound == 0, "nothing was bound");
  f.advanceTo(f.now);
  assert(f.client.state == DhcpState.Selecting && f.egress.last.messageType == DhcpMessageType.DISCOVER);
  assert(f.client.transactionId != xid);
}

export function test_requesting_retries_then_starts_over(): void {
  const f = requesting();
  const before = f.egress.sent.length; // DISCOVER, REQUEST
  f.advanceTo(seconds(100));
  let requests = 0;
  let discovers = 0;
  for (let i = before - 1; i < f.egress.sent.length; i++) {
    const t = f.egress.sent[i].msg.messageType;
    if (t == DhcpMessageType.REQUEST) requests++;
    if (t == DhcpMessageType.DISCOVER && requests > 0) discovers++;
  }
  assert(requests == 4, "four REQUESTs: " + requests.toString());
  assert(discovers >= 1 && f.client.state == DhcpState.Selecting);
}

export function test_requesting_without_mask_uses_the_class_prefix(): void {
  const f = requesting();
  const r = f.reply(DhcpMessageType.ACK, ipv4(10, 1, 2, 3));
  r.subnetMask = 0;
  f.deliver(r);
  assert(f.client.lease!.prefixLen == 8);
}

// === BOUND =======================================================================

export function test_bound_is_quiet_until_t1(): void {
  const f = new Fixture();
  f.bind();
  const n = f.egress.sent.length;
  assert(f.client.pollAt() == seconds(1800));
  f.advanceTo(seconds(1799));
  assert(f.egress.sent.length == n && f.client.state == DhcpState.Bound);
  f.deliver(f.reply(DhcpMessageType.ACK));
  f.deliver(f.reply(DhcpMessageType.NAK));
  assert(f.client.state == DhcpState.Bound, "late replies change nothing");
}

export function test_bound_with_an_infinite_lease_never_renews(): void {
  const f = new Fixture();
  f.bind(DHCP_INFINITE_LEASE);
  assert(f.client.pollAt() == FOREVER && f.client.lease!.expiresAt == FOREVER);
}

// === RENEWING ====================================================================

export function test_renewing_starts_at_t1_with_a_unicast_request(): void {
  const f = new Fixture();
  f.bind();
  const xid = f.client.transactionId;
  f.advanceTo(seconds(1800));
  assert(f.client.state == DhcpState.Renewing);
  const m = f.egress.last;
  assert(f.egress.lastDst == SERVER, "to the server that granted the lease");
  assert(m.messageType == DhcpMessageType.REQUEST && m.clientIp == OFFERED);
  assert(m.requestedIp == 0 && m.serverId == 0 && !m.broadcast);
  assert(m.xid != xid && m.secs == 0);
}

export function test_renewing_ack_extends_the_lease(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(1800));
  f.now = seconds(1801);
  f.deliver(f.reply(DhcpMessageType.ACK));
  assert(f.client.state == DhcpState.Bound && f.events.bound.length == 2);
  assert(f.client.lease!.expiresAt == seconds(1801 + 3600));
  assert(f.client.pollAt() == seconds(1801 + 1800));
}

export function test_renewing_nak_drops_the_lease(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(1800));
  f.deliver(f.reply(DhcpMessageType.NAK));
  assert(f.events.unbound == 1 && f.client.lease == null && f.client.state == DhcpState.Init);
  f.advanceTo(f.now);
  assert(f.egress.last.messageType == DhcpMessageType.DISCOVER);
}

export function test_renewing_retransmits_at_half_the_time_to_t2(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(1800));
  // T2 is at 3150 s: next at 1800 + 675, then + 337.5, + 168.75, + 84.375, then the 60 s floor, capped at T2.
  assert(f.client.pollAt() == seconds(2475));
  f.advanceTo(seconds(2475));
  assert(f.client.pollAt() == seconds(2475) + ms(337_500));
  f.advanceTo(seconds(3100));
  const last = f.egress.sent[f.egress.sent.length - 1];
  assert(f.client.pollAt() == seconds(3150) || f.client.pollAt() - last.at == seconds(60));
  assert(f.client.state == DhcpState.Renewing);
  for (let i = 1; i < f.egress.sent.length; i++) {
    const s = f.egress.sent[i];
    if (s.at > seconds(1800)) assert(s.at - f.egress.sent[i - 1].at >= seconds(50), "never faster than the floor");
  }
}

// === REBINDING ===================================================================

export function test_rebinding_starts_at_t2_with_a_broadcast(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(3150));
  assert(f.client.state == DhcpState.Rebinding);
  const m = f.egress.last;
  assert(f.egress.lastDst == IPV4_BROADCAST && m.messageType == DhcpMessageType.REQUEST);
  assert(m.clientIp == OFFERED && m.serverId == 0 && m.requestedIp == 0);
  // Half the time to expiry (225 s) this time.
  assert(f.client.pollAt() == seconds(3150 + 225));
}

export function test_rebinding_ack_from_any_server_binds(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(3200));
  f.deliver(f.reply(DhcpMessageType.ACK, OFFERED, ipv4(192, 168, 1, 7)));
  assert(f.client.state == DhcpState.Bound && f.client.lease!.server == ipv4(192, 168, 1, 7));
}

export function test_rebinding_expiry_drops_the_lease_and_discovers(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(3599));
  assert(f.client.state == DhcpState.Rebinding && f.events.unbound == 0);
  f.advanceTo(seconds(3600));
  assert(f.events.unbound == 1 && f.client.lease == null);
  assert(f.client.state == DhcpState.Selecting && f.egress.last.messageType == DhcpMessageType.DISCOVER);
}

export function test_rebinding_nak_drops_the_lease(): void {
  const f = new Fixture();
  f.bind();
  f.advanceTo(seconds(3200));
  f.deliver(f.reply(DhcpMessageType.NAK));
  assert(f.events.unbound == 1 && f.client.state == DhcpState.Init);
}

// === against a server over the link ============================================

class Pongs extends IcmpHandler {
  n: i32 = 0;
  onEchoReply(socket: IcmpSocket, from: Ipv4Addr, seq: u16, data: Uint8Array, now: i64): void { this.n++; }
}

const POOL: Ipv4Addr = ipv4(10, 0, 0, 100);

class DhcpNet {
  net: TwoStacks;
  server: TestDhcpServer;
  client: DhcpClient;

  constructor(leaseSeconds: i64 = 3600) {
    const ca = new InterfaceConfig(); // no address: DHCP provides it
    const cb = new InterfaceConfig();
    cb.address = IP_B;
    const net = new TwoStacks(ca, cb);
    const server = new TestDhcpServer(IP_B, POOL, IP_B);
    server.leaseSeconds = leaseSeconds;
    const s = new UdpSocket(server);
    net.b.sockets.add(s);
    assert(s.bind(67) == 0);
    this.net = net;
    this.server = server;
    this.client = startDhcp(net.a, simNow(), 777);
  }

  pingB(): bool {
    const pongs = new Pongs();
    const s = new IcmpSocket(pongs, 9);
    this.net.a.sockets.add(s);
    s.sendEcho(IP_B, 1, ascii("hi"));
    this.net.run(ms(50));
    this.net.a.sockets.remove(s);
    return pongs.n == 1;
  }
}

export function test_dhcp_client_gets_a_lease_and_uses_it(): void {
  const d = new DhcpNet();
  assert(d.net.a.address == 0);
  d.net.run(seconds(1));
  assert(d.client.state == DhcpState.Bound, dhcpStateName(d.client.state));
  assert(d.server.discovers == 1 && d.server.acks == 1);
  assert(d.net.a.address == POOL && d.net.a.prefixLen == 24 && d.net.a.gateway == IP_B);
  assert(d.pingB(), "the leased address works");
}

export function test_dhcp_client_renews_with_the_server(): void {
  const d = new DhcpNet(120);
  d.net.run(seconds(1));
  d.net.run(seconds(70)); // T1 at 60 s
  assert(d.server.renewals == 1 && d.server.unicastRenewals == 1 && d.server.acks == 2);
  assert(d.client.state == DhcpState.Bound && d.net.a.address == POOL);
  d.net.run(seconds(600));
  assert(d.client.state == DhcpState.Bound && d.server.discovers == 1, "renewed every T1, never lost");
  assert(d.pingB());
}

export function test_dhcp_client_loses_the_address_when_the_server_goes_away(): void {
  const d = new DhcpNet(120);
  d.net.run(seconds(1));
  d.server.answering = false;
  d.net.run(seconds(110)); // T2 at 105 s
  assert(d.client.state == DhcpState.Rebinding && d.net.a.address == POOL);
  d.net.run(seconds(15)); // expiry at 121 s
  assert(d.net.a.address == 0, "address dropped at expiry");
  assert(d.client.state == DhcpState.Selecting);
  d.server.answering = true;
  d.net.run(seconds(120));
  assert(d.client.state == DhcpState.Bound && d.net.a.address == POOL);
}

export function test_dhcp_client_starts_over_after_a_nak(): void {
  const d = new DhcpNet(120);
  d.net.run(seconds(1));
  d.server.nakRenewals = true;
  d.server.offerIp = ipv4(10, 0, 0, 101);
  d.net.run(seconds(61));
  assert(d.server.naks == 1);
  d.server.nakRenewals = false;
  d.net.run(seconds(5));
  assert(d.client.state == DhcpState.Bound && d.net.a.address == ipv4(10, 0, 0, 101));
  assert(d.pingB());
}

export function test_dhcp_client_binds_over_a_lossy_link(): void {
  const d = new DhcpNet();
  d.net.link.dropPerMille = 300;
  d.net.link.duplicatePerMille = 100;
  d.net.run(seconds(180));
  assert(d.client.state == DhcpState.Bound, dhcpStateName(d.client.state));
  assert(d.net.a.address == POOL);
}
