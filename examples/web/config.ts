import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "web",
  main: "unikernel.ts",
  devices: [device.console(), device.args(), device.stack("net0"), device.kvRo("site", "site")],
  args: {
    port: arg.int(80, "the TCP port to serve HTTP on, 1-65535"),
    stats: arg.bool(false, "also serve /_atoll/stats: the heap's size and the connection counters, as text"),
  },
});
