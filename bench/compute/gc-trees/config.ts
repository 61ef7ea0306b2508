import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: GC-heavy: allocating and walking binary trees
export default unikernel({
  name: "gc-trees",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(40, "work units (1 = a quick check)") },
});
