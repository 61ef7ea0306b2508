import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: sorting: quicksort, merge sort and the standard library's sort over PRNG data
export default unikernel({
  name: "sort",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(2, "work units (1 = a quick check)") },
});
