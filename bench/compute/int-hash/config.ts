import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: integer arithmetic: hash mixing and a prime sieve
export default unikernel({
  name: "int-hash",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(30, "work units (1 = a quick check)") },
});
