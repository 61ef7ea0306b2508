import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "trap",
  main: "unikernel.ts",
  devices: [device.console(), device.args()],
  args: {
    kind: arg.string("memory", "how to fail: memory (out-of-bounds load), unreachable, divide, recurse, abort"),
  },
});
