import { unikernel, device, arg } from "atoll/config";

// Compute benchmark: bit mixing: ChaCha20 encryption and SHA-256 over a buffer
export default unikernel({
  name: "bit-mix",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args()],
  args: { scale: arg.int(2, "work units (1 = a quick check)") },
});
