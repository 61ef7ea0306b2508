import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "loopback",
  main: "unikernel.ts",
  devices: [device.console(), device.args(), device.stack("net0")],
  args: {
    port: arg.int(0, "TCP port to listen on; 0 picks 41000 + pid-free choice by the test"),
    "closed-port": arg.int(0, "a TCP port nothing listens on: connecting there must be refused"),
  },
});
