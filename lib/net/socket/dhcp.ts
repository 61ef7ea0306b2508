// A DHCP client (RFC 2131 §4.4, the state diagram of Figure 5): INIT,
// SELECTING, REQUESTING, BOUND, RENEWING, REBINDING. INIT-REBOOT and
// REBOOTING are left out: every start asks for a fresh lease. It is a socket
// on UDP port 68: the interface hands it replies and lets it send when its
// timer (pollAt) is due; what it learns goes to a DhcpHandler, which
// configures the interface (lib/net/iface/dhcp.ts does that).
//
// Not done: the ARP probe of an offered address before using it, and
// DHCPDECLINE (RFC 2131 §4.4.1 "SHOULD"); DHCPRELEASE on shutdown.

import { Ipv4Addr, MacAddr, IPV4_BROADCAST, IPV4_UNSPECIFIED, maskPrefixLen } from "../addr";
import { seconds, FOREVER } from "../../time";
import { WireError } from "../wire/error";
import {
  DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DhcpOption,
  DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DHCP_INFINITE_LEASE, DHCP_MAX_DNS,
} from "../wire/dhcp";
import { Socket, Egress } from "./socket";

/** The client states of RFC 2131 Figure 5. */
export enum DhcpState {
  Init = 0,
  Selecting = 1,
  Requesting = 2,
  Bound = 3,
  Renewing = 4,
  Rebinding = 5,
}

export function dhcpStateName(s: DhcpState): string {
  switch (s) {
    case DhcpState.Init: return "INIT";
    case DhcpState.Selecting: return "SELECTING";
    case DhcpState.Requesting: return "REQUESTING";
    case DhcpState.Bound: return "BOUND";
    case DhcpState.Renewing: return "RENEWING";
    case DhcpState.Rebinding: return "REBINDING";
  }
  return "?";
}

/** Timing and the options asked for. */
export class DhcpConfig {
  /** Wait before the first DISCOVER; RFC 2131 §4.4.1 suggests 1 to 10 s at boot to spread a crowd. */
  initialDelay: i64 = 0;
  /** First retransmission delay, doubled each time up to retransmitMax (RFC 2131 §4.1). */
  retransmitFirst: i64 = seconds(4);
  retransmitMax: i64 = seconds(64);
  /** Each delay is moved by a uniform random amount in ±jitter (RFC 2131 §4.1: ±1 s). */
  jitter: i64 = seconds(1);
  /** REQUESTs sent in REQUESTING before starting over from INIT. */
  requestTries: i32 = 4;
  /** Shortest wait between REQUESTs in RENEWING and REBINDING (RFC 2131 §4.4.5: 60 s). */
  renewRetransmitMin: i64 = seconds(60);
  /** Options asked for (RFC 2132 §9.8): mask, router, DNS, lease, T1, T2. */
  parameterRequestList: u8[] = [
    DhcpOption.SUBNET_MASK, DhcpOption.ROUTER, DhcpOption.DNS_SERVER,
    DhcpOption.LEASE_TIME, DhcpOption.RENEWAL_TIME, DhcpOption.REBINDING_TIME,
  ];
}

/** What a server granted. Instants are monotonic ns; FOREVER for an infinite lease. */
export class DhcpLease {
  address: Ipv4Addr = 0;
  prefixLen: i32 = 0;
  /** 0 when the server named none. */
  router: Ipv4Addr = 0;
  dns: Ipv4Addr[] = [];
  /** The server's identifier (option 54): where RENEWING sends. */
  server: Ipv4Addr = 0;
  acquiredAt: i64 = 0;
  /** T1: RENEWING begins. */
  renewAt: i64 = FOREVER;
  /** T2: REBINDING begins. */
  rebindAt: i64 = FOREVER;
  expiresAt: i64 = FOREVER;
}

/** Told when the client gains, renews or loses its lease. */
export abstract class DhcpHandler {
  /** A lease was granted or renewed (the address may have changed). */
  abstract onBound(client: DhcpClient, lease: DhcpLease, now: i64): void;
  /** The lease is gone (expired or refused): stop using the address. */
  abstract onUnbound(client: DhcpClient, now: i64): void;
}

/** A DHCP client for one interface. */
export class DhcpClient extends Socket {
  private st: DhcpState = DhcpState.Init;
  private currentLease: DhcpLease | null = null;
  private xid: u32 = 0;
  /** When dispatch() must act: send, retransmit, or change state on a lease timer. */
  private nextAt: i64;
  private delay: i64 = 0;
  private tries: i32 = 0;
  /** Start of the current acquisition or renewal, for the `secs` field. */
  private startedAt: i64 = 0;
  private offeredIp: Ipv4Addr = 0;
  private offerServer: Ipv4Addr = 0;
  private rng: u32;
  private repr: DhcpRepr = new DhcpRepr();
  /** Replies ignored: unparseable, or not for our transaction. */
  ignored: i32 = 0;
  /** Messages sent, of every type. */
  sent: i32 = 0;

  /**
   * `mac` is the interface's hardware address (chaddr); `seed` makes the
   * transaction ids and delays reproducible (0: take one from Math.random).
   * The first DISCOVER goes out at the first dispatch after `start`.
   */
  constructor(readonly mac: MacAddr, public handler: DhcpHandler, readonly config: DhcpConfig = new DhcpConfig(), seed: u32 = 0, start: i64 = 0) {
    super();
    this.rng = seed != 0 ? seed : <u32>(Math.random() * 4294967295.0) | 1;
    this.nextAt = start + config.initialDelay;
  }

  get state(): DhcpState { return this.st; }
  /** The lease held in BOUND, RENEWING and REBINDING; null otherwise. */
  get lease(): DhcpLease | null { return this.currentLease; }
  /** The transaction id of the exchange in progress. */
  get transactionId(): u32 { return this.xid; }

  /** Drops any lease (telling the handler) and starts over from INIT at `now`. */
  reset(now: i64): void {
    if (this.currentLease != null) {
      this.currentLease = null;
      this.handler.onUnbound(this, now);
    }
    this.st = DhcpState.Init;
    this.nextAt = now;
  }

  // --- Socket ---------------------------------------------------------------

  get udpPort(): u16 { return DHCP_CLIENT_PORT; }
  acceptsUdp(dst: Ipv4Addr, dstPort: u16): bool { return dstPort == DHCP_CLIENT_PORT; }
  pollAt(): i64 { return this.nextAt; }

  dispatch(now: i64, egress: Egress): void {
    if (now < this.nextAt) return;
    switch (this.st) {
      case DhcpState.Init: {
        this.xid = this.random();
        this.startedAt = now;
        this.st = DhcpState.Selecting;
        this.delay = this.config.retransmitFirst;
        this.tries = 0;
        this.sendDiscover(now, egress);
        break;
      }
      case DhcpState.Selecting: {
        this.sendDiscover(now, egress);
        break;
      }
      case DhcpState.Requesting: {
        if (this.tries >= this.config.requestTries) {
          // No answer to our REQUESTs: start over with a new DISCOVER.
          this.st = DhcpState.Init;
          this.nextAt = now;
          this.dispatch(now, egress);
          return;
        }
        this.sendRequest(now, egress, IPV4_BROADCAST, IPV4_UNSPECIFIED, true);
        this.tries++;
        this.nextAt = now + this.backoff();
        break;
      }
      case DhcpState.Bound: {
        // T1: ask the server that granted the lease to extend it.
        const lease = this.currentLease!;
        this.st = DhcpState.Renewing;
        this.xid = this.random();
        this.startedAt = now;
        this.renewOrRebind(now, egress, lease);
        break;
      }
      case DhcpState.Renewing: {
        const lease = this.currentLease!;
        if (now >= lease.rebindAt) {
          // T2: ask any server.
          this.st = DhcpState.Rebinding;
        }
        this.renewOrRebind(now, egress, lease);
        break;
      }
      case DhcpState.Rebinding: {
        const lease = this.currentLease!;
        if (now >= lease.expiresAt) {
          this.reset(now);
          this.dispatch(now, egress);
          return;
        }
        this.renewOrRebind(now, egress, lease);
        break;
      }
    }
  }

  processUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): void {
    const r = this.repr;
    if (srcPort != DHCP_SERVER_PORT || r.parse(new DhcpPacket(payload)) != WireError.None ||
        r.op != DhcpOp.BootReply || r.xid != this.xid || r.clientMac != this.mac) {
      this.ignored++;
      return;
    }
    const t = r.messageType;
    switch (this.st) {
      case DhcpState.Selecting: {
        // The first acceptable offer wins (RFC 2131 §4.4.1 lets the client choose).
        if (t != DhcpMessageType.OFFER || r.yourIp == IPV4_UNSPECIFIED || r.serverId == IPV4_UNSPECIFIED) break;
        this.offeredIp = r.yourIp;
        this.offerServer = r.serverId;
        this.st = DhcpState.Requesting;
        this.tries = 0;
        this.delay = this.config.retransmitFirst;
        this.nextAt = now;
        return;
      }
      case DhcpState.Requesting: {
        if (r.serverId != IPV4_UNSPECIFIED && r.serverId != this.offerServer) break;
        if (t == DhcpMessageType.ACK) {
          if (this.bind(r, now)) return;
        } else if (t == DhcpMessageType.NAK) {
          this.reset(now);
          return;
        }
        break;
      }
      case DhcpState.Renewing:
      case DhcpState.Rebinding: {
        if (t == DhcpMessageType.ACK) {
          if (this.bind(r, now)) return;
        } else if (t == DhcpMessageType.NAK) {
          this.reset(now);
          return;
        }
        break;
      }
      default:
        break;
    }
    this.ignored++;
  }

  // --- internals --------------------------------------------------------------

  /** Takes the lease an ACK grants; false when the ACK is unusable (no address, no lease time). */
  private bind(r: DhcpRepr, now: i64): bool {
    if (r.yourIp == IPV4_UNSPECIFIED || r.leaseTime < 0) return false;
    const lease = new DhcpLease();
    lease.address = r.yourIp;
    let prefix = r.subnetMask != 0 ? maskPrefixLen(r.subnetMask) : -1;
    if (prefix <= 0) prefix = classfulPrefix(r.yourIp);
    lease.prefixLen = prefix;
    lease.router = r.router;
    for (let i = 0; i < r.dnsCount && i < DHCP_MAX_DNS; i++) lease.dns.push(r.dnsServers[i]);
    const old = this.currentLease;
    lease.server = r.serverId != IPV4_UNSPECIFIED ? r.serverId : (old != null ? old.server : this.offerServer);
    lease.acquiredAt = now;
    if (r.leaseTime == DHCP_INFINITE_LEASE) {
      lease.renewAt = FOREVER;
      lease.rebindAt = FOREVER;
      lease.expiresAt = FOREVER;
    } else {
      // Defaults T1 = 0.5 and T2 = 0.875 of the lease (RFC 2131 §4.4.5); keep T1 <= T2 <= lease.
      const total = seconds(r.leaseTime);
      let t2 = r.rebindingTime >= 0 ? seconds(r.rebindingTime) : total / 8 * 7;
      if (t2 > total) t2 = total / 8 * 7;
      let t1 = r.renewalTime >= 0 ? seconds(r.renewalTime) : total / 2;
      if (t1 > t2) t1 = t2;
      lease.renewAt = now + t1;
      lease.rebindAt = now + t2;
      lease.expiresAt = now + total;
    }
    this.currentLease = lease;
    this.st = DhcpState.Bound;
    this.nextAt = lease.renewAt;
    this.handler.onBound(this, lease, now);
    return true;
  }

  /** One REQUEST of RENEWING (unicast to the server) or REBINDING (broadcast), and the next retransmission. */
  private renewOrRebind(now: i64, egress: Egress, lease: DhcpLease): void {
    const renewing = this.st == DhcpState.Renewing;
    this.sendRequest(now, egress, renewing ? lease.server : IPV4_BROADCAST, lease.address, false);
    // Half the time left until the next deadline, but no less than the minimum (RFC 2131 §4.4.5).
    const until = renewing ? lease.rebindAt : lease.expiresAt;
    const wait = max((until - now) / 2, this.config.renewRetransmitMin);
    this.nextAt = min(now + wait, until);
  }

  private sendDiscover(now: i64, egress: Egress): void {
    const r = this.message(DhcpMessageType.DISCOVER, now, egress);
    r.broadcast = true;
    this.send(r, IPV4_BROADCAST, now, egress);
    this.nextAt = now + this.backoff();
  }

  private sendRequest(now: i64, egress: Egress, dst: Ipv4Addr, clientIp: Ipv4Addr, selecting: bool): void {
    const r = this.message(DhcpMessageType.REQUEST, now, egress);
    if (selecting) {
      // After an offer: name the address and the server chosen (RFC 2131 §4.3.2, Table 5).
      r.requestedIp = this.offeredIp;
      r.serverId = this.offerServer;
      r.broadcast = true;
    } else {
      r.clientIp = clientIp;
    }
    this.send(r, dst, now, egress);
  }

  private message(type: u8, now: i64, egress: Egress): DhcpRepr {
    const r = new DhcpRepr();
    r.op = DhcpOp.BootRequest;
    r.messageType = type;
    r.xid = this.xid;
    r.secs = <u16>min<i64>((now - this.startedAt) / 1_000_000_000, 0xFFFF);
    r.clientMac = this.mac;
    const prl = this.config.parameterRequestList;
    const list = new Uint8Array(prl.length);
    for (let i = 0; i < prl.length; i++) list[i] = prl[i];
    r.parameterRequestList = list;
    r.maxMessageSize = min(egress.mtu, 0xFFFF);
    return r;
  }

  private send(r: DhcpRepr, dst: Ipv4Addr, now: i64, egress: Egress): void {
    const b = new Uint8Array(r.bufferLen());
    r.emit(new DhcpPacket(b));
    egress.sendUdp(IPV4_UNSPECIFIED, DHCP_CLIENT_PORT, dst, DHCP_SERVER_PORT, b, now);
    this.sent++;
  }

  /** The current retransmission delay with jitter; doubles the next one up to the maximum. */
  private backoff(): i64 {
    const c = this.config;
    const d = this.delay > 0 ? this.delay : c.retransmitFirst;
    this.delay = min(d * 2, c.retransmitMax);
    let j: i64 = 0;
    if (c.jitter > 0) j = <i64>(this.random() % <u32>min<i64>(2 * c.jitter / 1_000_000 + 1, 0xFFFF_FFFF)) * 1_000_000 - c.jitter;
    return max<i64>(d + j, 0);
  }

  /** xorshift32. */
  private random(): u32 {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return x;
  }
}

/** The prefix of the address class, for a server that sends no subnet mask (RFC 1122 §3.3.1.1 fallback). */
function classfulPrefix(a: Ipv4Addr): i32 {
  if ((a >>> 31) == 0) return 8;
  if ((a >>> 30) == 2) return 16;
  return 24;
}
