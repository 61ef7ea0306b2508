import { unikernel, device, arg } from "atoll/config";

export default unikernel({
  name: "kv",
  main: "unikernel.ts",
  devices: [device.console(), device.args(), device.block("data", { size: "256K" })],
  args: {
    set: arg.string("", "store a value: --set=KEY=VALUE"),
    get: arg.string("", "print a key's value: --get=KEY"),
    delete: arg.string("", "remove a key: --delete=KEY"),
    list: arg.bool(false, "print every key with its value"),
  },
});
