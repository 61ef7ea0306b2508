// How each device kind of config.ts is wired on each target: the import the
// generated main.ts needs and the expression that builds the device. A kind
// with no row for a target is not available there yet.
import type { Arg, Device, Unikernel } from "../config/dsl.ts";
import type { TargetName } from "../targets.ts";
import { embedFileName } from "./embed.ts";
import { stackLimitsFor, stackLimitsExpr } from "./stack-limits.ts";
import { DEFAULT_MEMORY } from "./memory-limit.ts";

/** How one device is built in the generated main.ts. */
export interface Wiring {
  /** AssemblyScript import lines the expression needs. */
  imports: string[];
  /** The expression passed to `start`. */
  expr: string;
  /** The AssemblyScript type `start` receives, for `atoll describe`. */
  type: string;
  /** Where the implementation lives, for `atoll describe`. */
  impl: string;
  /** Runtime arguments the device reads, added to config.ts's own (which win on a clash). */
  args?: Record<string, Arg>;
}

type Wire = (d: Device, u: Unikernel) => Wiring;

const limitsImport = `import { stackLimits } from "atoll/net/stack-limits";`;
/** The stack limits of `d` in `u`, as an expression. */
const limitsOf = (d: Device, u: Unikernel): string => stackLimitsExpr(stackLimitsFor(d as Extract<Device, { kind: "stack" }>, u.memory ?? DEFAULT_MEMORY));

const console_: Wire = () => ({ imports: [`import { AbiConsole } from "atoll/console";`], expr: "new AbiConsole()", type: "Console", impl: "lib/console.ts AbiConsole (ABI console_write)" });
const clock: Wire = () => ({ imports: [`import { Clock } from "atoll/clock";`], expr: "new Clock()", type: "Clock", impl: "lib/clock.ts Clock (ABI clocks)" });
const timers: Wire = () => ({ imports: [`import { loop } from "atoll/loop";`], expr: "loop.timers", type: "Timers", impl: "lib/timer.ts, the event loop's timers" });
const args: Wire = () => ({ imports: [], expr: "args", type: "Args", impl: "lib/args.ts Args (ABI args)" });
/** node and unix share one driver: both implement the same host block calls (drivers/host/block.ts). */
const hostBlock: Wire = (d) => {
  const b = d as Extract<Device, { kind: "block" }>;
  return {
    imports: [`import { openHostBlock } from "atoll-drivers/host/block";`],
    expr: `openHostBlock(${JSON.stringify(b.name)}, ${b.readOnly === true})`,
    type: "BlockDevice",
    impl: `drivers/host/block.ts HostBlock (ABI block_*, the file of --disk ${b.name}=PATH)`,
  };
};

/** kvm's virtio-blk devices (drivers/virtio/block.ts): the device whose ID (QEMU's serial=) is the config name. */
const virtioBlock: Wire = (d) => {
  const b = d as Extract<Device, { kind: "block" }>;
  return {
    imports: [`import { openVirtioBlock } from "atoll-drivers/virtio/block";`],
    expr: `openVirtioBlock(${JSON.stringify(b.name)}, ${b.readOnly === true})`,
    type: "BlockDevice",
    impl: `drivers/virtio/block.ts VirtioBlock (virtio-blk with serial ${b.name}: --disk ${b.name}=PATH)`,
  };
};

/** unix's tap devices through the host network calls (drivers/host/net.ts); node has no backend yet. */
const hostNet: Wire = (d) => {
  const n = d as Extract<Device, { kind: "net" }>;
  return {
    imports: [`import { openHostNet } from "atoll-drivers/host/net";`],
    expr: `openHostNet(${JSON.stringify(n.name)})`,
    type: "NetDevice",
    impl: `drivers/host/net.ts HostNet (ABI net_*, the backend of --net ${n.name}=tap:IFNAME)`,
  };
};

/** kvm's virtio-net devices (drivers/virtio/net.ts), claimed in config.ts's order; `atoll run -t kvm --net` adds them in that order. */
const virtioNet: Wire = (d) => {
  const n = d as Extract<Device, { kind: "net" }>;
  return {
    imports: [`import { openVirtioNet } from "atoll-drivers/virtio/net";`],
    expr: `openVirtioNet(${JSON.stringify(n.name)})`,
    type: "NetDevice",
    impl: `drivers/virtio/net.ts VirtioNet (virtio-net; the backend of --net ${n.name}=tap:IFNAME, user or none)`,
  };
};

/** The --ipv4 arguments lib/net's stack reads (lib/net/ipv4-args.ts). */
const ipv4Args: Record<string, Arg> = {
  ipv4: { type: "string", default: "", doc: "the stack's address and prefix length, e.g. --ipv4=10.0.0.2/24; without it the address comes from DHCP" },
  "ipv4-gateway": { type: "string", default: "", doc: "the default gateway, if any: --ipv4-gateway=10.0.0.1" },
};

/** unix: lib/net's stack (lib/net/direct-stack.ts) over the tap device NAME. */
const hostDirectStack: Wire = (d, u) => {
  const n = d as Extract<Device, { kind: "stack" }>;
  return {
    imports: [`import { openHostNet } from "atoll-drivers/host/net";`, `import { openDirectStack } from "atoll/net/direct-stack";`, `import { ipv4SettingsFromArgs } from "atoll/net/ipv4-args";`, limitsImport],
    expr: `openDirectStack(ipv4SettingsFromArgs(args), openHostNet(${JSON.stringify(n.name)}), ${limitsOf(d, u)})`,
    type: "Stack",
    impl: `lib/net/direct-stack.ts DirectStack over drivers/host/net.ts HostNet (the backend of --net ${n.name}=tap:IFNAME; --ipv4 or DHCP)`,
    args: ipv4Args,
  };
};

/** kvm: lib/net's stack (lib/net/direct-stack.ts) over the virtio-net device NAME (drivers/virtio/net.ts). */
const virtioDirectStack: Wire = (d, u) => {
  const n = d as Extract<Device, { kind: "stack" }>;
  return {
    imports: [`import { openVirtioNet } from "atoll-drivers/virtio/net";`, `import { openDirectStack } from "atoll/net/direct-stack";`, `import { ipv4SettingsFromArgs } from "atoll/net/ipv4-args";`, limitsImport],
    expr: `openDirectStack(ipv4SettingsFromArgs(args), openVirtioNet(${JSON.stringify(n.name)}), ${limitsOf(d, u)})`,
    type: "Stack",
    impl: `lib/net/direct-stack.ts DirectStack over drivers/virtio/net.ts VirtioNet (the backend of --net ${n.name}=tap:IFNAME, user or none; --ipv4 or DHCP)`,
    args: ipv4Args,
  };
};

/** node: the host's own sockets (drivers/node/stack.ts); the device name only labels it. */
const nodeStack: Wire = (d, u) => ({
  imports: [`import { openNodeStack } from "atoll-drivers/node/stack";`, limitsImport],
  expr: `openNodeStack(${limitsOf(d, u)})`,
  type: "Stack",
  impl: `drivers/node/stack.ts NodeStack (the host's sockets through the sock_* calls: UDP on 0.0.0.0, TCP on every host address; reports 127.0.0.1)`,
});

/** Embedded data is static data of the module, the same on every target (embed.ts writes the file imported). */
const kvRo: Wire = (d) => {
  const k = d as Extract<Device, { kind: "kvRo" }>;
  const ident = "kvRo_" + k.name.replace(/[_-]/g, (c) => (c === "_" ? "__" : "_h"));
  return {
    imports: [`import { openKvRo as ${ident} } from "./${embedFileName(k.name).replace(/\.ts$/, "")}";`],
    expr: `${ident}()`,
    type: "ReadOnlyKv",
    impl: `lib/kv/ro.ts EmbeddedKv (the files under ${k.dir}, embedded at build time)`,
  };
};

/** Wiring per target and device kind. */
export const wiring: Record<TargetName, Partial<Record<Device["kind"], Wire>>> = {
  node: { console: console_, clock, timers, args, block: hostBlock, kvRo, stack: nodeStack },
  unix: { console: console_, clock, timers, args, block: hostBlock, net: hostNet, kvRo, stack: hostDirectStack },
  kvm: { console: console_, clock, timers, args, block: virtioBlock, net: virtioNet, kvRo, stack: virtioDirectStack },
  xen: { console: console_, clock, timers, args, kvRo },
};
