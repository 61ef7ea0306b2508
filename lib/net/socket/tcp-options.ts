// How a connection is configured, and what the two ends negotiate in their
// SYNs: MSS (RFC 9293 §3.7.1, RFC 6691), window scaling and timestamps
// (RFC 7323), plus initial sequence numbers (RFC 6528) and the timestamp
// clock.

import { Ipv4Addr } from "../addr";
import { ms, seconds } from "../../time";
import { IPV4_HEADER_LEN } from "../wire/ipv4";
import { TCP_HEADER_LEN, TCP_MAX_WINDOW_SHIFT } from "../wire/tcp";

/** The MSS to assume when the peer sends none (RFC 9293 §3.7.1). */
export const TCP_DEFAULT_MSS: i32 = 536;
/** Bytes the timestamps option takes in every segment, padding included. */
export const TCP_TIMESTAMPS_LEN: i32 = 12;

/** Settings of a connection or listener. Times are ns. */
export class TcpConfig {
  /** Bytes write() may hold before the peer acknowledges them. */
  sendBuffer: i32 = 64 * 1024;
  /** Bytes of receive window: received and unread, plus room for what may arrive. */
  recvBuffer: i32 = 64 * 1024;
  /** Turns Nagle's algorithm off (RFC 9293 §3.7.4): small writes go out at once. */
  noDelay: bool = false;
  /** Longest an ACK waits for company (RFC 9293 §3.8.6.3 allows up to 0.5 s); 0 acknowledges every segment. */
  ackDelay: i64 = ms(40);
  windowScaling: bool = true;
  timestamps: bool = true;
  /** The MSS we announce; 0 derives it from the interface MTU. */
  mss: i32 = 0;
  initialRto: i64 = seconds(1);
  /** RFC 6298 §2.4 asks for 1 s. */
  minRto: i64 = seconds(1);
  maxRto: i64 = seconds(60);
  /** Tail loss probes (RFC 8985 §7): after 2·SRTT without an ACK, one segment draws one, instead of waiting for the RTO. */
  lossProbes: bool = true;
  /** SYN (or SYN-ACK) retransmissions before giving up. */
  synRetries: i32 = 5;
  /** Data retransmissions of one segment before giving up (RFC 9293 §3.8.3's R2, ≥ 100 s with backoff). */
  maxRetransmits: i32 = 12;
  /** TIME-WAIT's 2×MSL (RFC 9293 §3.4.2), with an MSL of 30 s. */
  timeWait: i64 = seconds(60);
  /**
   * FIN-WAIT-2 with nothing heard from the peer for this long ends with
   * TimedOut, so a peer that vanished after acknowledging our FIN does not
   * hold the connection forever (as Linux's tcp_fin_timeout); 0 waits forever.
   */
  finWait2Timeout: i64 = seconds(60);
  /** Keep-alive (RFC 9293 §3.8.4): off unless asked for; the idle time, probe interval and count. */
  keepAlive: bool = false;
  keepIdle: i64 = seconds(7200);
  keepInterval: i64 = seconds(75);
  keepCount: i32 = 9;
  /** A listener's bound on connections not yet accepted, half-open ones included (they hold no buffers). */
  backlog: i32 = 128;
  /**
   * With the backlog full, answer SYNs with a cookie (RFC 4987 §3.6,
   * tcp-syncookie.ts) and keep nothing, so a SYN flood cannot shut real
   * clients out; false evicts the oldest half-open connection instead.
   */
  synCookies: bool = true;
  /** Challenge ACKs, and ACKs to empty out-of-window segments, per second at most (RFC 5961 §7). */
  challengeAckLimit: i32 = 10;
}

/** The MSS we announce on an interface of `mtu` (the largest IPv4 datagram). */
export function localMss(config: TcpConfig, mtu: i32): i32 {
  const fromMtu = mtu - IPV4_HEADER_LEN - TCP_HEADER_LEN;
  const m = config.mss > 0 ? min(config.mss, fromMtu) : fromMtu;
  return max(m, 64);
}

/**
 * Payload bytes per segment we send: the peer's MSS (or the default) and
 * our own MTU's, less the options every segment carries (RFC 6691 §2).
 */
export function effectiveMss(peerMss: i32, mtu: i32, timestamps: bool): i32 {
  const peer = peerMss > 0 ? peerMss : TCP_DEFAULT_MSS;
  let m = min(peer, mtu - IPV4_HEADER_LEN - TCP_HEADER_LEN);
  if (timestamps) m -= TCP_TIMESTAMPS_LEN;
  return max(m, 32);
}

/** The smallest shift that lets a window of `buffer` bytes fit the 16-bit field (RFC 7323 §2.2). */
export function windowShiftFor(buffer: i32): i32 {
  let s = 0;
  while (s < <i32>TCP_MAX_WINDOW_SHIFT && (buffer >> s) > 0xFFFF) s++;
  return s;
}

let secret: u32 = 0;
let secretSet = false;

function mix(h: u32, v: u32): u32 {
  h ^= v;
  h *= 0x01000193;
  h ^= h >>> 15;
  return h;
}

/** tupleHash's salt for a connection's timestamp offset (RFC 7323 §5.4: a clock per connection). */
export const TS_OFFSET_SALT: u32 = 0x75;

/** A 32-bit keyed hash of a 4-tuple; the key is drawn once from the seeded generator. */
export function tupleHash(local: Ipv4Addr, localPort: u16, remote: Ipv4Addr, remotePort: u16, salt: u32): u32 {
  if (!secretSet) {
    secret = <u32>(Math.random() * 4294967296.0);
    secretSet = true;
  }
  let h = mix(0x811C9DC5, secret);
  h = mix(h, local);
  h = mix(h, remote);
  h = mix(h, (<u32>localPort << 16) | <u32>remotePort);
  h = mix(h, salt);
  return h;
}

/**
 * An initial sequence number (RFC 6528 §3): a clock ticking every 4 µs plus
 * a keyed hash of the 4-tuple, so a new incarnation of a 4-tuple starts
 * above the old one's numbers and others cannot guess it.
 */
export function initialSequence(now: i64, local: Ipv4Addr, localPort: u16, remote: Ipv4Addr, remotePort: u16): u32 {
  return <u32>(now / 4000) + tupleHash(local, localPort, remote, remotePort, 0x15);
}

/** The timestamp clock (RFC 7323 §5.4): milliseconds. */
@inline export function tsClock(now: i64): u32 { return <u32>(now / 1_000_000); }
