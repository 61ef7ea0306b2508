// UdpEndpoint (stack.ts) over lib/net's UdpSocket, for DirectStack.

import { Ipv4Addr } from "./addr";
import { UdpSocket, UdpHandler, UdpDatagram, UdpSendError } from "./socket/udp";
import { UdpEndpoint, UdpReceiver } from "./stack";
import { DirectStack } from "./direct-stack";

/** Hands a socket's datagrams to the endpoint's receiver. */
export class DirectUdpInput extends UdpHandler {
  /** Set by the endpoint's constructor, which cannot pass itself earlier. */
  ep: DirectUdpEndpoint | null = null;
  constructor(private receiver: UdpReceiver) { super(); }
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void {
    this.receiver.onDatagram(this.ep!, d.remote, d.remotePort, d.payload);
  }
}

/** A bound UDP port of a DirectStack. */
export class DirectUdpEndpoint extends UdpEndpoint {
  /** Set by DirectStack once the bind succeeded. */
  socket: UdpSocket | null = null;
  readonly input: DirectUdpInput;

  constructor(private stack: DirectStack, receiver: UdpReceiver) {
    super();
    this.input = new DirectUdpInput(receiver);
    this.input.ep = this;
  }

  get port(): u16 {
    const s = this.socket;
    return s == null ? 0 : s.udpPort;
  }

  sendTo(dst: Ipv4Addr, dstPort: u16, payload: Uint8Array): UdpSendError {
    const s = this.socket;
    if (s == null) return UdpSendError.NotBound;
    const e = s.sendTo(dst, dstPort, payload);
    if (e == UdpSendError.None) this.stack.schedule();
    return e;
  }

  close(): void {
    const s = this.socket;
    if (s == null) return;
    this.socket = null;
    s.close();
    this.stack.iface.sockets.remove(s);
  }
}
