import { unikernel, device } from "atoll/config";

export default unikernel({
  name: "hello",
  main: "unikernel.ts",
  devices: [device.console(), device.timers()],
});
