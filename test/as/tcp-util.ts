// Helpers of the TCP tests: a deterministic byte stream, and handlers that
// push a stream through a connection and check what comes back.
import { TcpSocket, TcpHandler, TcpError, TcpConfig } from "atoll/net/socket/tcp";
import { TcpListener, TcpListenHandler } from "atoll/net/socket/tcp-listener";
import { ms } from "atoll/time";

/** Byte `i` of stream `id`: varied enough that a misplaced segment shows. */
@inline export function streamByte(id: u32, i: i64): u8 {
  const x = <u32>i;
  return <u8>((x * 131 + (x >>> 8) * 7 + (x >>> 16) * 3 + id * 17) & 0xFF);
}

/** Writes `total` bytes of stream `id` as room allows, reads and checks stream `expectId`, closes after both. */
export class StreamPeer extends TcpHandler {
  sent: i64 = 0;
  received: i64 = 0;
  bad: i64 = -1;
  connected: bool = false;
  peerClosed: bool = false;
  closed: bool = false;
  closeError: TcpError = TcpError.None;
  /** Close after sending everything (otherwise wait for the peer's FIN first). */
  closeWhenSent: bool = true;
  /** Stop reading (to close the window). */
  paused: bool = false;
  private chunk: Uint8Array = new Uint8Array(8192);
  private rbuf: Uint8Array = new Uint8Array(8192);

  constructor(public id: u32, public total: i64, public expectId: u32) { super(); }

  pump(c: TcpSocket, now: i64): void {
    while (this.sent < this.total) {
      const n = <i32>min<i64>(this.chunk.length, this.total - this.sent);
      for (let i = 0; i < n; i++) this.chunk[i] = streamByte(this.id, this.sent + i);
      const w = c.write(this.chunk, 0, n);
      if (w <= 0) return;
      this.sent += w;
    }
    if (this.closeWhenSent) c.close(now);
  }

  drain(c: TcpSocket): void {
    if (this.paused) return;
    while (true) {
      const n = c.read(this.rbuf);
      if (n <= 0) return;
      for (let i = 0; i < n; i++) {
        if (this.bad < 0 && this.rbuf[i] != streamByte(this.expectId, this.received + i)) this.bad = this.received + i;
      }
      this.received += n;
    }
  }

  onConnected(c: TcpSocket, now: i64): void { this.connected = true; this.pump(c, now); }
  onReadable(c: TcpSocket, now: i64): void { this.drain(c); }
  onWritable(c: TcpSocket, now: i64): void { this.pump(c, now); }
  onPeerClosed(c: TcpSocket, now: i64): void {
    this.drain(c);
    this.peerClosed = true;
    if (!this.closeWhenSent && this.sent >= this.total) c.close(now);
  }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void {
    this.closed = true;
    this.closeError = error;
  }
}

/** Accepts every connection with a new StreamPeer(id, total, expectId); keeps them. */
export class StreamAcceptor extends TcpListenHandler {
  peers: StreamPeer[] = [];
  conns: TcpSocket[] = [];
  /** New peers do not read until unpaused. */
  startPaused: bool = false;
  constructor(public id: u32, public total: i64, public expectId: u32) { super(); }
  onAccept(l: TcpListener, c: TcpSocket, now: i64): void {
    const p = new StreamPeer(this.id, this.total, this.expectId);
    p.connected = true;
    p.paused = this.startPaused;
    c.handler = p;
    this.peers.push(p);
    this.conns.push(c);
    p.pump(c, now);
  }
}

/** A configuration with shorter timers for simulated runs. */
export function fastConfig(): TcpConfig {
  const c = new TcpConfig();
  c.minRto = ms(200);
  c.initialRto = ms(500);
  c.timeWait = ms(2000);
  return c;
}
