import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: floating point: an n-body simulation
export default unikernel({
  name: "float-nbody",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(4, "work units (1 = a quick check)") },
});
