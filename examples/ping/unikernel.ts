import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { NetDevice } from "atoll/net/device";
import { EthernetInterface, InterfaceConfig } from "atoll/net/iface/interface";
import { parseIpv4, ipv4ToString, macFromBytes, macToString, IPV4_UNSPECIFIED } from "atoll/net/addr";
import { clock_monotonic } from "atoll/abi";
import { loop } from "atoll/loop";
import { Timer, TimerHandler } from "atoll/timer";
import { exit, EXIT_USAGE } from "atoll/exit";

/** How often the interface's timers are serviced. */
const SERVICE_PERIOD: i64 = 50_000_000;

/** The interface's clock: the loop's monotonic time. */
function now(): i64 { return clock_monotonic(); }

/**
 * Brings up one Ethernet interface on `net` with a static address and runs
 * forever: lib/net answers ARP requests for the address and ICMP echo
 * requests, so `ping` from the other end of the link gets its replies.
 */
export function start(out: Console, args: Args, net: NetDevice): void {
  const spec = args.string("ipv4");
  const slash = spec.indexOf("/");
  const addr = parseIpv4(slash < 0 ? spec : spec.substring(0, slash));
  const prefix = slash < 0 ? 24 : I32.parseInt(spec.substring(slash + 1), 10);
  if (addr < 0 || prefix < 1 || prefix > 32) fail(out, "--ipv4 takes ADDRESS/PREFIX, e.g. 10.0.0.2/24, not '" + spec + "'");
  const gwSpec = args.string("ipv4-gateway");
  let gw: i64 = IPV4_UNSPECIFIED;
  if (gwSpec.length > 0) {
    gw = parseIpv4(gwSpec);
    if (gw < 0) fail(out, "--ipv4-gateway takes an address, e.g. 10.0.0.1, not '" + gwSpec + "'");
  }
  const config = new InterfaceConfig();
  config.address = <u32>addr;
  config.prefixLen = prefix;
  config.gateway = <u32>gw;
  const i = new EthernetInterface(net, config);
  i.start(now(), now);
  out.log("ping: " + net.name + " " + macToString(macFromBytes(net.mac)) + " " + ipv4ToString(<u32>addr) + "/" + prefix.toString() + ", answering ARP and ICMP echo");
  i.poll(now());
  // lib/net's timed work is coarse (its shortest interval is 100 ms): a
  // periodic poll keeps it going without tracking pollAt() after each frame.
  loop.timers.every(SERVICE_PERIOD, new Service(i));
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
