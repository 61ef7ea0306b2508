import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { exit, EXIT_USAGE } from "atoll/exit";
import { Ipv4Addr, ipv4ToString } from "atoll/net/addr";
import { Stack, StackHandler, UdpEndpoint, UdpReceiver, UdpSendError, udpSendErrorText } from "atoll/net/stack";

/**
 * The echo service of RFC 862 over UDP: every datagram that arrives on the
 * port goes back to its sender unchanged. Runs until it is killed.
 */
export function start(out: Console, args: Args, stack: Stack): void {
  const port = args.int("port");
  if (port < 1 || port > 65535) {
    out.log("error: --port takes a port from 1 to 65535, not " + port.toString());
    exit(EXIT_USAGE);
  }
  const ep = stack.udpBind(<u16>port, new Echo(out));
  if (ep == null) {
    out.log("error: udp-echo: " + stack.lastError);
    exit(1);
    return;
  }
  stack.watch(new Ready(out, ep));
}

/** Sends each datagram back; says so once when a reply cannot be queued. */
class Echo extends UdpReceiver {
  private failed: bool = false;
  constructor(private out: Console) { super(); }
  onDatagram(ep: UdpEndpoint, src: Ipv4Addr, srcPort: u16, payload: Uint8Array): void {
    const e = ep.sendTo(src, srcPort, payload);
    if (e != UdpSendError.None && !this.failed) {
      this.failed = true;
      this.out.log("udp-echo: a reply was dropped: " + udpSendErrorText(e));
    }
  }
}

/** Announces the service once the stack has an address. */
class Ready extends StackHandler {
  constructor(private out: Console, private ep: UdpEndpoint) { super(); }
  onAddress(stack: Stack, address: Ipv4Addr, prefixLen: i32): void {
    this.out.log("udp-echo: " + stack.name + " " + ipv4ToString(address) + "/" + prefixLen.toString() + ", echoing UDP port " + this.ep.port.toString());
  }
}
