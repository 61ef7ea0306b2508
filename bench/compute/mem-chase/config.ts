import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: memory-bound: pointer chasing through a 16 MiB permutation
export default unikernel({
  name: "mem-chase",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(4, "work units (1 = a quick check)") },
});
