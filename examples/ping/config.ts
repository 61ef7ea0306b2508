import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "ping",
  main: "unikernel.ts",
  devices: [device.console(), device.args(), device.net("net0")],
  args: {
    ipv4: arg.string("", "the interface's address and prefix length, e.g. --ipv4=10.0.0.2/24; without it the address comes from DHCP"),
    "ipv4-gateway": arg.string("", "the default gateway, if any: --ipv4-gateway=10.0.0.1"),
  },
});
