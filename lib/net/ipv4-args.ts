// The runtime arguments that give an interface its address: --ipv4=ADDR/PREFIX
// and --ipv4-gateway=ADDR. Shared by DirectStack and examples/ping, so every
// unikernel on lib/net reads them alike and rejects a malformed one alike
// (status 2 and a sentence naming the value, before any frame is sent).

import { Args } from "../args";
import { AbiConsole } from "../console";
import { exit, EXIT_USAGE } from "../exit";
import { Ipv4Addr, IPV4_BROADCAST, IPV4_UNSPECIFIED, isMulticast, parseIpv4, prefixMask } from "./addr";

/** The names of the two arguments, as config.ts declares them. */
export const IPV4_ARG = "ipv4";
export const IPV4_GATEWAY_ARG = "ipv4-gateway";

/** What --ipv4 and --ipv4-gateway said; `error` is "" when both parsed. */
export class Ipv4Settings {
  /** 0 when --ipv4 was not given: the address is to come from DHCP. */
  address: Ipv4Addr = IPV4_UNSPECIFIED;
  prefixLen: i32 = 24;
  gateway: Ipv4Addr = IPV4_UNSPECIFIED;
  error: string = "";
  /** True when --ipv4 gave a static address. */
  get isStatic(): bool { return this.address != IPV4_UNSPECIFIED; }
}

/** Parses `ipv4` ("ADDR/PREFIX", "ADDR" for /24, or "" for DHCP) and `gateway` ("" for none). */
export function parseIpv4Settings(ipv4: string, gateway: string): Ipv4Settings {
  const s = new Ipv4Settings();
  if (ipv4.length > 0) {
    const slash = ipv4.indexOf("/");
    const addr = parseIpv4(slash < 0 ? ipv4 : ipv4.substring(0, slash));
    const prefix = slash < 0 ? 24 : parsePrefix(ipv4.substring(slash + 1));
    if (addr <= 0 || prefix < 1 || prefix > 32) {
      s.error = "--ipv4 takes ADDRESS/PREFIX with a prefix of 1 to 32, e.g. --ipv4=10.0.0.2/24, not '" + ipv4 + "'";
      return s;
    }
    if (isMulticast(<u32>addr) || <u32>addr == IPV4_BROADCAST) {
      s.error = "--ipv4 takes a unicast address, not the multicast or broadcast '" + ipv4 + "'";
      return s;
    }
    s.address = <u32>addr;
    s.prefixLen = prefix;
  }
  if (gateway.length > 0) {
    const gw = parseIpv4(gateway);
    if (gw <= 0) {
      s.error = "--ipv4-gateway takes an address, e.g. --ipv4-gateway=10.0.0.1, not '" + gateway + "'";
      return s;
    }
    if (s.isStatic && ((<u32>gw ^ s.address) & prefixMask(s.prefixLen)) != 0) {
      s.error = "--ipv4-gateway " + gateway + " is not on the subnet of --ipv4=" + ipv4 + ": a gateway must be a neighbour";
      return s;
    }
    s.gateway = <u32>gw;
  }
  return s;
}

/** The settings of the runtime arguments; a malformed one ends the unikernel with status 2 and says why. */
export function ipv4SettingsFromArgs(args: Args): Ipv4Settings {
  const s = parseIpv4Settings(args.string(IPV4_ARG), args.string(IPV4_GATEWAY_ARG));
  if (s.error.length > 0) {
    new AbiConsole().write("error: " + s.error + "\n");
    exit(EXIT_USAGE);
  }
  return s;
}

/** A decimal prefix length, or -1 for anything but 1 to 2 digits. */
function parsePrefix(s: string): i32 {
  if (s.length == 0 || s.length > 2) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
