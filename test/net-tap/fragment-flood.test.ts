// Issue 11's reassembly regression on unix: examples/ping on a tap is sent
// 20,000 incomplete fragmented datagrams from 20,000 sources
// (fragment-flood.ts), enough to fill its reassembly budget many times
// over; right after, while the flood's datagrams are still held (their
// timeout is 30 s), pings of 4000 and 8000 bytes from the host must all be
// answered. Before the byte budget, four incomplete datagrams blocked all
// reassembly for 60 s. Needs root; fails saying so without it.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { kill } from "../stack/netns.ts";
import { TapNamespace, start, waitFor } from "../kvm-net/tap-namespace.ts";
import { FragmentFlood, pingsSurviveFlood } from "./fragment-flood.ts";

const net = new TapNamespace(`atoll-frag-${process.pid}`, "atollfragtap0");
const flood = new FragmentFlood(net, 20_000);
const exe = path.join(root, "examples/ping/dist/ping");
const START = /^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 10\.0\.0\.2\/24, answering ARP and ICMP echo\n/;

describe("examples/ping under a flood of incomplete fragmented datagrams (unix)", () => {
  let error = "";
  beforeAll(() => {
    const built = atoll(["build", "-t", "unix", "examples/ping"]);
    expect(built.status, built.stderr).toBe(0);
    error = net.setup();
    if (error === "") error = flood.setup();
  }, 120_000);
  afterAll(() => net.teardown());

  it("after 20,000 incomplete datagrams from 20,000 sources, pings of 4000 and 8000 bytes are all answered", async () => {
    if (error !== "") throw new Error(error);
    const [cmd, ...args] = net.inside([exe, `--atoll-net=net0=tap:${net.tap}`, "--ipv4=10.0.0.2/24"]);
    const vm = start(cmd!, args);
    try {
      await waitFor(vm, START, 10_000);
      expect(vm.out()).toMatch(START);
      await pingsSurviveFlood(net, flood, 20_000, "unix");
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await kill(vm.child);
    }
  }, 120_000);
});
