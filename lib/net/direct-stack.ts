// lib/net's own stack behind the application's API (stack.ts): one
// EthernetInterface over a NetDevice, its SocketSet, and adapters from
// UdpSocket, TcpSocket and TcpListener to the contract's classes
// (direct-udp.ts, direct-tcp.ts). The address comes from --ipv4 (and
// --ipv4-gateway), else from DHCP.
//
// The stack drives itself from the event loop: frames arrive through the
// device's FrameHandler, and one timer stands at the interface's pollAt(),
// the earliest instant any part of it (ARP, DHCP, a TCP delayed ACK or
// retransmission) has work. Every change that can bring that instant
// forward — a frame processed, an application write, send or close — calls
// schedule(), which moves the timer earlier when it must; a timer firing
// early only polls for nothing, so it is never moved later. Output queued
// by the application therefore leaves in the same loop turn: a write inside
// a frame's handler goes out at the end of receive(), one from a timer
// callback through the timer armed at "now", which the loop runs before it
// sleeps.

import { clock_monotonic } from "../abi";
import { loop } from "../loop";
import { Timer, TimerHandler } from "../timer";
import { FOREVER } from "../time";
import { Ipv4Addr, IPV4_UNSPECIFIED } from "./addr";
import { NetDevice, FrameHandler } from "./device";
import { EthernetInterface, InterfaceConfig } from "./iface/interface";
import { startDhcp } from "./iface/dhcp";
import { DhcpClient, DhcpHandler, DhcpLease } from "./socket/dhcp";
import { UdpSocket, UdpBindError, udpBindErrorText } from "./socket/udp";
import { TcpSocket, TcpError } from "./socket/tcp";
import { TcpListener } from "./socket/tcp-listener";
import { tcpErrorText } from "./socket/tcp-state";
import { Ipv4Settings } from "./ipv4-args";
import {
  Stack, StackHandler, StackUsage, UdpEndpoint, UdpReceiver, TcpListen, TcpAcceptHandler, TcpConn, TcpConnHandler,
} from "./stack";
import { StackLimits } from "./stack-limits";
import { TcpConfig } from "./socket/tcp-options";
import { DirectUdpEndpoint } from "./direct-udp";
import { DirectTcpConn, DirectTcpListen } from "./direct-tcp";

/** The interface's clock: the event loop's monotonic time. */
function now(): i64 { return clock_monotonic(); }

/** Datagrams and bytes a UDP endpoint queues each way: room for a burst the application answers at once. */
const UDP_QUEUE_DATAGRAMS: i32 = 64;
const UDP_QUEUE_BYTES: i32 = 256 * 1024;

/** Stack over a NetDevice with lib/net's IPv4 stack. */
export class DirectStack extends Stack {
  readonly iface: EthernetInterface;
  private handler: StackHandler | null = null;
  private error: string = "";
  private timer: Timer | null = null;
  private timerAt: i64 = FOREVER;
  private readonly service: StackService = new StackService();
  /** Every connection's settings: buffers sized by the limits. */
  readonly tcpConfig: TcpConfig = new TcpConfig();

  /** Brings the interface up on `device` with `settings` (DHCP when they give no address), bounded by `limits`. */
  constructor(readonly device: NetDevice, settings: Ipv4Settings, dhcpSeed: u32 = 0, readonly limits: StackLimits = new StackLimits()) {
    super();
    const config = new InterfaceConfig();
    config.address = settings.address;
    config.prefixLen = settings.prefixLen;
    config.gateway = settings.gateway;
    this.iface = new EthernetInterface(device, config);
    this.iface.sockets.limits = limits;
    this.tcpConfig.sendBuffer = limits.connectionBuffer;
    this.tcpConfig.recvBuffer = limits.connectionBuffer;
    this.service.stack = this;
    const t = now();
    this.iface.begin(t);
    device.listen(new StackInput(this));
    if (!settings.isStatic) startDhcp(this.iface, t, dhcpSeed, new StackDhcp(this));
    this.schedule();
  }

  get name(): string { return this.device.name; }
  get address(): Ipv4Addr { return this.iface.address; }
  get lastError(): string { return this.error; }

  watch(handler: StackHandler): void {
    this.handler = handler;
    if (this.iface.address != IPV4_UNSPECIFIED) handler.onAddress(this, this.iface.address, this.iface.prefixLen);
  }

  udpBind(port: u16, receiver: UdpReceiver): UdpEndpoint | null {
    const ep = new DirectUdpEndpoint(this, receiver);
    const s = new UdpSocket(ep.input, UDP_QUEUE_DATAGRAMS, UDP_QUEUE_BYTES);
    this.iface.sockets.add(s);
    const e = s.bind(port);
    if (e != UdpBindError.None) {
      this.iface.sockets.remove(s);
      this.error = "UDP port " + port.toString() + ": " + udpBindErrorText(e);
      return null;
    }
    ep.socket = s;
    return ep;
  }

  tcpListen(port: u16, handler: TcpAcceptHandler): TcpListen | null {
    const l = new DirectTcpListen(this, handler);
    const s = new TcpListener(l.input, this.tcpConfig);
    this.iface.sockets.add(s);
    const e = s.listen(port);
    if (e != TcpError.None) {
      this.iface.sockets.remove(s);
      this.error = "TCP port " + port.toString() + ": " + tcpErrorText(e);
      return null;
    }
    l.listener = s;
    return l;
  }

  tcpConnect(remote: Ipv4Addr, remotePort: u16, handler: TcpConnHandler): TcpConn | null {
    const c = new DirectTcpConn(this);
    c.handler = handler;
    const s = new TcpSocket(c.input, this.tcpConfig);
    c.socket = s;
    this.iface.sockets.add(s);
    const e = s.connect(remote, remotePort, now());
    if (e != TcpError.None) {
      this.iface.sockets.remove(s);
      this.error = "TCP connect: " + tcpErrorText(e);
      return null;
    }
    this.schedule();
    return c;
  }

  get usage(): StackUsage {
    const u = new StackUsage();
    const set = this.iface.sockets;
    u.tcpConnections = set.tcpActiveCount;
    u.tcpTimeWait = set.timeWaitCount;
    u.tcpRefused = set.tcpTurnedAway;
    u.tcpLimit = this.limits.maxConnections;
    u.bufferBytes = this.limits.budget.used;
    u.bufferLimit = this.limits.budget.limit;
    return u;
  }

  /** Brings the service timer forward to the interface's pollAt() when that is earlier. */
  schedule(): void {
    const at = this.iface.pollAt();
    if (at >= this.timerAt) return;
    const old = this.timer;
    if (old != null) old.cancel();
    this.timerAt = at;
    this.timer = loop.timers.at(at, this.service);
  }

  /** The service timer fired: run what is due, then stand at the next instant. */
  serviced(t: i64): void {
    this.timer = null;
    this.timerAt = FOREVER;
    this.iface.poll(t);
    this.schedule();
  }

  /** Called by the DHCP client when it binds a lease. */
  addressBound(): void {
    const h = this.handler;
    if (h != null) h.onAddress(this, this.iface.address, this.iface.prefixLen);
  }
}

/** The stack's one timer. */
class StackService extends TimerHandler {
  /** Set by the stack's constructor, which cannot pass itself earlier. */
  stack: DirectStack | null = null;
  onTimer(timer: Timer, t: i64): void { this.stack!.serviced(t); }
}

/** Frames from the device into the interface, then the timer re-aimed. */
class StackInput extends FrameHandler {
  constructor(private stack: DirectStack) { super(); }
  onFrame(frame: Uint8Array): void {
    this.stack.iface.receive(frame, now());
    this.stack.schedule();
  }
}

/** Tells the application when DHCP gives an address. */
class StackDhcp extends DhcpHandler {
  constructor(private stack: DirectStack) { super(); }
  onBound(client: DhcpClient, lease: DhcpLease, t: i64): void { this.stack.addressBound(); }
  onUnbound(client: DhcpClient, t: i64): void {}
}

/**
 * A DirectStack on `device` with `settings`, which the generated main.ts of
 * `device.stack` takes from ipv4SettingsFromArgs before it opens the
 * device, so a malformed --ipv4 is reported (status 2) first.
 */
export function openDirectStack(settings: Ipv4Settings, device: NetDevice, limits: StackLimits = new StackLimits()): DirectStack {
  return new DirectStack(device, settings, <u32>(Math.random() * 4294967295.0), limits);
}
