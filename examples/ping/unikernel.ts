import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { NetDevice } from "atoll/net/device";
import { EthernetInterface, InterfaceConfig } from "atoll/net/iface/interface";
import { parseIpv4, ipv4ToString, macFromBytes, macToString } from "atoll/net/addr";
import { startDhcp } from "atoll/net/iface/dhcp";
import { DhcpClient, DhcpHandler, DhcpLease } from "atoll/net/socket/dhcp";
import { clock_monotonic } from "atoll/abi";
import { loop } from "atoll/loop";
import { Timer, TimerHandler } from "atoll/timer";
import { exit, EXIT_USAGE } from "atoll/exit";

/** How often the interface's timers are serviced. */
const SERVICE_PERIOD: i64 = 50_000_000;

/** The interface's clock: the loop's monotonic time. */
function now(): i64 { return clock_monotonic(); }

/**
 * Brings up one Ethernet interface on `net`, with the address of --ipv4 or
 * one from DHCP, and runs forever: lib/net answers ARP requests for the address and ICMP echo
 * requests, so `ping` from the other end of the link gets its replies.
 */
export function start(out: Console, args: Args, net: NetDevice): void {
  const spec = args.string("ipv4");
  const config = new InterfaceConfig();
  if (spec.length > 0) {
    const slash = spec.indexOf("/");
    const addr = parseIpv4(slash < 0 ? spec : spec.substring(0, slash));
    const prefix = slash < 0 ? 24 : I32.parseInt(spec.substring(slash + 1), 10);
    if (addr < 0 || prefix < 1 || prefix > 32) fail(out, "--ipv4 takes ADDRESS/PREFIX, e.g. 10.0.0.2/24, not '" + spec + "'");
    config.address = <u32>addr;
    config.prefixLen = prefix;
  }
  const gwSpec = args.string("ipv4-gateway");
  if (gwSpec.length > 0) {
    const gw = parseIpv4(gwSpec);
    if (gw < 0) fail(out, "--ipv4-gateway takes an address, e.g. 10.0.0.1, not '" + gwSpec + "'");
    config.gateway = <u32>gw;
  }
  const i = new EthernetInterface(net, config);
  i.start(now(), now);
  const mac = macToString(macFromBytes(net.mac));
  if (spec.length > 0) {
    out.log("ping: " + net.name + " " + mac + " " + ipv4ToString(config.address) + "/" + config.prefixLen.toString() + ", answering ARP and ICMP echo");
  } else {
    out.log("ping: " + net.name + " " + mac + ", asking DHCP for an address");
    startDhcp(i, now(), <u32>(Math.random() * 4294967295.0), new Report(out));
  }
  i.poll(now());
  // A periodic poll runs the interface's timed work (ARP, DHCP, reassembly)
  // without tracking pollAt() after each frame; 50 ms is finer than any of it needs.
  loop.timers.every(SERVICE_PERIOD, new Service(i));
}

/** Says which address DHCP gave. */
class Report extends DhcpHandler {
  constructor(private out: Console) { super(); }
  onBound(client: DhcpClient, lease: DhcpLease, t: i64): void {
    this.out.log("ping: DHCP gave " + ipv4ToString(lease.address) + "/" + lease.prefixLen.toString() + ", answering ARP and ICMP echo");
  }
  onUnbound(client: DhcpClient, t: i64): void { this.out.log("ping: the DHCP lease is gone"); }
}

/** Runs the interface's timed work (ARP retries and expiry, announcements, reassembly timeouts). */
class Service extends TimerHandler {
  constructor(private iface: EthernetInterface) { super(); }
  onTimer(timer: Timer, t: i64): void { this.iface.poll(t); }
}

function fail(out: Console, message: string): void {
  out.log("error: " + message);
  exit(EXIT_USAGE);
}
