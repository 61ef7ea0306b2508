import { unikernel, device, arg } from "atoll/config";

// Block benchmark: sequential and random reads and writes on one disk file.
export default unikernel({
  name: "block",
  main: "unikernel.ts",
  devices: [device.console(), device.clock(), device.args(), device.block("disk", { size: "64M" })],
  args: {
    ops: arg.int(4096, "random operations of 4 KiB, each way"),
  },
});
