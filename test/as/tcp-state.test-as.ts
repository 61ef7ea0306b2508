// lib/net/socket/tcp.ts state by state (RFC 9293 Figure 5), smoltcp style:
// a socket in state X receives segment Y; check its state and what it sent.
// Segments come from REMOTE:49500 to LOCAL:80 (tcp-harness.ts); the remote
// end's ISS is RISS. The plain config has no options, no delayed ACK, no
// Nagle, so each expectation is exact; sections that test those turn them on.
import { TcpFlags, TcpRepr } from "atoll/net/wire/tcp";
import { TcpSocket, TcpError, TcpConfig } from "atoll/net/socket/tcp";
import { TcpListener } from "atoll/net/socket/tcp-listener";
import { TcpState } from "atoll/net/socket/tcp-state";
import { Socket, SocketSet, EPHEMERAL_FIRST, EPHEMERAL_LAST } from "atoll/net/socket/socket";
import { ms, seconds, FOREVER } from "atoll/time";
import { ascii, assertBytes, Rng } from "./net-util";
import { seqLe, seqDiff } from "atoll/net/socket/tcp-seq";
import {
  H, Events, Accepts, plainConfig, seg, expectSeg, expectState, describe,
  LOCAL, REMOTE, LOCAL_PORT, REMOTE_PORT, RISS, Capture,
} from "./tcp-harness";

const SYN = TcpFlags.SYN;
const ACK = TcpFlags.ACK;
const FIN = TcpFlags.FIN;
const RST = TcpFlags.RST;
const PSH = TcpFlags.PSH;

class Fx {
  h: H = new H();
  ev: Events;
  c: TcpSocket;
  constructor(cfg: TcpConfig) {
    const ev = new Events();
    this.ev = ev;
    this.c = new TcpSocket(ev, cfg);
  }
  get iss(): u32 { return this.c.iss; }
}

// --- fixtures: one per state, each built from the one before --------------------

function synSent(cfg: TcpConfig = plainConfig()): Fx {
  const f = new Fx(cfg);
  f.h.set.add(f.c);
  assert(f.c.connect(REMOTE, REMOTE_PORT, f.h.now, LOCAL_PORT) == TcpError.None);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), SYN, f.iss, 0);
  expectState(f.c, TcpState.SynSent);
  return f;
}

function established(cfg: TcpConfig = plainConfig()): Fx {
  const f = synSent(cfg);
  const sa = seg(SYN | ACK, RISS, f.iss + 1);
  sa.mss = 1460;
  f.h.send(sa);
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.Established);
  return f;
}

function finWait1(cfg: TcpConfig = plainConfig()): Fx {
  const f = established(cfg);
  f.c.close(f.h.now);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), FIN | ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.FinWait1);
  return f;
}

function finWait2(): Fx {
  const f = finWait1();
  f.h.send(seg(ACK, RISS + 1, f.iss + 2));
  f.h.expectNothing();
  expectState(f.c, TcpState.FinWait2);
  return f;
}

function closeWait(): Fx {
  const f = established();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 2);
  expectState(f.c, TcpState.CloseWait);
  return f;
}

function lastAck(): Fx {
  const f = closeWait();
  f.c.close(f.h.now);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), FIN | ACK, f.iss + 1, RISS + 2);
  expectState(f.c, TcpState.LastAck);
  return f;
}

function closing(): Fx {
  const f = finWait1();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 2);
  expectState(f.c, TcpState.Closing);
  return f;
}

function timeWait(): Fx {
  const f = finWait2();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 2));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 2);
  expectState(f.c, TcpState.TimeWait);
  return f;
}

class Lx {
  h: H = new H();
  acc: Accepts;
  l: TcpListener;
  constructor(cfg: TcpConfig) {
    const acc = new Accepts();
    this.acc = acc;
    this.l = new TcpListener(acc, cfg);
  }
  child(): TcpSocket {
    const s = this.h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT);
    assert(s != null, "no connection for the 4-tuple");
    return <TcpSocket>s;
  }
}

function listening(cfg: TcpConfig = plainConfig()): Lx {
  const x = new Lx(cfg);
  x.h.set.add(x.l);
  assert(x.l.listen(LOCAL_PORT) == TcpError.None);
  return x;
}

function synReceived(cfg: TcpConfig = plainConfig()): Lx {
  const x = listening(cfg);
  const syn = seg(SYN, RISS, 0);
  syn.mss = 1460;
  x.h.send(syn);
  const c = x.child();
  expectSeg(x.h.recv(), SYN | ACK, c.iss, RISS + 1);
  expectState(c, TcpState.SynReceived);
  return x;
}

// === CLOSED =========================================================================

export function test_closed_port_answers_syn_with_rst_ack(): void {
  const h = new H();
  h.send(seg(SYN, RISS, 0));
  expectSeg(h.recv(), RST | ACK, 0, RISS + 1);
}

export function test_closed_port_answers_ack_with_rst_at_its_ack(): void {
  const h = new H();
  h.send(seg(ACK, RISS, 4242, 100, ascii("xyz")));
  expectSeg(h.recv(), RST, 4242, 0);
}

export function test_closed_port_never_answers_rst(): void {
  const h = new H();
  h.send(seg(RST | ACK, RISS, 1));
  h.expectNothing();
}

export function test_closed_socket_errors(): void {
  const c = new TcpSocket();
  assert(c.connect(REMOTE, 80, 0) == TcpError.NotInSet);
  const h = new H();
  h.set.add(c);
  assert(c.connect(0, 80, 0) == TcpError.Unaddressable);
  assert(c.connect(REMOTE, 0, 0) == TcpError.Unaddressable);
  assert(c.write(ascii("x")) == -<i32>TcpError.NotConnected);
  assert(c.connect(REMOTE, 80, 0) == TcpError.None);
  assert(c.connect(REMOTE, 80, 0) == TcpError.InUse);
}

// === LISTEN =========================================================================

export function test_listen_syn_makes_syn_received_child_and_syn_ack(): void {
  const x = listening();
  x.h.send(seg(SYN, RISS, 0));
  const c = x.child();
  const r = x.h.recv();
  expectSeg(r, SYN | ACK, c.iss, RISS + 1);
  assert(r.mss == 1460, "MSS from the MTU: " + r.mss.toString());
  assert(r.windowShift < 0 && !r.hasTimestamps, "no options we did not enable");
  assert(x.l.pending == 1);
}

export function test_listen_ack_gets_rst(): void {
  const x = listening();
  x.h.send(seg(ACK, RISS, 777));
  expectSeg(x.h.recv(), RST, 777, 0);
}

export function test_listen_ignores_rst_and_segments_without_syn(): void {
  const x = listening();
  x.h.send(seg(RST, RISS, 0));
  x.h.send(seg(0, RISS, 0, 100, ascii("data")));
  x.h.expectNothing();
  assert(x.l.pending == 0);
}

export function test_listen_second_listener_on_port_refused(): void {
  const x = listening();
  const l2 = new TcpListener();
  x.h.set.add(l2);
  assert(l2.listen(LOCAL_PORT) == TcpError.AddressInUse);
  assert(x.l.listen(81) == TcpError.InUse);
}

export function test_listen_echoes_options_the_peer_offers(): void {
  const cfg = plainConfig();
  cfg.windowScaling = true;
  cfg.timestamps = true;
  cfg.recvBuffer = 256 * 1024;
  const x = listening(cfg);
  const syn = seg(SYN, RISS, 0, 65535);
  syn.mss = 1000;
  syn.windowShift = 7;
  syn.hasTimestamps = true;
  syn.tsVal = 12345;
  x.h.send(syn);
  const r = x.h.recv();
  assert(r.windowShift == 3, "256 KiB needs a shift of 3, got " + r.windowShift.toString());
  assert(r.hasTimestamps && r.tsEcr == 12345);
  const c = x.child();
  assert(c.sndShift == 7 && c.rcvShift == 3 && c.tsOk);
  // Options the peer does not offer are not used.
  const y = listening(cfg);
  y.h.send(seg(SYN, RISS, 0));
  const r2 = y.h.recv();
  assert(r2.windowShift < 0 && !r2.hasTimestamps);
}

/** A listener with a backlog of 8 after a flood of 10,000 SYNs from ports 1024 on (their SYN-ACKs unanswered). */
function flooded(cfg: TcpConfig): Lx {
  cfg.backlog = 8;
  const x = listening(cfg);
  for (let i = 0; i < 10000; i++) {
    const s = seg(SYN, RISS + <u32>i * 1000, 0);
    s.srcPort = <u16>(1024 + i);
    x.h.send(s);
  }
  assert(x.l.pending == 8, "pending " + x.l.pending.toString());
  // The listener and 8 half-open connections (parked while they wait for their ACKs).
  const held = x.h.set.walkCount + x.h.set.parkedCount;
  assert(held == 9, "sockets " + held.toString());
  return x;
}

export function test_listen_backlog_full_answers_syns_with_cookies(): void {
  const x = flooded(plainConfig());
  assert(x.l.cookiesSent == 10000 - 8 && x.l.synDropped == 0 && x.l.evicted == 0, "cookies " + x.l.cookiesSent.toString());
  assert(x.h.pending == 10000, "a SYN-ACK for every SYN: " + x.h.pending.toString());
  // A real client, while the backlog is still full: a SYN-ACK whose sequence number is a cookie, and nothing kept.
  x.h.clear();
  const syn = seg(SYN, RISS, 0);
  syn.mss = 1400;
  x.h.send(syn);
  const sa = x.h.recv();
  expectSeg(sa, SYN | ACK, sa.seq, RISS + 1);
  assert(x.h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT) == null, "no state for a cookie");
  // The cookie for this 4-tuple does not open another's.
  const other = seg(ACK, RISS + 1, sa.seq + 1);
  other.srcPort = REMOTE_PORT + 1;
  x.h.send(other);
  expectSeg(x.h.recv(), RST, sa.seq + 1, 0);
  assert(x.l.cookiesRejected == 1);
  // Its ACK, with data, opens the connection as if it had waited in the backlog.
  x.h.send(seg(ACK | PSH, RISS + 1, sa.seq + 1, 8192, ascii("hello")));
  const c = x.child();
  expectState(c, TcpState.Established);
  assert(c.iss == sa.seq && x.l.cookiesAccepted == 1 && x.acc.accepted.length == 1);
  assert(c.mss == 1300, "the MSS from the cookie's table, rounded down from 1400: " + c.mss.toString());
  assert(c.readable == 5, "the data on the ACK is taken");
  expectSeg(x.h.recv(), ACK, sa.seq + 1, RISS + 6);
  // The half-open ones give up after their SYN-ACK retries.
  x.h.advance(seconds(600));
  assert(x.l.pending == 0, "pending after timeouts " + x.l.pending.toString());
}

export function test_listen_backlog_full_without_cookies_evicts_the_oldest(): void {
  const cfg = plainConfig();
  cfg.synCookies = false;
  const x = flooded(cfg);
  // Each SYN past the backlog took the oldest half-open connection's place.
  assert(x.l.evicted == 10000 - 8 && x.l.synDropped == 0 && x.l.cookiesSent == 0, "evicted " + x.l.evicted.toString());
  x.h.clear();
  x.h.send(seg(SYN, RISS, 0));
  const c = x.child();
  expectSeg(x.h.recv(), SYN | ACK, c.iss, RISS + 1);
  x.h.send(seg(ACK, RISS + 1, c.iss + 1));
  expectState(c, TcpState.Established);
  assert(x.acc.accepted.length == 1 && x.l.pending == 7);
}

// === SYN-SENT =======================================================================

export function test_syn_sent_syn_carries_options(): void {
  const cfg = plainConfig();
  cfg.windowScaling = true;
  cfg.timestamps = true;
  const f = new Fx(cfg);
  f.h.set.add(f.c);
  f.c.connect(REMOTE, REMOTE_PORT, f.h.now, LOCAL_PORT);
  f.h.set.dispatch(f.h.now);
  const r = f.h.recv();
  assert(r.syn && !r.hasAck && r.mss == 1460 && r.windowShift == 0 && r.hasTimestamps && r.tsEcr == 0, describe(r));
}

export function test_syn_sent_syn_ack_establishes(): void {
  const f = synSent();
  f.h.send(seg(SYN | ACK, RISS, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.Established);
  assert(f.ev.connected == 1);
}

export function test_syn_sent_syn_ack_with_bad_ack_gets_rst(): void {
  const f = synSent();
  f.h.send(seg(SYN | ACK, RISS, f.iss + 5));
  expectSeg(f.h.recv(), RST, f.iss + 5, 0);
  expectState(f.c, TcpState.SynSent);
  f.h.send(seg(SYN | ACK, RISS, f.iss));
  expectSeg(f.h.recv(), RST, f.iss, 0);
}

export function test_syn_sent_rst_with_acceptable_ack_refuses(): void {
  const f = synSent();
  f.h.send(seg(RST | ACK, 0, f.iss + 1));
  expectState(f.c, TcpState.Closed);
  assert(f.ev.closed == 1 && f.ev.error == TcpError.Refused);
  assert(f.h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT) == null, "4-tuple freed");
}

export function test_syn_sent_rst_without_ack_ignored(): void {
  const f = synSent();
  f.h.send(seg(RST, 0, 0));
  expectState(f.c, TcpState.SynSent);
  f.h.expectNothing();
}

export function test_syn_sent_syn_is_simultaneous_open(): void {
  const f = synSent();
  f.h.send(seg(SYN, RISS, 0));
  expectState(f.c, TcpState.SynReceived);
  expectSeg(f.h.recv(), SYN | ACK, f.iss, RISS + 1);
  f.h.send(seg(SYN | ACK, RISS, f.iss + 1));
  // Their SYN-ACK: the SYN part is old (RFC 9293 Figure 8 line 6), the ACK completes.
  expectState(f.c, TcpState.Established);
}

export function test_syn_sent_simultaneous_open_with_plain_ack(): void {
  const f = synSent();
  f.h.send(seg(SYN, RISS, 0));
  f.h.recv();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  expectState(f.c, TcpState.Established);
  assert(f.ev.connected == 1);
}

export function test_syn_sent_retries_with_backoff_then_times_out(): void {
  const f = synSent();
  const t0 = f.h.now;
  const times: i64[] = [];
  for (let i = 0; i < 8 && f.c.state != TcpState.Closed; i++) {
    f.h.advance(f.c.pollAt() - f.h.now);
    if (f.h.pending > 0) {
      expectSeg(f.h.recv(), SYN, f.iss, 0);
      times.push(f.h.now - t0);
    }
  }
  // 1 s initial RTO, doubling: 1, 3, 7, 15, 31 s after the first SYN (5 retries).
  assert(times.length == 5, "retries " + times.length.toString());
  assert(times[0] == seconds(1) && times[1] == seconds(3) && times[4] == seconds(31), "times " + times.toString());
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.TimedOut);
}

export function test_syn_sent_close_just_closes(): void {
  const f = synSent();
  f.c.close(f.h.now);
  expectState(f.c, TcpState.Closed);
  f.h.expectNothing();
}

// === SYN-RECEIVED ===================================================================

export function test_syn_received_ack_establishes_and_accepts(): void {
  const x = synReceived();
  const c = x.child();
  x.h.send(seg(ACK, RISS + 1, c.iss + 1));
  expectState(c, TcpState.Established);
  assert(x.acc.accepted.length == 1 && x.acc.accepted[0] === c);
  assert(x.l.pending == 0);
  x.h.expectNothing();
}

export function test_syn_received_bad_ack_gets_rst(): void {
  const x = synReceived();
  const c = x.child();
  x.h.send(seg(ACK, RISS + 1, c.iss + 100));
  expectSeg(x.h.recv(), RST, c.iss + 100, 0);
  expectState(c, TcpState.SynReceived);
}

export function test_syn_received_repeated_syn_resends_syn_ack(): void {
  const x = synReceived();
  const c = x.child();
  x.h.send(seg(SYN, RISS, 0));
  expectSeg(x.h.recv(), SYN | ACK, c.iss, RISS + 1);
  expectState(c, TcpState.SynReceived);
}

export function test_syn_received_rst_drops_the_child(): void {
  const x = synReceived();
  const c = x.child();
  x.h.send(seg(RST, RISS + 1, 0));
  expectState(c, TcpState.Closed);
  assert(x.l.pending == 0);
  assert(x.h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT) == null);
  x.h.expectNothing();
}

export function test_syn_received_retransmits_syn_ack(): void {
  const x = synReceived();
  const c = x.child();
  x.h.advance(seconds(1));
  expectSeg(x.h.recv(), SYN | ACK, c.iss, RISS + 1);
}

export function test_syn_received_data_with_the_ack_is_delivered(): void {
  const x = synReceived();
  const c = x.child();
  x.h.send(seg(ACK | PSH, RISS + 1, c.iss + 1, 8192, ascii("GET /")));
  expectState(c, TcpState.Established);
  assert(c.readable == 5);
  expectSeg(x.h.recv(), ACK, c.iss + 1, RISS + 6);
}

export function test_syn_received_without_handler_waits_for_accept(): void {
  const h = new H();
  const l = new TcpListener(null, plainConfig());
  h.set.add(l);
  l.listen(LOCAL_PORT);
  h.send(seg(SYN, RISS, 0));
  const c = <TcpSocket>h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT);
  assert(l.accept() == null);
  h.send(seg(ACK, RISS + 1, c.iss + 1));
  assert(l.pending == 1);
  assert(l.accept() === c);
  assert(l.pending == 0 && l.accept() == null);
}

// === ESTABLISHED ====================================================================

export function test_established_in_order_data_is_acked_and_readable(): void {
  const f = established();
  f.h.send(seg(ACK | PSH, RISS + 1, f.iss + 1, 8192, ascii("hello")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 6);
  assert(f.ev.readable == 1);
  assertBytes(f.c.readAll(), ascii("hello"), "read");
}

export function test_established_write_sends_data(): void {
  const f = established();
  assert(f.c.write(ascii("abc")) == 3);
  f.h.set.dispatch(f.h.now);
  const r = f.h.recv();
  expectSeg(r, ACK | PSH, f.iss + 1, RISS + 1, 3);
  assertBytes(r.payload, ascii("abc"), "payload");
  f.h.send(seg(ACK, RISS + 1, f.iss + 4));
  assert(f.c.unacknowledged == 0);
  assert(f.c.pollAt() == FOREVER, "nothing left to do");
}

export function test_established_out_of_order_is_held_and_dup_acked(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 4, f.iss + 1, 8192, ascii("def")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  assert(f.c.readable == 0);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("abc")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 7);
  assertBytes(f.c.readAll(), ascii("abcdef"), "reassembled");
}

export function test_established_overlapping_retransmission_is_trimmed(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("abcd")));
  f.h.recv();
  f.h.send(seg(ACK, RISS + 3, f.iss + 1, 8192, ascii("cdef")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 7);
  assertBytes(f.c.readAll(), ascii("abcdef"), "trimmed");
}

export function test_established_old_duplicate_is_acked_and_dropped(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("abc")));
  f.h.recv();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("abc")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 4);
  assert(f.c.readable == 3);
}

export function test_established_segment_beyond_window_is_acked_and_dropped(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1 + 9000, f.iss + 1, 8192, ascii("far")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  assert(f.c.stats.dropped == 1);
}

export function test_established_rst_exact_resets(): void {
  const f = established();
  f.h.send(seg(RST, RISS + 1, 0));
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.Reset && f.ev.closed == 1);
  f.h.expectNothing();
}

export function test_established_rst_in_window_gets_challenge_ack(): void {
  const f = established();
  f.h.send(seg(RST, RISS + 100, 0));
  expectState(f.c, TcpState.Established);
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  assert(f.c.stats.challengeAcks == 1);
}

export function test_established_rst_outside_window_ignored(): void {
  const f = established();
  f.h.send(seg(RST, RISS + 100000, 0));
  expectState(f.c, TcpState.Established);
  f.h.expectNothing();
}

export function test_established_syn_gets_challenge_ack(): void {
  const f = established();
  f.h.send(seg(SYN, RISS + 1, 0));
  expectState(f.c, TcpState.Established);
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
}

export function test_established_challenge_acks_are_rate_limited(): void {
  const f = established();
  for (let i = 0; i < 50; i++) f.h.send(seg(RST, RISS + 100, 0));
  assert(f.c.stats.challengeAcks == 10, "challenge ACKs " + f.c.stats.challengeAcks.toString());
}

export function test_established_ack_beyond_snd_max_acked_and_dropped(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1, f.iss + 500, 8192, ascii("x")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  assert(f.c.readable == 0, "the data of a segment with a bad ACK is dropped");
}

export function test_established_fin_goes_to_close_wait(): void {
  const f = established();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 1, 8192, ascii("bye")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 5);
  expectState(f.c, TcpState.CloseWait);
  assert(f.ev.peerClosed == 1 && f.c.peerClosed);
  assertBytes(f.c.readAll(), ascii("bye"), "data before the FIN");
}

export function test_established_fin_out_of_order_waits_for_the_gap(): void {
  const f = established();
  f.h.send(seg(FIN | ACK, RISS + 4, f.iss + 1, 8192, ascii("def")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.Established);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("abc")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 8);
  expectState(f.c, TcpState.CloseWait);
}

export function test_established_close_sends_fin(): void {
  const f = established();
  f.c.write(ascii("last"));
  f.c.close(f.h.now);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), FIN | ACK | PSH, f.iss + 1, RISS + 1, 4);
  expectState(f.c, TcpState.FinWait1);
  assert(f.c.write(ascii("more")) == -<i32>TcpError.NotConnected);
}

export function test_established_abort_sends_rst(): void {
  const f = established();
  f.c.abort(f.h.now);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), RST | ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.Aborted);
  assert(f.h.set.walkCount == 0);
}

export function test_established_retransmits_with_backoff_then_times_out(): void {
  const cfg = plainConfig();
  cfg.maxRetransmits = 4;
  cfg.lossProbes = false; // the RTO alone, no tail loss probe first
  const f = established(cfg);
  f.c.write(ascii("data"));
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 1, 4);
  const t0 = f.h.now;
  const times: i64[] = [];
  while (f.c.state != TcpState.Closed && times.length < 10) {
    f.h.advance(f.c.pollAt() - f.h.now);
    while (f.h.pending > 0) {
      expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 1, 4);
      times.push(f.h.now - t0);
    }
  }
  // RTO 1 s after the handshake's sample, doubling.
  assert(times.length == 4, "retransmissions " + times.length.toString());
  assert(times[1] - times[0] == 2 * times[0] && times[2] - times[1] == 2 * (times[1] - times[0]), "backoff " + times.toString());
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.TimedOut);
}

export function test_established_ack_after_timeout_resets_backoff(): void {
  const cfg = plainConfig();
  cfg.lossProbes = false;
  const f = established(cfg);
  f.c.write(ascii("data"));
  f.h.set.dispatch(f.h.now);
  f.h.recv();
  f.h.advance(seconds(1));
  f.h.recv();
  assert(f.c.rtt.backoffs == 1);
  f.h.send(seg(ACK, RISS + 1, f.iss + 5));
  assert(f.c.cc.cwnd == <u32>f.c.mss + <u32>4, "loss window then slow start: " + f.c.cc.cwnd.toString());
  assert(f.c.pollAt() == FOREVER);
}

// Found against Linux (test/net-tap/tcp-linux-transfer.test.ts, 1% loss): Linux
// acknowledged a whole burst with one ACK; when that ACK was lost, the sender
// sat out a 1 s RTO with the window full. A tail loss probe (RFC 8985 §7)
// after 2·SRTT draws the ACK instead.
export function test_established_lost_ack_of_a_flight_draws_a_probe_of_new_data(): void {
  const f = established();
  assert(f.c.rtt.srtt >= 0, "the handshake gave an RTT sample");
  f.c.write(new Uint8Array(5 * 1460));
  f.h.set.dispatch(f.h.now);
  for (let i = 0; i < 3; i++) expectSeg(f.h.recv(), ACK, f.iss + 1 + <u32>(i * 1460), RISS + 1, 1460);
  f.h.expectNothing();
  const t0 = f.h.now;
  f.h.advance(ms(9));
  f.h.expectNothing();
  f.h.advance(ms(2));
  // One segment of new data, beyond the congestion window: a probe.
  expectSeg(f.h.recv(), ACK, f.iss + 1 + 3 * 1460, RISS + 1, 1460);
  f.h.expectNothing();
  assert(f.c.stats.lossProbes == 1);
  // One probe per episode: then the RTO, a whole RTO after the probe.
  f.h.advance(ms(900));
  f.h.expectNothing();
  f.h.advance(ms(120));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1, 1460);
  assert(f.h.now - t0 >= seconds(1), "the RTO came after the probe");
  // Everything arrives: the window was not cut for a probe of new data.
  const f2 = established();
  f2.c.write(new Uint8Array(5 * 1460));
  f2.h.set.dispatch(f2.h.now);
  f2.h.clear();
  f2.h.advance(ms(11));
  f2.h.clear();
  const cwnd = f2.c.cc.cwnd;
  f2.h.send(seg(ACK, RISS + 1, f2.iss + 1 + 4 * 1460));
  assert(f2.c.cc.cwnd >= cwnd, "cwnd " + f2.c.cc.cwnd.toString() + " after a new-data probe, was " + cwnd.toString());
  expectSeg(f2.h.recv(), ACK | PSH, f2.iss + 1 + 4 * 1460, RISS + 1, 1460);
}

export function test_established_probe_resends_the_last_segment_and_its_ack_halves_cwnd(): void {
  const f = established();
  f.c.write(new Uint8Array(3 * 1460));
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  f.h.advance(ms(11));
  // Nothing new to send: the last segment again.
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1 + 2 * 1460, RISS + 1, 1460);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 3 * 1460));
  // Without DSACK a repaired loss and a lost ACK look alike: treated as a loss (RFC 8985 §7.4.2).
  assert(f.c.cc.cwnd == 2 * 1460, "cwnd " + f.c.cc.cwnd.toString());
  assert(f.c.pollAt() == FOREVER);
}

export function test_established_probe_of_a_lone_segment_waits_for_the_delayed_ack(): void {
  const f = established();
  f.c.write(ascii("lone"));
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  f.h.advance(ms(205));
  f.h.expectNothing();
  f.h.advance(ms(10));
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 1, 4);
}

export function test_established_three_dup_acks_fast_retransmit(): void {
  const cfg = plainConfig();
  const f = established(cfg);
  const data = new Uint8Array(4 * 1460);
  assert(f.c.cc.cwnd == 3 * 1460, "initial window, RFC 5681 §3.1: " + f.c.cc.cwnd.toString());
  f.c.cc.cwnd = 10 * 1460; // as if slow start had run a while
  assert(f.c.write(data) == data.length);
  f.h.set.dispatch(f.h.now);
  assert(f.h.pending == 4, "4 segments: " + f.h.pending.toString());
  f.h.clear();
  // The first is lost; the three others draw duplicate ACKs.
  for (let i = 0; i < 2; i++) f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  f.h.expectNothing();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1, 1460);
  assert(f.c.cc.inRecovery && f.c.stats.fastRetransmits == 1);
  // The full ACK ends recovery.
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 4 * 1460));
  assert(!f.c.cc.inRecovery);
}

export function test_established_partial_ack_retransmits_next_hole(): void {
  const f = established();
  const data = new Uint8Array(4 * 1460);
  f.c.cc.cwnd = 10 * 1460;
  f.c.write(data);
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  for (let i = 0; i < 3; i++) f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  f.h.recv();
  f.h.clear();
  // Segments 1 and 3 were lost: the ACK for segment 2 is partial.
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 2 * 1460));
  expectSeg(f.h.recv(), ACK, f.iss + 1 + 2 * 1460, RISS + 1, 1460);
  assert(f.c.cc.inRecovery);
}

// Found against Linux (test/net-tap/tcp-linux-transfer.test.ts, 1% loss): a
// fast retransmission that is itself lost left NewReno sending new data on
// 179 duplicate ACKs and then waiting out the RTO.
export function test_established_lost_fast_retransmission_is_resent_after_the_flight_drains(): void {
  const cfg = plainConfig();
  cfg.sendBuffer = 64 * 1024;
  const f = established(cfg);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 65535));
  f.c.cc.cwnd = 10 * 1460;
  f.c.write(new Uint8Array(30 * 1460));
  f.h.set.dispatch(f.h.now);
  assert(f.h.pending == 10, "a window of 10 segments: " + f.h.pending.toString());
  f.h.clear();
  // Segment 1 is lost; 2..10 arrive and draw duplicate ACKs.
  let resentAt = -1;
  let firstRetransmitAt = -1;
  for (let dup = 1; dup <= 30 && resentAt < 0; dup++) {
    f.h.send(seg(ACK, RISS + 1, f.iss + 1, 65535));
    while (f.h.pending > 0) {
      const r = f.h.recv();
      if (r.seq != f.iss + 1) continue;
      if (firstRetransmitAt < 0) firstRetransmitAt = dup;
      else resentAt = dup;
    }
  }
  assert(firstRetransmitAt == 3, "fast retransmit on the third duplicate, got " + firstRetransmitAt.toString());
  // 12 segments were in flight at the retransmission (10, and 2 sent by
  // limited transmit); 3 had arrived (their duplicates) and 1 was the hole:
  // up to 8 (+3 for reordering) duplicates can be theirs; the next one
  // proves the retransmission lost.
  assert(resentAt == 3 + 8 + 3 + 1, "resent on the 12th duplicate that followed it, got " + resentAt.toString());
  assert(f.c.stats.lostRetransmits == 1);
  assert(f.c.cc.inRecovery, "still the same recovery");
  assert(f.c.stats.timeouts == 0);
}

export function test_established_nagle_holds_small_segments(): void {
  const cfg = plainConfig();
  cfg.noDelay = false;
  const f = established(cfg);
  f.c.write(ascii("a"));
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 1, 1);
  f.c.write(ascii("b"));
  f.c.write(ascii("c"));
  f.h.set.dispatch(f.h.now);
  f.h.expectNothing();
  f.h.send(seg(ACK, RISS + 1, f.iss + 2));
  const r = f.h.recv();
  expectSeg(r, ACK | PSH, f.iss + 2, RISS + 1, 2);
  assertBytes(r.payload, ascii("bc"), "coalesced");
}

export function test_established_delayed_ack(): void {
  const cfg = plainConfig();
  cfg.ackDelay = ms(40);
  const f = established(cfg);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("one")));
  f.h.expectNothing();
  assert(f.c.pollAt() == f.h.now + ms(40));
  f.h.advance(ms(40));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 4);
  // Two segments: the second is acknowledged at once (RFC 5681 §4.2).
  f.h.send(seg(ACK, RISS + 4, f.iss + 1, 8192, ascii("two")));
  f.h.expectNothing();
  f.h.send(seg(ACK, RISS + 7, f.iss + 1, 8192, ascii("three")));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 12);
  // Data to send carries the ACK with it.
  f.h.send(seg(ACK, RISS + 12, f.iss + 1, 8192, ascii("req")));
  f.c.write(ascii("resp"));
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 15, 4);
  f.h.advance(ms(100));
  f.h.expectNothing();
}

export function test_established_write_back_pressure_and_writable_event(): void {
  const f = established();
  const big = new Uint8Array(20000);
  assert(f.c.write(big) == 8192, "the send buffer's size");
  assert(f.c.write(big) == 0);
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 1460));
  assert(f.ev.writable == 1);
  assert(f.c.writable == 1460);
}

// Found against Linux (test/net-tap/tcp-linux-transfer.test.ts): a writer that
// sizes each write by `writable` never has one cut short, and used to wait
// for an onWritable that never came once the buffer was full.
export function test_established_write_that_fills_the_buffer_exactly_gets_writable(): void {
  const f = established();
  const room = f.c.writable;
  assert(f.c.write(new Uint8Array(room)) == room, "the whole write fits");
  assert(f.c.writable == 0);
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 1460));
  assert(f.ev.writable == 1, "onWritable after the ACK freed room, got " + f.ev.writable.toString());
  // A write that leaves room does not ask for the event.
  f.ev.writable = 0;
  f.c.write(new Uint8Array(100));
  f.h.set.dispatch(f.h.now);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1 + 2920));
  assert(f.ev.writable == 0, "no onWritable for a write that was not held back");
}

export function test_established_zero_window_probes_with_backoff(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 0));
  f.c.write(ascii("waiting"));
  f.h.set.dispatch(f.h.now);
  f.h.expectNothing();
  const t0 = f.h.now;
  const times: i64[] = [];
  for (let i = 0; i < 4; i++) {
    f.h.advance(f.c.pollAt() - f.h.now);
    const r = f.h.recv();
    expectSeg(r, ACK, f.iss + 1, RISS + 1, 1);
    times.push(f.h.now - t0);
    // The receiver still has no room: it answers with its ACK and a zero window.
    f.h.send(seg(ACK, RISS + 1, f.iss + 1, 0));
  }
  assert(times[1] - times[0] >= times[0] && times[2] - times[1] >= 2 * times[0], "backoff " + times.toString());
  expectState(f.c, TcpState.Established);
  assert(f.c.stats.zeroWindowProbes == 4);
  // The window opens: everything goes.
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192));
  const r = f.h.recv();
  expectSeg(r, ACK | PSH, f.iss + 1, RISS + 1, 7);
}

export function test_established_zero_window_probe_taken_by_peer(): void {
  const f = established();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 0));
  f.c.write(ascii("xy"));
  f.h.set.dispatch(f.h.now);
  f.h.advance(f.c.pollAt() - f.h.now);
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1, 1);
  // The peer had room after all: it takes the byte.
  f.h.send(seg(ACK, RISS + 1, f.iss + 2, 100));
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 2, RISS + 1, 1);
}

export function test_established_we_advertise_zero_window_and_reopen(): void {
  const cfg = plainConfig();
  cfg.recvBuffer = 4096;
  const f = established(cfg);
  const data = new Uint8Array(1024);
  for (let i: u32 = 0; i < 4; i++) {
    f.h.send(seg(ACK, RISS + 1 + i * 1024, f.iss + 1, 8192, data));
  }
  let last: TcpRepr | null = null;
  while (f.h.pending > 0) last = f.h.recv();
  assert(last!.window == 0 && last!.ack == RISS + 1 + 4096, "zero window: " + describe(last!));
  // Data beyond a zero window is refused with an ACK.
  f.h.send(seg(ACK, RISS + 1 + 4096, f.iss + 1, 8192, data));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1 + 4096);
  // Reading a little does not reopen it (silly window avoidance); reading half does.
  const buf = new Uint8Array(4096);
  f.c.read(buf, 0, 100);
  f.h.set.dispatch(f.h.now);
  f.h.expectNothing();
  f.c.read(buf, 0, 2000);
  f.h.set.dispatch(f.h.now);
  const u = f.h.recv();
  assert(u.window >= 2048, "window update " + describe(u));
}

export function test_established_keepalive_probes_then_times_out(): void {
  const cfg = plainConfig();
  cfg.keepAlive = true;
  cfg.keepIdle = seconds(10);
  cfg.keepInterval = seconds(1);
  cfg.keepCount = 3;
  const f = established(cfg);
  f.h.advance(seconds(10));
  expectSeg(f.h.recv(), ACK, f.iss, RISS + 1);
  // An answer restarts the idle time.
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  f.h.advance(seconds(9));
  f.h.expectNothing();
  f.h.advance(seconds(1));
  expectSeg(f.h.recv(), ACK, f.iss, RISS + 1);
  f.h.advance(seconds(10));
  assert(f.c.stats.keepAlives == 4, "probes " + f.c.stats.keepAlives.toString());
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.TimedOut);
}

export function test_established_timestamps_and_paws(): void {
  const cfg = plainConfig();
  cfg.timestamps = true;
  const f = new Fx(cfg);
  f.h.set.add(f.c);
  f.c.connect(REMOTE, REMOTE_PORT, f.h.now, LOCAL_PORT);
  f.h.set.dispatch(f.h.now);
  const syn = f.h.recv();
  const sa = seg(SYN | ACK, RISS, f.iss + 1);
  sa.hasTimestamps = true;
  sa.tsVal = 5000;
  sa.tsEcr = syn.tsVal;
  sa.mss = 1460;
  f.h.send(sa);
  const a = f.h.recv();
  assert(a.hasTimestamps && a.tsEcr == 5000, describe(a));
  assert(f.c.mss == 1460 - 12, "timestamps take 12 bytes of each segment: " + f.c.mss.toString());
  // An old timestamp: PAWS drops it and ACKs.
  const old = seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("old"));
  old.hasTimestamps = true;
  old.tsVal = 4000;
  f.h.send(old);
  f.h.recv();
  assert(f.c.readable == 0);
  const ok = seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("new"));
  ok.hasTimestamps = true;
  ok.tsVal = 5001;
  f.h.send(ok);
  const r = f.h.recv();
  assert(r.tsEcr == 5001 && f.c.readable == 3);
}

export function test_established_window_scaling_applies_after_syn(): void {
  const cfg = plainConfig();
  cfg.windowScaling = true;
  cfg.recvBuffer = 1 << 20;
  const f = new Fx(cfg);
  f.h.set.add(f.c);
  f.c.connect(REMOTE, REMOTE_PORT, f.h.now, LOCAL_PORT);
  f.h.set.dispatch(f.h.now);
  const syn = f.h.recv();
  assert(syn.windowShift == 5 && syn.window == 65535, describe(syn));
  const sa = seg(SYN | ACK, RISS, f.iss + 1, 1000);
  sa.windowShift = 3;
  f.h.send(sa);
  const a = f.h.recv();
  assert(<i32>a.window == 32768, "scaled window " + a.window.toString());
  assert(f.c.sndWnd == 1000, "the SYN's window is not scaled");
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 1000));
  assert(f.c.sndWnd == 8000);
}

// === FIN-WAIT-1 =====================================================================

export function test_fin_wait_1_ack_of_fin_goes_to_fin_wait_2(): void {
  const f = finWait1();
  f.h.send(seg(ACK, RISS + 1, f.iss + 2));
  expectState(f.c, TcpState.FinWait2);
}

export function test_fin_wait_1_fin_goes_to_closing(): void {
  closing();
}

export function test_fin_wait_1_fin_ack_goes_to_time_wait(): void {
  const f = finWait1();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 2));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 2);
  expectState(f.c, TcpState.TimeWait);
  assert(f.ev.closed == 1 && f.ev.error == TcpError.None);
}

export function test_fin_wait_1_still_receives_data(): void {
  const f = finWait1();
  f.h.send(seg(ACK, RISS + 1, f.iss + 1, 8192, ascii("late")));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 5);
  assert(f.c.readable == 4);
}

export function test_fin_wait_1_retransmits_fin(): void {
  const f = finWait1();
  f.h.advance(seconds(1));
  expectSeg(f.h.recv(), FIN | ACK, f.iss + 1, RISS + 1);
}

// === FIN-WAIT-2 =====================================================================

export function test_fin_wait_2_fin_goes_to_time_wait(): void {
  timeWait();
}

export function test_fin_wait_2_half_close_still_receives(): void {
  const f = finWait2();
  f.h.send(seg(ACK, RISS + 1, f.iss + 2, 8192, ascii("more")));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 5);
  assertBytes(f.c.readAll(), ascii("more"), "half-close data");
}

// === CLOSE-WAIT =====================================================================

export function test_close_wait_can_still_send(): void {
  const f = closeWait();
  assert(f.c.write(ascii("reply")) == 5);
  f.h.set.dispatch(f.h.now);
  expectSeg(f.h.recv(), ACK | PSH, f.iss + 1, RISS + 2, 5);
}

export function test_close_wait_close_goes_to_last_ack(): void {
  lastAck();
}

export function test_close_wait_repeated_fin_is_acked(): void {
  const f = closeWait();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 2);
  expectState(f.c, TcpState.CloseWait);
}

// === CLOSING ========================================================================

export function test_closing_ack_of_fin_goes_to_time_wait(): void {
  const f = closing();
  f.h.send(seg(ACK, RISS + 2, f.iss + 2));
  expectState(f.c, TcpState.TimeWait);
}

// === LAST-ACK =======================================================================

export function test_last_ack_ack_of_fin_closes(): void {
  const f = lastAck();
  f.h.send(seg(ACK, RISS + 2, f.iss + 2));
  expectState(f.c, TcpState.Closed);
  assert(f.ev.closed == 1 && f.ev.error == TcpError.None);
  assert(f.h.set.walkCount == 0);
}

export function test_last_ack_retransmits_fin(): void {
  const f = lastAck();
  f.h.advance(seconds(1));
  expectSeg(f.h.recv(), FIN | ACK, f.iss + 1, RISS + 2);
}

export function test_last_ack_rst_closes(): void {
  const f = lastAck();
  f.h.send(seg(RST, RISS + 2, 0));
  expectState(f.c, TcpState.Closed);
}

// === TIME-WAIT ======================================================================

export function test_time_wait_acks_retransmitted_fin(): void {
  const f = timeWait();
  f.h.send(seg(FIN | ACK, RISS + 1, f.iss + 2));
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 2);
  expectState(f.c, TcpState.TimeWait);
}

export function test_time_wait_expires_after_2msl(): void {
  const f = timeWait();
  f.h.advance(seconds(59));
  expectState(f.c, TcpState.TimeWait);
  f.h.advance(seconds(1));
  expectState(f.c, TcpState.Closed);
  assert(f.h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT) == null);
  assert(f.h.set.walkCount == 0);
  assert(f.ev.closed == 1, "onClosed once, at TIME-WAIT");
}

export function test_time_wait_new_syn_reopens_through_listener(): void {
  const x = listening();
  x.h.send(seg(SYN, RISS, 0));
  const c = x.child();
  x.h.send(seg(ACK, RISS + 1, c.iss + 1));
  // Server closes first, then the peer: the server holds TIME-WAIT.
  c.close(x.h.now);
  x.h.set.dispatch(x.h.now);
  x.h.send(seg(FIN | ACK, RISS + 1, c.iss + 2));
  expectState(c, TcpState.TimeWait);
  x.h.clear();
  // A new SYN above the old sequence space takes the 4-tuple over (RFC 6191).
  x.h.send(seg(SYN, RISS + 100000, 0));
  expectState(c, TcpState.Closed);
  const c2 = x.child();
  assert(c2 !== c);
  expectSeg(x.h.recv(), SYN | ACK, c2.iss, RISS + 100001);
}

// Found against Linux (test/net-tap/tcp-linux-connections.test.ts, one local
// port reused): Linux reconnected within the same millisecond, so its SYN's
// timestamp equalled TS.Recent; RFC 6191 §2 then takes the higher sequence
// number, where we answered with an ACK, drew Linux's RST and its SYN retry.
export function test_time_wait_syn_with_the_same_timestamp_and_higher_seq_reopens(): void {
  const cfg = plainConfig();
  cfg.timestamps = true;
  const x = listening(cfg);
  const syn = seg(SYN, RISS, 0);
  syn.hasTimestamps = true;
  syn.tsVal = 5000;
  x.h.send(syn);
  const c = x.child();
  const ack = seg(ACK, RISS + 1, c.iss + 1);
  ack.hasTimestamps = true;
  ack.tsVal = 5000;
  x.h.send(ack);
  c.close(x.h.now);
  x.h.set.dispatch(x.h.now);
  const fin = seg(FIN | ACK, RISS + 1, c.iss + 2);
  fin.hasTimestamps = true;
  fin.tsVal = 5000;
  x.h.send(fin);
  expectState(c, TcpState.TimeWait);
  x.h.clear();
  // Same timestamp, sequence number above the old incarnation's.
  const again = seg(SYN, RISS + 100, 0);
  again.hasTimestamps = true;
  again.tsVal = 5000;
  x.h.send(again);
  expectState(c, TcpState.Closed);
  const c2 = x.child();
  assert(c2 !== c);
  expectSeg(x.h.recv(), SYN | ACK, c2.iss, RISS + 101);
  // Same timestamp and an old sequence number: still the old incarnation's.
  const y = listening(cfg);
  const s1 = seg(SYN, RISS, 0);
  s1.hasTimestamps = true;
  s1.tsVal = 7000;
  y.h.send(s1);
  const d = y.child();
  const a1 = seg(ACK, RISS + 1, d.iss + 1);
  a1.hasTimestamps = true;
  a1.tsVal = 7000;
  y.h.send(a1);
  d.close(y.h.now);
  y.h.set.dispatch(y.h.now);
  const f1 = seg(FIN | ACK, RISS + 1, d.iss + 2);
  f1.hasTimestamps = true;
  f1.tsVal = 7000;
  y.h.send(f1);
  const old = seg(SYN, RISS - 5, 0);
  old.hasTimestamps = true;
  old.tsVal = 7000;
  y.h.send(old);
  expectState(d, TcpState.TimeWait);
}

export function test_time_wait_old_syn_gets_ack(): void {
  const f = timeWait();
  f.h.send(seg(SYN, RISS - 5, 0));
  expectState(f.c, TcpState.TimeWait);
  expectSeg(f.h.recv(), ACK, f.iss + 2, RISS + 2);
}

// Found against Linux (test/net-tap/tcp-linux-connections.test.ts, a server
// that closes first): every connection in TIME-WAIT stayed in the set's
// per-frame walk for 2 MSL, so each frame cost a pass over thousands.
export function test_time_wait_connections_are_parked_out_of_the_walk(): void {
  const x = listening();
  const n = 200;
  for (let i = 0; i < n; i++) {
    const port = <u16>(20000 + i);
    const syn = seg(SYN, RISS, 0);
    syn.srcPort = port;
    x.h.send(syn);
    const c = <TcpSocket>x.h.set.tcpConnection(LOCAL_PORT, REMOTE, port);
    const ack = seg(ACK, RISS + 1, c.iss + 1);
    ack.srcPort = port;
    x.h.send(ack);
    c.close(x.h.now);
    x.h.set.dispatch(x.h.now);
    const fin = seg(FIN | ACK, RISS + 1, c.iss + 2);
    fin.srcPort = port;
    x.h.send(fin);
    expectState(c, TcpState.TimeWait);
  }
  x.h.clear();
  assert(x.h.set.parkedCount == n, "parked " + x.h.set.parkedCount.toString());
  assert(x.h.set.walkCount == 1, "only the listener walks, got " + x.h.set.walkCount.toString());
  assert(x.h.set.tcpConnectionCount == n);
  // A parked connection still answers a retransmitted FIN.
  const c7 = x.acc.accepted[7];
  const fin = seg(FIN | ACK, RISS + 1, c7.iss + 2);
  fin.srcPort = 20007;
  x.h.send(fin);
  expectSeg(x.h.recv(), ACK, c7.iss + 2, RISS + 2);
  assert(x.h.set.parkedCount == n, "parked again once answered");
  // And they all end after 2 MSL, the set's pollAt pointing at it.
  assert(x.h.set.pollAt() <= x.h.now + seconds(60));
  x.h.advance(seconds(61));
  assert(x.h.set.tcpConnectionCount == 0 && x.h.set.parkedCount == 0, "connections " + x.h.set.tcpConnectionCount.toString());
  for (let i = 0; i < n; i++) expectState(x.acc.accepted[i], TcpState.Closed);
}

// Found against Linux (1,000 idle connections held open beside a bulk
// transfer cut it from 118 to 14 MB/s): every connection was walked on
// every frame. Idle ones park; a segment or the application wakes them, and
// their timers still fire.
export function test_idle_connections_are_parked_and_wake_for_segments_writes_and_timers(): void {
  const x = listening();
  const n = 300;
  for (let i = 0; i < n; i++) {
    const port = <u16>(30000 + i);
    const syn = seg(SYN, RISS, 0);
    syn.srcPort = port;
    x.h.send(syn);
    const c = <TcpSocket>x.h.set.tcpConnection(LOCAL_PORT, REMOTE, port);
    const ack = seg(ACK, RISS + 1, c.iss + 1);
    ack.srcPort = port;
    x.h.send(ack);
  }
  x.h.clear();
  assert(x.acc.accepted.length == n);
  assert(x.h.set.parkedCount == n, "parked " + x.h.set.parkedCount.toString());
  assert(x.h.set.walkCount == 1, "only the listener walks, got " + x.h.set.walkCount.toString());
  // The application writes on a parked connection: the next dispatch sends it.
  const c = x.acc.accepted[123];
  c.write(ascii("hello"));
  x.h.set.dispatch(x.h.now);
  const r = x.h.recv();
  assert(r.dstPort == 30123 && r.payload.length == 5, "the write went out: " + describe(r));
  // Unacknowledged, it is retransmitted from the park by its RTO.
  x.h.clear();
  x.h.advance(seconds(2));
  let resent = 0;
  while (x.h.pending > 0) if (x.h.recv().dstPort == 30123) resent++;
  assert(resent >= 1, "retransmitted from the park");
  // A segment for another parked connection wakes it: its data is acknowledged.
  const d = x.acc.accepted[7];
  const data = seg(ACK, RISS + 1, d.iss + 1, 8192, ascii("ping"));
  data.srcPort = 30007;
  x.h.send(data);
  const a = x.h.recv();
  assert(a.dstPort == 30007 && a.ack == RISS + 5, "acknowledged: " + describe(a));
  assert(d.readable == 4);
}

// === ports ==========================================================================

class Reclaimable extends Socket {
  reclaimed: bool = false;
  get tcpReclaimable(): bool { return !this.reclaimed; }
  tcpReclaim(): void { this.reclaimed = true; }
}

class Busy extends Socket {}

export function test_ephemeral_ports_reuse_time_wait_when_all_are_taken(): void {
  const set = new SocketSet(new Capture());
  const tw: Reclaimable[] = [];
  for (let p = <i32>EPHEMERAL_FIRST; p <= <i32>EPHEMERAL_LAST; p++) {
    const s = new Reclaimable();
    tw.push(s);
    assert(set.bindTcpConnection(<u16>p, REMOTE, 80, s));
  }
  // Another destination has the whole range.
  assert(set.ephemeralTcpPort(REMOTE, 81) != 0);
  const p = set.ephemeralTcpPort(REMOTE, 80);
  assert(p != 0, "a TIME-WAIT port is offered");
  const c = new TcpSocket(null, plainConfig());
  set.add(c);
  assert(c.connect(REMOTE, 80, 0) == TcpError.None);
  assert(set.tcpReclaimed == 1 && tw[<i32>c.localPort - <i32>EPHEMERAL_FIRST].reclaimed);
  // With every port live (not TIME-WAIT), none is left.
  const set2 = new SocketSet(new Capture());
  for (let q = <i32>EPHEMERAL_FIRST; q <= <i32>EPHEMERAL_LAST; q++) set2.bindTcpConnection(<u16>q, REMOTE, 80, new Busy());
  const c2 = new TcpSocket();
  set2.add(c2);
  assert(c2.connect(REMOTE, 80, 0) == TcpError.NoFreePort);
}

// === any state, any segment =========================================================

/** Random segments near the connection's windows, in every state a fixture reaches: nothing traps, the invariants hold. */
export function test_random_segments_never_break_invariants(): void {
  const rng = new Rng(2024);
  for (let round = 0; round < 40; round++) {
    const kind = round % 8;
    let f: Fx;
    if (kind == 0) f = synSent();
    else if (kind == 1) f = established();
    else if (kind == 2) f = finWait1();
    else if (kind == 3) f = finWait2();
    else if (kind == 4) f = closeWait();
    else if (kind == 5) f = lastAck();
    else if (kind == 6) f = closing();
    else f = timeWait();
    f.c.write(new Uint8Array(3000));
    for (let i = 0; i < 500; i++) {
      const flags = <u16>rng.below(64);
      const seq = RISS + <u32>rng.below(20000) - 5000;
      const ack = f.iss + <u32>rng.below(8000) - 2000;
      const p = new Uint8Array(rng.below(3) == 0 ? rng.below(1500) : 0);
      const s = seg(flags & ~(TcpFlags.URG), seq, ack, <u16>rng.below(65536), p);
      if ((flags & SYN) != 0 && (flags & (FIN | RST)) != 0) continue; // the wire layer rejects these
      f.h.send(s);
      if (rng.below(20) == 0) f.h.advance(ms(rng.below(3000)));
      f.h.clear();
      const c = f.c;
      if (c.state == TcpState.Closed) break;
      if (c.state != TcpState.SynSent) {
        assert(seqLe(c.sndUna, c.sndNxt) && seqLe(c.sndNxt, c.sndMax), "snd.una <= snd.nxt <= snd.max");
        assert(seqDiff(c.sndMax, c.sndUna) <= 3000 + 2, "nothing sent beyond what was written");
      }
      assert(c.readable >= 0 && c.readable <= 8192);
    }
  }
}

export function test_established_after_retransmitted_syn_rto_is_3s(): void {
  const f = synSent();
  f.h.advance(seconds(1));
  expectSeg(f.h.recv(), SYN, f.iss, 0);
  const sa = seg(SYN | ACK, RISS, f.iss + 1);
  sa.mss = 1460;
  f.h.send(sa);
  f.h.recv();
  assert(f.c.rtt.rto == seconds(3), "RFC 6298 §5.7: " + f.c.rtt.rto.toString());
}

export function test_established_idle_restarts_from_initial_window(): void {
  const f = established();
  f.c.cc.cwnd = 20 * 1460;
  f.c.write(ascii("a"));
  f.h.set.dispatch(f.h.now);
  f.h.recv();
  f.h.send(seg(ACK, RISS + 1, f.iss + 2));
  f.h.advance(seconds(5));
  f.c.write(ascii("b"));
  f.h.set.dispatch(f.h.now);
  f.h.recv();
  assert(f.c.cc.cwnd == 3 * 1460, "RFC 5681 §4.1: " + f.c.cc.cwnd.toString());
}

export function test_syn_sent_write_is_sent_after_the_handshake(): void {
  const f = synSent();
  assert(f.c.write(ascii("early")) == 5);
  f.h.set.dispatch(f.h.now);
  f.h.expectNothing();
  const sa = seg(SYN | ACK, RISS, f.iss + 1);
  sa.mss = 1460;
  f.h.send(sa);
  const r = f.h.recv();
  expectSeg(r, ACK | PSH, f.iss + 1, RISS + 1, 5);
  assertBytes(r.payload, ascii("early"), "data held during the handshake");
}

export function test_syn_received_close_sends_fin_once_established(): void {
  const x = synReceived();
  const c = x.child();
  c.close(x.h.now);
  x.h.set.dispatch(x.h.now);
  x.h.expectNothing();
  expectState(c, TcpState.SynReceived);
  x.h.send(seg(ACK, RISS + 1, c.iss + 1));
  expectState(c, TcpState.FinWait1);
  expectSeg(x.h.recv(), FIN | ACK, c.iss + 1, RISS + 1);
}

export function test_fin_wait_2_times_out_when_the_peer_vanishes(): void {
  const f = finWait2();
  f.h.advance(seconds(30));
  // Data from the peer restarts the wait.
  f.h.send(seg(ACK, RISS + 1, f.iss + 2, 8192, ascii("x")));
  f.h.advance(seconds(59));
  expectState(f.c, TcpState.FinWait2);
  f.h.advance(seconds(1));
  expectState(f.c, TcpState.Closed);
  assert(f.ev.error == TcpError.TimedOut);
}

export function test_established_limited_transmit_then_fast_retransmit(): void {
  const f = established();
  const data = new Uint8Array(6 * 1460);
  f.c.write(data);
  f.h.set.dispatch(f.h.now);
  assert(f.h.pending == 3, "the initial window");
  f.h.clear();
  // The first segment is lost: each of the first two duplicate ACKs releases one new segment (RFC 3042).
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1 + 3 * 1460, RISS + 1, 1460);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1 + 4 * 1460, RISS + 1, 1460);
  f.h.send(seg(ACK, RISS + 1, f.iss + 1));
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1, 1460);
  assert(f.c.cc.inRecovery);
}

class Redial extends Events {
  constructor(public set: SocketSet) { super(); }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void {
    super.onClosed(c, error, now);
    if (this.closed == 1) {
      this.set.add(c);
      assert(c.connect(REMOTE, REMOTE_PORT, now, LOCAL_PORT) == TcpError.None, "reconnect from onClosed");
    }
  }
}

export function test_handler_may_reconnect_the_socket_from_on_closed(): void {
  const f = established();
  const r = new Redial(f.h.set);
  f.c.handler = r;
  const oldIss = f.iss;
  // A reset carrying data: the old segment must not leak into the new connection.
  f.h.send(seg(RST | ACK, RISS + 1, oldIss + 1, 8192, ascii("zz")));
  expectState(f.c, TcpState.SynSent);
  expectSeg(f.h.recv(), SYN, f.c.iss, 0);
  f.h.expectNothing();
  assert(f.c.readable == 0 && r.closed == 1 && r.error == TcpError.Reset);
}
