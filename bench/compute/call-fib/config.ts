import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: call-heavy: naive recursive Fibonacci
export default unikernel({
  name: "call-fib",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(200, "work units (1 = a quick check)") },
});
