import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: strings: building, searching and splitting text
export default unikernel({
  name: "string-build",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(10, "work units (1 = a quick check)") },
});
