// The stack's calls against itself over the host's loopback (node): a UDP
// datagram to its own port, one TCP connection to its own listener with a
// half-close each way, one connection refused. Every socket is closed at
// the end, so the unikernel must then finish with status 0 by itself.
import { Console, AbiConsole } from "atoll/console";
import { Args } from "atoll/args";
import { exit } from "atoll/exit";
import { Ipv4Addr, ipv4, ipv4ToString } from "atoll/net/addr";
import {
  Stack, UdpEndpoint, UdpReceiver, TcpAcceptHandler, TcpConn, TcpConnHandler, TcpError, TcpListen, tcpErrorText,
} from "atoll/net/stack";

const LOOPBACK: Ipv4Addr = ipv4(127, 0, 0, 1);
let out: Console = new AbiConsole();
let listener: TcpListen | null = null;

export function start(c: Console, args: Args, stack: Stack): void {
  out = c;
  const ep = stack.udpBind(0, new UdpSelf());
  if (ep == null) fail(stack.lastError);
  const sent = ep!.sendTo(LOOPBACK, ep!.port, bytes("ping"));
  out.log("udp: bound an ephemeral port: " + (ep!.port >= 1024 ? "yes" : "no") + ", send: " + sent.toString());

  listener = stack.tcpListen(<u16>args.int("port"), new Server());
  if (listener == null) fail(stack.lastError);
  if (stack.tcpConnect(LOOPBACK, listener!.port, new Client()) == null) fail(stack.lastError);
  if (stack.tcpConnect(LOOPBACK, <u16>args.int("closed-port"), new Refused()) == null) fail(stack.lastError);
}

function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function fail(why: string): void {
  out.log("error: " + why);
  exit(1);
}

class UdpSelf extends UdpReceiver {
  onDatagram(ep: UdpEndpoint, src: Ipv4Addr, srcPort: u16, payload: Uint8Array): void {
    out.log("udp: " + String.UTF8.decode(payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length)) +
      " from " + ipv4ToString(src) + (srcPort == ep.port ? " (own port)" : ""));
    ep.close();
  }
}

/** Writes, half-closes, then reads the reply until the server's FIN. */
class Client extends TcpConnHandler {
  private got: string = "";
  onConnected(c: TcpConn): void {
    c.write(bytes("hello"));
    c.close();
  }
  onReadable(c: TcpConn): void {
    const b = new Uint8Array(c.readable);
    c.read(b);
    this.got += String.UTF8.decode(b.buffer);
  }
  onClosed(c: TcpConn, error: TcpError): void {
    out.log("tcp client: got '" + this.got + "', closed: " + tcpErrorText(error));
  }
}

class Server extends TcpAcceptHandler {
  onAccept(c: TcpConn): void {
    out.log("tcp server: accepted from " + ipv4ToString(c.remoteAddress));
    c.handler = new Upper();
    listener!.close();
  }
}

/** Answers with what it read, upper-cased, after the peer's FIN. */
class Upper extends TcpConnHandler {
  private got: string = "";
  onReadable(c: TcpConn): void {
    const b = new Uint8Array(c.readable);
    c.read(b);
    this.got += String.UTF8.decode(b.buffer);
  }
  onPeerClosed(c: TcpConn): void {
    this.onReadable(c);
    c.write(bytes(this.got.toUpperCase()));
    c.close();
  }
  onClosed(c: TcpConn, error: TcpError): void {
    out.log("tcp server: closed: " + tcpErrorText(error));
  }
}

class Refused extends TcpConnHandler {
  onConnected(c: TcpConn): void { out.log("refused: connected?!"); }
  onClosed(c: TcpConn, error: TcpError): void { out.log("refused: " + tcpErrorText(error)); }
}
