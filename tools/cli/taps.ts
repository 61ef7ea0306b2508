// Whether the tap `atoll run --net tap:IFNAME` names is there. Opening a tap
// that does not exist creates it when the caller may (root): the unix
// runtime's TUNSETIFF and QEMU's tap backend both would, and the unikernel
// would run on a new tap connected to nothing. So a missing one is an error
// that lists the taps there are, unless `tap:IFNAME,create` asks for it.
//
// The interfaces are read from /proc/self/net/dev, which shows the network
// namespace of this process (where the unikernel or QEMU opens the tap);
// /sys/class/net shows the namespace of whoever mounted /sys, which is the
// same under `ip netns exec` but not under a bare `nsenter --net`. sysfs is
// asked only what kind of interface a name is (tun_flags).
import { readFileSync } from "node:fs";
import { UserError } from "../errors.ts";

/** tun_flags bits (include/uapi/linux/if_tun.h): the device is a tun (IP packets) or a tap (Ethernet frames). */
const IFF_TUN = 0x1, IFF_TAP = 0x2;

/** The interface names of this process's network namespace, or null when /proc does not say. */
export function interfaces(): string[] | null {
  let text: string;
  try {
    text = readFileSync("/proc/self/net/dev", "utf8");
  } catch {
    return null;
  }
  // Two header lines, then "  NAME: counters..." per interface.
  return text.split("\n").slice(2).flatMap((line) => {
    const colon = line.indexOf(":");
    return colon > 0 ? [line.slice(0, colon).trim()] : [];
  });
}

/** What kind of interface a name is, by sysfs: "unknown" when sysfs does not show it. */
type Kind = "tap" | "tun" | "other" | "unknown";

/** The text of /sys/class/net/NAME/FILE, or null. */
function sysfs(name: string, file: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, "utf8").trim();
  } catch {
    return null;
  }
}

function kindOf(name: string): Kind {
  const flags = sysfs(name, "tun_flags");
  if (flags === null) return sysfs(name, "ifindex") === null ? "unknown" : "other";
  const f = Number.parseInt(flags, 16);
  return (f & IFF_TAP) !== 0 ? "tap" : (f & IFF_TUN) !== 0 ? "tun" : "other";
}

/** Why an interface of each kind cannot be the tap (unknown: sysfs does not say, so the runtime or QEMU will). */
const NOT_A_TAP: Partial<Record<Kind, string>> = {
  tun: "a tun device (IP packets), not a tap (Ethernet frames)",
  other: "not a tap",
};

/** The taps among `names`. */
export function taps(names: string[]): string[] {
  return names.filter((n) => kindOf(n) === "tap");
}

/**
 * Throws a usage error unless `ifname` is a tap here. `flag` is the --net
 * value as given, `device` the network device of config.ts it attaches.
 * Says nothing when /proc cannot list the interfaces.
 */
export function requireTap(flag: string, device: string, ifname: string): void {
  const names = interfaces();
  if (names === null) return;
  const listing = (): string => {
    const here = taps(names);
    return `taps here: ${here.length > 0 ? here.join(", ") : "none"}`;
  };
  if (!names.includes(ifname)) {
    throw new UserError(`--net ${flag}: no network interface '${ifname}'; ${listing()} (add ',create' to create it: --net ${device}=tap:${ifname},create)`, 2);
  }
  const why = NOT_A_TAP[kindOf(ifname)];
  if (why !== undefined) throw new UserError(`--net ${flag}: '${ifname}' is ${why}; ${listing()}`, 2);
}
