// `atoll run --net` and `--forward`: which backend each network device of
// config.ts gets. unix passes them to the artefact as --atoll-net options
// (docs/abi.md); kvm turns them into QEMU -netdev and -device arguments
// (tools/build/qemu-net.ts). A tap must exist (taps.ts) unless the value
// says `tap:IFNAME,create`.
import path from "node:path";
import { loadConfig } from "../config/load.ts";
import { suggest } from "../config/validate.ts";
import { UserError } from "../errors.ts";
import { requireTap } from "./taps.ts";
import type { Forward, NetAttachment, NetBackend } from "../build/qemu-net.ts";
import type { TargetName } from "../targets.ts";

const BACKENDS = "tap:IFNAME, user or none";
/** The targets each backend kind exists on. */
const BACKEND_TARGETS: Record<NetBackend["kind"], TargetName[]> = { tap: ["unix", "kvm"], user: ["kvm"], none: ["unix", "kvm"] };

/** Reads one backend: tap:IFNAME[,create], user or none. */
function parseBackend(v: string, backend: string): NetBackend {
  if (backend === "user" || backend === "none") return { kind: backend };
  const [ifname, ...options] = backend.startsWith("tap:") ? backend.slice(4).split(",") : [""];
  // 15 bytes: Linux's IFNAMSIZ less the NUL; '/' and '=' are not in interface names.
  if (ifname === undefined || ifname.length === 0 || Buffer.byteLength(ifname) > 15 || /[\s/=]/.test(ifname)) {
    throw new UserError(`--net ${v}: expected ${BACKENDS}, with an interface name of 1 to 15 bytes after tap:, e.g. --net tap:tap0`, 2);
  }
  const unknown = options.filter((o) => o !== "create");
  if (unknown.length > 0 || options.length > 1) {
    throw new UserError(`--net ${v}: ${unknown.length > 0 ? `unknown tap option '${unknown[0]}'` : "',create' given twice"}; the tap backend is tap:IFNAME, or tap:IFNAME,create to create the tap when it does not exist`, 2);
  }
  return options.length === 1 ? { kind: "tap", ifname, create: true } : { kind: "tap", ifname };
}

/**
 * The backends of the `--net` values given, checked against config.ts's
 * network devices: `BACKEND` when config.ts declares exactly one, else
 * `NAME=BACKEND`; [] when there are none.
 */
export async function netAttachments(appDir: string, values: string[], target: TargetName): Promise<NetAttachment[]> {
  if (values.length === 0 && target !== "kvm") return []; // unix: the unikernel itself says what to pass
  const config = await loadConfig(appDir);
  const nets = config.unikernel.devices.flatMap((d) => (d.kind === "net" || d.kind === "stack" ? [d.name] : []));
  const shown = path.relative(process.cwd(), config.file) || config.file;
  const seen = new Set<string>();
  const out: NetAttachment[] = [];
  for (const v of values) {
    const eq = v.indexOf("=");
    const named = eq > 0 && !v.startsWith("tap:");
    const name = named ? v.slice(0, eq) : nets.length === 1 ? nets[0]! : null;
    if (name === null) throw new UserError(`--net ${v}: ${shown} declares ${nets.length === 0 ? "no network device" : `network devices ${nets.join(", ")}`}; say which with --net NAME=${v}`, 2);
    if (!nets.includes(name)) {
      const known = nets.length === 0 ? `it declares no network device` : `its network devices: ${nets.join(", ")}`;
      throw new UserError(`--net ${v}: ${shown} has no network device '${name}'${suggest(name, nets)}; ${known}`, 2);
    }
    const backend = parseBackend(v, named ? v.slice(eq + 1) : v);
    if (!BACKEND_TARGETS[backend.kind].includes(target)) {
      const have = (Object.keys(BACKEND_TARGETS) as NetBackend["kind"][]).filter((k) => BACKEND_TARGETS[k].includes(target));
      throw new UserError(`--net ${v}: the ${backend.kind} backend is not available on the ${target} target (${have.length > 0 ? `it has: ${have.join(", ")}` : "it has no network backend"})`, 2);
    }
    if (seen.has(name)) throw new UserError(`--net ${name}=... given twice`, 2);
    seen.add(name);
    if (backend.kind === "tap" && backend.create !== true) requireTap(v, name, backend.ifname);
    out.push({ name, backend });
  }
  // kvm matches devices by order (drivers/virtio/net.ts): every one needs its own, in config.ts's order.
  const missing = nets.filter((n) => !seen.has(n));
  if (target === "kvm" && missing.length > 0) {
    throw new UserError(`network device${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${shown} ${missing.length > 1 ? "have" : "has"} no backend; on the kvm target each needs --net NAME=${BACKENDS.replace(/, | or /g, "|")}, e.g. --net ${missing[0]}=user (none attaches nothing)`, 2);
  }
  return out.sort((x, y) => nets.indexOf(x.name) - nets.indexOf(y.name));
}

/** Reads one `--forward [tcp:|udp:]HOSTPORT:GUESTPORT`. */
export function parseForward(v: string): Forward {
  const m = /^(?:(tcp|udp):)?(\d{1,5}):(\d{1,5})$/.exec(v);
  const bad = (why: string): UserError => new UserError(`--forward ${v}: ${why}; expected [tcp:|udp:]HOSTPORT:GUESTPORT, e.g. --forward 8080:80`, 2);
  if (m === null) throw bad("not two port numbers");
  const host = Number(m[2]), guest = Number(m[3]);
  for (const [what, port] of [["host", host], ["guest", guest]] as const) {
    if (port < 1 || port > 65535) throw bad(`the ${what} port ${port} is outside 1-65535`);
  }
  return { proto: m[1] === "udp" ? "udp" : "tcp", host, guest };
}

/** The `--forward` values, which need exactly one `--net user` device. */
export function forwards(values: string[], nets: NetAttachment[]): Forward[] {
  if (values.length === 0) return [];
  const parsed = values.map(parseForward);
  const users = nets.filter((n) => n.backend.kind === "user");
  if (users.length !== 1) throw new UserError(`--forward needs exactly one network device on --net user (QEMU's user networking forwards the ports); ${users.length === 0 ? "none is" : `${users.length} are`}`, 2);
  const seen = new Set<string>();
  for (const f of parsed) {
    const key = `${f.proto}:${f.host}`;
    if (seen.has(key)) throw new UserError(`--forward: host ${f.proto} port ${f.host} is forwarded twice`, 2);
    seen.add(key);
  }
  return parsed;
}

/** The unix artefact's runtime options for `nets` (docs/abi.md's --atoll-net). */
export function unixNetOptions(nets: NetAttachment[]): string[] {
  return nets.map(({ name, backend }) => `--atoll-net=${name}=${backend.kind === "tap" ? `tap:${backend.ifname}${backend.create === true ? ",create" : ""}` : backend.kind}`);
}
