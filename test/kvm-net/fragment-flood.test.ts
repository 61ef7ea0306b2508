// Issue 11's reassembly regression on kvm, as test/net-tap/fragment-flood.test.ts
// does it for unix: examples/ping in QEMU (virtio-net on the tap backend, in
// a namespace) is sent 20,000 incomplete fragmented datagrams from 20,000
// sources; right after, pings of 4000 and 8000 bytes must all be answered.
// Under TCG unless ATOLL_QEMU_ACCEL says otherwise (ping.test.ts gives the
// reason). Needs root and qemu-system-x86_64; fails saying so without them.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { TapNamespace, stop, waitFor } from "./tap-namespace.ts";
import { FragmentFlood, pingsSurviveFlood } from "../net-tap/fragment-flood.ts";

const net = new TapNamespace(`atoll-kvm-frag-${process.pid}`, "atollkfragtap0");
const flood = new FragmentFlood(net, 20_000);
const image = path.join(root, "examples/ping/dist/ping.kvm");
const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const START = /^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 10\.0\.0\.2\/24, answering ARP and ICMP echo\n/;

describe("examples/ping on kvm under a flood of incomplete fragmented datagrams", () => {
  let error = "";
  beforeAll(() => {
    const built = atoll(["build", "-t", "kvm", "examples/ping"]);
    expect(built.status, built.stderr).toBe(0);
    error = net.setup();
    if (error === "") error = flood.setup();
  }, 120_000);
  afterAll(() => net.teardown());

  it(`after 20,000 incomplete datagrams from 20,000 sources, pings of 4000 and 8000 bytes are all answered (${accel.toUpperCase()})`, async () => {
    if (error !== "") throw new Error(error);
    const vm = net.boot(image, ["--ipv4=10.0.0.2/24"], accel);
    try {
      await waitFor(vm, START, 20_000);
      expect(vm.out()).toMatch(START);
      await pingsSurviveFlood(net, flood, 20_000, `kvm ${accel}`);
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 180_000);
});
