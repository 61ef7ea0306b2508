// A flood of incomplete fragmented datagrams from many sources, made by
// Linux's own stack in the test's namespace, for the unix and kvm flood
// tests. Pings from a second address on the tap (FLOOD_FROM) with 1473
// bytes of data leave in two fragments; nftables on the tap's egress gives
// every fragment zero a source address of its own from 172.16.0.0/12
// (RFC 1918: off-link, so the unikernel has nothing to answer) and sends
// every later fragment to an address nobody has, so no datagram can
// complete. No raw sockets or packet crafting tools: iputils' ping and nft,
// which tools/setup/install-system-packages.sh installs.
import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import type { TapNamespace } from "../kvm-net/tap-namespace.ts";
import { pingEach } from "../helpers/ping.ts";

/** The Linux-side address the flood's pings leave from, before nftables rewrites them. */
export const FLOOD_FROM = "10.0.0.3";
const TABLE = "atoll_frag_flood";
/** Frames the tap queues for its reader: a few batches' worth (the default is 1000). */
const QUEUE = 4000;

/** What a flood did, from Linux's side of the tap. */
export interface FloodFigures {
  /** Fragments zero that left with a rewritten source: one incomplete datagram each. */
  datagrams: number;
  /** Distinct sources they came from. */
  sources: number;
  /** Frames the tap dropped because the unikernel did not read them in time. */
  tapDropped: number;
  /** Wall time of the flood, ms. */
  ms: number;
}

/** The flood on one namespace's tap. */
export class FragmentFlood {
  private readonly tap: string;

  constructor(private net: TapNamespace, readonly sources: number) {
    this.tap = net.tap;
  }

  /**
   * Adds FLOOD_FROM to the tap, lengthens its queue and loads the rules; ""
   * or what went wrong. Call it before the unikernel opens the tap: the
   * kernel sizes a tap's queue when a reader attaches.
   */
  setup(): string {
    for (const step of [["addr", "add", `${FLOOD_FROM}/24`, "dev", this.tap], ["link", "set", this.tap, "txqueuelen", String(QUEUE)]]) {
      const r = this.net.exec(["ip", ...step]);
      if (r.status !== 0) return `ip ${step.join(" ")} failed: ${r.out.trim()}`;
    }
    const spoof: string[] = [];
    for (let i = 0; i < this.sources; i++) spoof.push(`${i} : 172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    // netdev egress sees the fragments (ip_fragment runs after the inet hooks).
    const rules = `table netdev ${TABLE} {
  counter spoofed {}
  map source { typeof numgen inc mod ${this.sources} : ip saddr; elements = { ${spoof.join(", ")} } }
  chain out {
    type filter hook egress device "${this.tap}" priority 0;
    ip saddr ${FLOOD_FROM} ip frag-off & 0x1fff != 0 ip daddr set 10.0.0.254
    ip saddr ${FLOOD_FROM} ip frag-off & 0x3fff == 0x2000 ip saddr set numgen inc mod ${this.sources} map @source counter name "spoofed"
  }
}
`;
    const [cmd, ...args] = this.net.inside(["nft", "-f", "-"]);
    const r = spawnSync(cmd!, args, { input: rules, encoding: "utf8" });
    if (r.error) return `nft is missing (npm run setup installs nftables): ${String(r.error)}`;
    if (r.status !== 0) return `nft could not load the flood rules: ${`${r.stdout}${r.stderr}`.trim().slice(0, 500)}`;
    return "";
  }

  /**
   * Sends `datagrams` pings from FLOOD_FROM to `target`, `batch` at a time:
   * ping's preload (-l) sends a batch at once, at two frames per ping, and
   * the next batch goes once the unikernel has read this one from the tap
   * (a kvm guest under TCG reads far slower than Linux writes), so the
   * tap's queue (QUEUE frames) need not drop any.
   */
  async send(target: string, datagrams: number, batch: number): Promise<FloodFigures> {
    const before = { spoofed: this.spoofed(), tap: this.tapStats() };
    const t0 = Date.now();
    let read = before.tap.read;
    for (let sent = 0; sent < datagrams; sent += batch) {
      const n = Math.min(batch, datagrams - sent);
      this.net.exec(["ping", "-q", "-n", "-I", FLOOD_FROM, "-s", "1473", "-c", String(n), "-l", String(n), "-W", "0.01", target]);
      read += 2 * n;
      const deadline = Date.now() + 10_000;
      while (this.tapStats().read < read && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    }
    const ms = Date.now() - t0;
    const spoofed = this.spoofed() - before.spoofed;
    return { datagrams: spoofed, sources: Math.min(spoofed, this.sources), tapDropped: this.tapStats().dropped - before.tap.dropped, ms };
  }

  private spoofed(): number {
    const r = this.net.exec(["nft", "list", "counter", "netdev", TABLE, "spoofed"]);
    return Number(/packets (\d+)/.exec(r.out)?.[1] ?? NaN);
  }

  /** Frames the tap's reader (the unikernel, or QEMU) has read, and those the tap dropped. */
  private tapStats(): { read: number; dropped: number } {
    const r = this.net.exec(["ip", "-s", "-j", "link", "show", this.tap]);
    try {
      const tx = (JSON.parse(r.out) as { stats64?: { tx?: { packets?: number; dropped?: number } } }[])[0]?.stats64?.tx;
      return { read: tx?.packets ?? NaN, dropped: tx?.dropped ?? NaN };
    } catch {
      return { read: NaN, dropped: NaN };
    }
  }
}

/**
 * The regression both targets run (fragment-flood.test.ts here and in
 * test/kvm-net): pings of 4000 bytes answered before, `datagrams`
 * incomplete datagrams from as many sources, every frame of them read by
 * the unikernel at 10.0.0.2, and then 20 pings of 4000 and 10 of 8000 bytes
 * all answered whole. `label` names the target in the figures line.
 */
export async function pingsSurviveFlood(net: TapNamespace, flood: FragmentFlood, datagrams: number, label: string): Promise<void> {
  const before = pingEach(net.inside([]), "10.0.0.2", 3, 0.05, 10, 4000);
  expect(before.missing, before.out).toEqual([]);
  const f = await flood.send("10.0.0.2", datagrams, 500);
  process.stderr.write(`fragment flood (${label}): ${f.datagrams} incomplete datagrams from ${f.sources} sources in ${f.ms} ms, ${f.tapDropped} frames dropped at the tap\n`);
  expect(f.datagrams).toBe(datagrams);
  expect(f.tapDropped, "every flood frame reached the unikernel").toBe(0);
  for (const [size, count] of [[4000, 20], [8000, 10]] as const) {
    const ping = pingEach(net.inside([]), "10.0.0.2", count, 0.01, 20, size);
    expect(ping.missing, `ping -s ${size} after the flood: ${ping.out}`).toEqual([]);
    expect(ping.damaged, `ping -s ${size} after the flood: ${ping.out}`).toEqual([]);
  }
}
