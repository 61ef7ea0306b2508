// The net bench's TCP rows: bulk transfer each way between the host's TCP
// (a Node.js client) and lib/net's TCP in a unikernel: on unix over the tap
// (the client in the network namespace), on kvm through QEMU's tap backend
// on the same tap (the guest's own throughput) and through QEMU's user
// networking and host forwards (slirp's TCP in between). The unikernel is test/fixtures/tcp-peer: its sink
// mode reads everything and answers "BYTES FNV" after the client's FIN, its
// source mode sends --bytes and closes.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import { qemuCommand } from "../build/kvm.ts";
import { qemuNetArgs } from "../build/qemu-net.ts";
import { median } from "./table.ts";
import type { TapNamespace } from "./net-peers.ts";

const PEER = path.join(repoRoot, "test", "fixtures", "tcp-peer");
/** Not examples/web's address: the host's neighbour cache may still hold that unikernel's MAC. */
const GUEST = "10.0.0.3";
/** The kvm peer on the tap: another address again, as its MAC differs from the unix peer's. */
const KVM_TAP_GUEST = "10.0.0.4";
const SINK_PORT = 5001;
const BYTES = 64 * 1024 * 1024;
/** Less under QEMU: TCG runs the guest's TCP an order of magnitude slower. */
const KVM_BYTES = 16 * 1024 * 1024;
/** QEMU user networking's guest address. */
const KVM_GUEST = "10.0.2.15";

/** The client: `send PORT BYTES` (then half-close and read the answer) or `recv PORT` (to EOF); prints "bytes ms". */
const CLIENT = `import net from "node:net";
const [cmd, host, port, bytes] = process.argv.slice(2);
const t0 = performance.now();
const s = net.connect({ host, port: Number(port), allowHalfOpen: true, noDelay: true });
let got = 0, answer = "";
s.on("error", (e) => { console.log("error " + e.message); process.exit(1); });
if (cmd === "send") {
  const chunk = Buffer.alloc(65536, 0x5a);
  let left = Number(bytes);
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { s.once("drain", pump); return; }
    }
    s.end();
  };
  s.on("connect", pump);
  s.on("data", (d) => { answer += d.toString(); });
  s.on("end", () => { console.log(answer.trim().split(" ")[0] + " " + (performance.now() - t0).toFixed(1)); s.destroy(); });
} else {
  s.on("data", (d) => { got += d.length; });
  s.on("end", () => { console.log(got + " " + (performance.now() - t0).toFixed(1)); s.destroy(); });
}
`;

/** A running peer and how the client reaches it. */
interface PeerRun {
  /** The client's command prefix (the namespace), host, sink port and source port. */
  prefix: string[];
  host: string;
  ports: [number, number];
  output(): string;
}

/** Spawns `argv` and waits for the peer's start line; a note saying why when it does not come. */
async function startPeer(argv: string[], env: Record<string, string>, timeoutMs: number): Promise<{ child: ReturnType<typeof spawn>; output: () => string } | string> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  const deadline = Date.now() + timeoutMs;
  while (!/sink on \d+/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (/sink on \d+/.test(out)) return { child, output: () => out };
  child.kill("SIGTERM");
  return `the peer did not start (status ${child.exitCode}): ${out.trim().slice(-300)}`;
}

/** SIGTERM (atoll run passes it on to QEMU), then waits for the exit. */
function stopChild(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => { clearTimeout(force); resolve(); });
    child.kill("SIGTERM");
  });
}

/** Sends to the sink and reads from the source `runs` times each; one row per direction. */
function measure(env: string, via: string, peer: PeerRun, bytes: number, o: { runs: number; log: (s: string) => void; work: string }, notes: string[]): { rows: string[][]; failures: number } {
  const client = path.join(o.work, "tcp-client.mjs");
  writeFileSync(client, CLIENT);
  const rows: string[][] = [];
  let failures = 0;
  for (const [dir, cmd, port] of [["host → unikernel (sink)", "send", peer.ports[0]], ["unikernel → host (source)", "recv", peer.ports[1]]] as const) {
    const label = `${env}: ${dir}`;
    const rates: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const argv = [...peer.prefix, process.execPath, client, cmd, peer.host, String(port), String(bytes)];
      const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 120_000 });
      const m = /^(\d+) ([\d.]+)$/m.exec(r.stdout ?? "");
      if (r.status !== 0 || !m || Number(m[1]) !== bytes) {
        failures++;
        notes.push(`${label}: ${(r.stdout || r.stderr || String(r.error)).trim().split("\n")[0]} (expected ${bytes} bytes); peer said: ${peer.output().trim().slice(-200)}`);
        break;
      }
      rates.push(bytes / 1e6 / (Number(m[2]) / 1000));
      o.log(`bench: TCP ${label}: ${rates[rates.length - 1]!.toFixed(1)} MB/s`);
    }
    rows.push([label, via, rates.length ? median(rates).toFixed(1) : "n/a"]);
  }
  return { rows, failures };
}

/** The rows of the TCP part, or why there are none. */
export async function tcpRows(o: { ns: TapNamespace | null; runs: number; log: (s: string) => void; work: string; kvmAccel: string; freePort: () => Promise<number> }): Promise<{ rows: string[][]; notes: string[]; failures: number }> {
  const rows: string[][] = [];
  const notes: string[] = [];
  if (!existsSync(path.join(PEER, "config.ts"))) return { rows, notes: ["TCP transfer rows need test/fixtures/tcp-peer (lib/net's TCP peer), which is not in this tree"], failures: 0 };
  // Built from a copy, so the bench never rewrites an artefact a test is running.
  const copy = path.join(o.work, "tcp-peer");
  mkdirSync(copy, { recursive: true });
  for (const f of ["config.ts", "unikernel.ts"]) copyFileSync(path.join(PEER, f), path.join(copy, f));
  let failures = 0;

  if (o.ns == null) { notes.push("TCP transfer on unix needs the network namespace (root)"); failures++; }
  else {
    const { plan } = await configure(copy, "unix");
    await build(plan, new Report(() => {}));
    const ns = o.ns;
    const started = await startPeer([...ns.exec, plan.artefact, `--atoll-net=net0=tap:${ns.tap}`, `--ipv4=${GUEST}/24`, "--mode=all", `--port=${SINK_PORT}`, `--bytes=${BYTES}`, "--quiet"], {}, 10_000);
    if (typeof started === "string") { notes.push(`TCP on unix: ${started}`); failures++; }
    else {
      try {
        const m = measure("unix", "tap in a netns", { prefix: ns.exec, host: GUEST, ports: [SINK_PORT, SINK_PORT + 1], output: started.output }, BYTES, o, notes);
        rows.push(...m.rows);
        failures += m.failures;
      } finally {
        await stopChild(started.child);
      }
    }
  }

  // kvm on the tap: the same peer as a VM, QEMU's tap backend in the namespace (`ip netns exec` execs QEMU, so SIGTERM reaches it).
  if (o.ns != null) {
    const ns = o.ns;
    const { plan } = await configure(copy, "kvm");
    await build(plan, new Report(() => {}));
    const net = qemuNetArgs([{ name: "net0", backend: { kind: "tap", ifname: ns.tap } }], []);
    const [qemu, qargs] = qemuCommand(plan.artefact, "128M", [`--ipv4=${KVM_TAP_GUEST}/24`, "--mode=all", `--port=${SINK_PORT}`, `--bytes=${BYTES}`, "--quiet"], o.kvmAccel === "kvm" ? "kvm" : "tcg", net);
    const started = await startPeer([...ns.exec, qemu, ...qargs], {}, 60_000);
    if (typeof started === "string") { notes.push(`TCP on kvm (tap): ${started}`); failures++; }
    else {
      try {
        const m = measure(`kvm (${o.kvmAccel.toUpperCase()})`, "QEMU tap backend, netns", { prefix: ns.exec, host: KVM_TAP_GUEST, ports: [SINK_PORT, SINK_PORT + 1], output: started.output }, BYTES, o, notes);
        rows.push(...m.rows);
        failures += m.failures;
      } finally {
        await stopChild(started.child);
      }
    }
  }

  // kvm: the same peer as a VM, reached through QEMU's user networking and two forwards.
  const sink = await o.freePort(), source = await o.freePort();
  const argv = [process.execPath, path.join(repoRoot, "bin", "atoll.mjs"), "run", "-t", "kvm", "--net", "user", "--forward", `${sink}:${SINK_PORT}`, "--forward", `${source}:${SINK_PORT + 1}`, copy,
    "--", `--ipv4=${KVM_GUEST}/24`, "--mode=all", `--port=${SINK_PORT}`, `--bytes=${KVM_BYTES}`, "--quiet"];
  const started = await startPeer(argv, { ATOLL_QEMU_ACCEL: o.kvmAccel }, 120_000);
  if (typeof started === "string") { notes.push(`TCP on kvm: ${started}`); failures++; }
  else {
    try {
      const m = measure(`kvm (${o.kvmAccel.toUpperCase()})`, "QEMU user net forward", { prefix: [], host: "127.0.0.1", ports: [sink, source], output: started.output }, KVM_BYTES, o, notes);
      rows.push(...m.rows);
      failures += m.failures;
    } finally {
      await stopChild(started.child);
    }
  }
  return { rows, notes, failures };
}

/** What the TCP rows' figures are. */
export const TCP_LEGEND = `TCP: test/fixtures/tcp-peer (lib/net's TCP) and a Node.js client (Linux TCP): on unix over the tap, the client in the namespace, ${BYTES >> 20} MiB per connection; on kvm through QEMU's tap backend on that tap, ${BYTES >> 20} MiB, and through QEMU's user-network forwards (slirp's own TCP relays), ${KVM_BYTES >> 20} MiB; from connect to the sink's answer or the source's close, median of the runs.`;
