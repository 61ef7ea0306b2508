import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: dense f64 matrix multiply
export default unikernel({
  name: "matmul",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(12, "work units (1 = a quick check)") },
});
