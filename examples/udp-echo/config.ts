import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "udp-echo",
  main: "unikernel.ts",
  devices: [device.console(), device.args(), device.stack("net0")],
  args: {
    port: arg.int(7, "the UDP port to echo on (RFC 862's is 7)"),
  },
});
