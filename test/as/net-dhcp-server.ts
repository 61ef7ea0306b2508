// A minimal DHCP server for the client tests: one address to hand out, and
// switches to fall silent or refuse renewals. It answers as RFC 2131 §4.1
// says a server sends: to ciaddr when the client has one, else broadcast.
import { Ipv4Addr, IPV4_BROADCAST, IPV4_UNSPECIFIED } from "atoll/net/addr";
import { WireError } from "atoll/net/wire/error";
import { DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DHCP_CLIENT_PORT } from "atoll/net/wire/dhcp";
import { UdpSocket, UdpHandler, UdpDatagram } from "atoll/net/socket/udp";

export class TestDhcpServer extends UdpHandler {
  /** Whether it answers at all. */
  answering: bool = true;
  /** NAK REQUESTs that carry ciaddr (renewals and rebinds). */
  nakRenewals: bool = false;
  leaseSeconds: i64 = 3600;
  discovers: i32 = 0;
  requests: i32 = 0;
  /** REQUESTs with ciaddr: RENEWING (unicast to us) or REBINDING (broadcast). */
  renewals: i32 = 0;
  /** Of those, the ones sent to our address rather than broadcast. */
  unicastRenewals: i32 = 0;
  acks: i32 = 0;
  naks: i32 = 0;

  constructor(public serverIp: Ipv4Addr, public offerIp: Ipv4Addr, public router: Ipv4Addr) { super(); }

  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void {
    const q = new DhcpRepr();
    if (q.parse(new DhcpPacket(d.payload)) != WireError.None || q.op != DhcpOp.BootRequest) return;
    if (q.messageType == DhcpMessageType.DISCOVER) {
      this.discovers++;
      if (this.answering) this.send(socket, this.reply(q, DhcpMessageType.OFFER, this.offerIp), IPV4_BROADCAST);
      return;
    }
    if (q.messageType != DhcpMessageType.REQUEST) return;
    this.requests++;
    if (q.serverId != IPV4_UNSPECIFIED && q.serverId != this.serverIp) return; // the client chose another server
    if (q.clientIp != IPV4_UNSPECIFIED) {
      this.renewals++;
      if (d.local == this.serverIp) this.unicastRenewals++;
    }
    if (!this.answering) return;
    const dst = q.clientIp != IPV4_UNSPECIFIED ? q.clientIp : IPV4_BROADCAST;
    if (q.clientIp != IPV4_UNSPECIFIED && this.nakRenewals) {
      this.naks++;
      const nak = this.reply(q, DhcpMessageType.NAK, IPV4_UNSPECIFIED);
      nak.leaseTime = -1;
      nak.subnetMask = 0;
      nak.router = 0;
      nak.dnsCount = 0;
      nak.message = "lease withdrawn";
      this.send(socket, nak, IPV4_BROADCAST);
      return;
    }
    this.acks++;
    const addr = q.requestedIp != IPV4_UNSPECIFIED ? q.requestedIp : q.clientIp;
    this.send(socket, this.reply(q, DhcpMessageType.ACK, addr), dst);
  }

  private reply(q: DhcpRepr, type: u8, yiaddr: Ipv4Addr): DhcpRepr {
    const r = new DhcpRepr();
    r.op = DhcpOp.BootReply;
    r.messageType = type;
    r.xid = q.xid;
    r.clientMac = q.clientMac;
    r.broadcast = q.broadcast;
    r.clientIp = q.clientIp;
    r.yourIp = yiaddr;
    r.serverId = this.serverIp;
    r.leaseTime = this.leaseSeconds;
    r.subnetMask = 0xFFFFFF00;
    r.router = this.router;
    r.dnsServers[0] = this.router;
    r.dnsCount = 1;
    return r;
  }

  private send(socket: UdpSocket, r: DhcpRepr, dst: Ipv4Addr): void {
    const b = new Uint8Array(r.bufferLen());
    r.emit(new DhcpPacket(b));
    socket.sendTo(dst, DHCP_CLIENT_PORT, b);
  }
}
