// lib/net TCP between two stacks on the in-memory link (net-link.ts): data
// both ways through loss, reordering and duplication with every byte
// checked; many connections in a row; a SYN flood; zero windows; total loss.
import { TwoStacks, IP_A, IP_B, simNow, setSimNow } from "./net-link";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { TcpSocket, TcpHandler, TcpState, TcpError, TcpConfig } from "atoll/net/socket/tcp";
import { TcpListener, TcpListenHandler } from "atoll/net/socket/tcp-listener";
import { seconds, ms } from "atoll/time";
import { StreamPeer, StreamAcceptor, fastConfig } from "./tcp-util";
import { AbiConsole } from "atoll/console";

const out = new AbiConsole();

function quiet(ip: u32): InterfaceConfig {
  const c = new InterfaceConfig();
  c.address = ip;
  c.announcements = 0;
  return c;
}

class Transfer {
  net: TwoStacks;
  acceptor: StreamAcceptor;
  client: StreamPeer;
  conn: TcpSocket;
  listener: TcpListener;
  constructor(bytes: i64, config: TcpConfig, latency: i64) {
    const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
    net.link.latency = latency;
    const acceptor = new StreamAcceptor(2, bytes, 1);
    const listener = new TcpListener(acceptor, config);
    const client = new StreamPeer(1, bytes, 2);
    const conn = new TcpSocket(client, config);
    this.net = net;
    this.acceptor = acceptor;
    this.listener = listener;
    this.client = client;
    this.conn = conn;
    net.b.sockets.add(listener);
    assert(listener.listen(5001) == TcpError.None);
    net.a.sockets.add(conn);
    assert(conn.connect(IP_B, 5001, simNow()) == TcpError.None);
  }

  /** Runs until both sides closed or `limit` of simulated time passed. */
  runUntilDone(limit: i64): void {
    const end = simNow() + limit;
    while (simNow() < end) {
      this.net.run(seconds(1));
      if (this.client.closed && this.acceptor.peers.length == 1 && this.acceptor.peers[0].closed) return;
    }
  }

  check(bytes: i64): void {
    const c = this.client;
    assert(this.acceptor.peers.length == 1, "accepted " + this.acceptor.peers.length.toString());
    const s = this.acceptor.peers[0];
    assert(c.bad < 0, "client saw a wrong byte at " + c.bad.toString());
    assert(s.bad < 0, "server saw a wrong byte at " + s.bad.toString());
    assert(c.received == bytes, "client received " + c.received.toString() + " of " + bytes.toString());
    assert(s.received == bytes, "server received " + s.received.toString() + " of " + bytes.toString());
    assert(c.closed && s.closed, "both closed");
    assert(c.closeError == TcpError.None && s.closeError == TcpError.None, "graceful: " + c.closeError.toString() + " " + s.closeError.toString());
  }
}

/** `bytes` each way through `drop`, `dup`, `reorder` per mille; returns the simulated seconds it took. */
export function transfer(bytes: i64, drop: i32, dup: i32, reorder: i32): i64 {
  const cfg = fastConfig();
  cfg.sendBuffer = 128 * 1024;
  cfg.recvBuffer = 128 * 1024;
  const t = new Transfer(bytes, cfg, ms(2));
  t.net.link.dropPerMille = drop;
  t.net.link.duplicatePerMille = dup;
  t.net.link.reorderPerMille = reorder;
  t.net.link.reorderDelay = ms(3);
  const start = simNow();
  t.runUntilDone(seconds(3600));
  const st = t.conn.stats;
  const ss = t.acceptor.conns.length > 0 ? t.acceptor.conns[0].stats : st;
  out.log("transfer " + bytes.toString() + " B each way, drop/dup/reorder " + drop.toString() + "/" + dup.toString() + "/" + reorder.toString() +
    " per mille: " + ((simNow() - start) / ms(1)).toString() + " ms simulated; frames " + t.net.link.delivered.toString() +
    " delivered, " + t.net.link.dropped.toString() + " dropped; client sent " + st.segmentsSent.toString() + " segs, " + st.retransmits.toString() +
    " retransmitted, " + st.fastRetransmits.toString() + " fast, " + st.timeouts.toString() + " timeouts; server " + ss.segmentsSent.toString() + "/" +
    ss.retransmits.toString() + "/" + ss.fastRetransmits.toString() + "/" + ss.timeouts.toString() + "; client " + t.client.received.toString() + " rx");
  t.check(bytes);
  return (simNow() - start) / seconds(1);
}

export function test_transfer_64k_each_way_clean_link(): void {
  transfer(64 * 1024, 0, 0, 0);
}

export function test_transfer_1mb_each_way_with_loss_reordering_and_duplication(): void {
  transfer(1024 * 1024, 20, 10, 20);
}

export function test_transfer_1mb_each_way_heavy_loss(): void {
  transfer(1024 * 1024, 80, 0, 0);
}

export function bench_transfer_10mb_each_way_with_faults(): void {
  transfer(10 * 1024 * 1024, 10, 5, 10);
}
