import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { NetDevice } from "atoll/net/device";
import { EthernetInterface, InterfaceConfig } from "atoll/net/iface/interface";
import { ipv4ToString, macFromBytes, macToString } from "atoll/net/addr";
import { ipv4SettingsFromArgs } from "atoll/net/ipv4-args";
import { startDhcp } from "atoll/net/iface/dhcp";
import { DhcpClient, DhcpHandler, DhcpLease } from "atoll/net/socket/dhcp";
import { clock_monotonic } from "atoll/abi";
import { loop } from "atoll/loop";
import { Timer, TimerHandler } from "atoll/timer";

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
  const settings = ipv4SettingsFromArgs(args);
  const config = new InterfaceConfig();
  config.address = settings.address;
  config.prefixLen = settings.prefixLen;
  config.gateway = settings.gateway;
  const i = new EthernetInterface(net, config);
  i.start(now(), now);
  const mac = macToString(macFromBytes(net.mac));
  if (settings.isStatic) {
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
