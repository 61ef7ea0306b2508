// Applies what a DHCP client learns to an interface: the address, prefix and
// gateway on BOUND, nothing once the lease is lost. An application that wants
// to hear about leases too passes its own handler as `next`.

import { DhcpClient, DhcpConfig, DhcpHandler, DhcpLease } from "../socket/dhcp";
import { EthernetInterface } from "./interface";

/** A DhcpHandler that configures `iface`, then tells `next`. */
export class InterfaceDhcp extends DhcpHandler {
  constructor(readonly iface: EthernetInterface, readonly next: DhcpHandler | null = null) { super(); }

  onBound(client: DhcpClient, lease: DhcpLease, now: i64): void {
    this.iface.setAddress(lease.address, lease.prefixLen, lease.router, now);
    const n = this.next;
    if (n != null) n.onBound(client, lease, now);
  }

  onUnbound(client: DhcpClient, now: i64): void {
    this.iface.clearAddress();
    const n = this.next;
    if (n != null) n.onUnbound(client, now);
  }
}

/** Adds a DHCP client to `iface`, configuring it as leases come and go; the first DISCOVER goes out at the first poll from `now`. */
export function startDhcp(iface: EthernetInterface, now: i64, seed: u32 = 0, next: DhcpHandler | null = null): DhcpClient {
  const client = new DhcpClient(iface.mac, new InterfaceDhcp(iface, next), new DhcpConfig(), seed, now);
  iface.sockets.add(client);
  return client;
}
