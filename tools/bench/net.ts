// `npm run bench -- net`: HTTP requests per second, measured by wrk, of
// examples/web on unix (lib/net's TCP over a tap in a network namespace), on
// node (the host's sockets) and on kvm (virtio-net under QEMU: its tap
// backend on the same tap, and user networking with a forward), beside a
// Node.js http server and nginx serving the same page on the same machine;
// then TCP throughput each way between the host and lib/net's TCP on unix
// (the tap) and kvm (QEMU's tap backend, and user networking). One table.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import type { TargetName } from "../targets.ts";
import { qemuCommand } from "../build/kvm.ts";
import { qemuNetArgs } from "../build/qemu-net.ts";
import { formatTable, median } from "./table.ts";
import { runWrk, type WrkResult } from "./net-wrk.ts";
import { ensureTools, freePort, nginxConfig, nodeHttpScript, startServer, TapNamespace, type Server } from "./net-peers.ts";
import { tcpRows, TCP_LEGEND } from "./net-tcp.ts";

const WEB = path.join(repoRoot, "examples", "web");
const PAGE = path.join(WEB, "site", "index.html");
/** wrk's connections: a handful of concurrent keep-alive clients. */
const CONNECTIONS = 10;
const SECONDS = 5;
const KVM_ACCEL = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
/** The unikernel's and the host's addresses on the tap. */
export const GUEST_IP = "10.0.0.2";
export const HOST_CIDR = "10.0.0.1/24";
/** examples/web on kvm on the tap: its own address, as its MAC differs from the unix server's. */
const KVM_TAP_IP = "10.0.0.5";

async function artefact(dir: string, target: TargetName): Promise<string> {
  const { plan } = await configure(dir, target);
  await build(plan, new Report(() => {}));
  return plan.artefact;
}

/** One HTTP server to measure. */
interface Subject {
  name: string;
  /** How wrk reaches it. */
  via: string;
  /** Starts it; resolves to the server and the URL of its page. */
  start(): Promise<{ server: Server; url: string; prefix: string[] }>;
}

/** The page as `prefix curl` gets it, to check every server serves the same bytes. */
function fetchPage(url: string, prefix: string[]): Buffer {
  const argv = [...prefix, "curl", "-s", "--max-time", "5", url];
  return spawnSync(argv[0]!, argv.slice(1), { timeout: 10_000 }).stdout ?? Buffer.alloc(0);
}

/** Runs the net suite. */
export async function netBench(opts: { runs: number; scale?: number; only?: string[] }): Promise<number> {
  const log = (s: string): void => { process.stderr.write(s + "\n"); };
  ensureTools(log);
  const seconds = Math.max(1, Math.round(SECONDS * (opts.scale ?? 1)));
  const work = path.join(WEB, "_build", "bench-net");
  mkdirSync(work, { recursive: true });
  const page = readFileSync(PAGE);
  const notes: string[] = [];
  let failures = 0;
  const ns = new TapNamespace(`atoll-bench-${process.pid}`, "atollbench0", HOST_CIDR);
  let nsReady = "";
  try { ns.create(); } catch (e) { nsReady = (e as Error).message; }
  // An interrupted run still removes its namespace (and the tap the servers in it use).
  const interrupted = (): void => { ns.destroy(); process.exit(130); };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);

  const subjects: Subject[] = [
    {
      name: "examples/web, unix", via: "tap in a netns",
      async start() {
        if (nsReady) throw new Error(nsReady);
        const exe = await artefact(WEB, "unix");
        const url = `http://${GUEST_IP}/`;
        const server = await startServer("examples/web on unix", [...ns.exec, exe, `--atoll-net=net0=tap:${ns.tap}`, `--ipv4=${GUEST_IP}/24`, "--port=80"], url);
        return { server, url, prefix: ns.exec };
      },
    },
    {
      name: "examples/web, node", via: "loopback",
      async start() {
        const bundle = await artefact(WEB, "node");
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/`;
        return { server: await startServer("examples/web on node", [process.execPath, bundle, `--port=${port}`], url), url, prefix: [] };
      },
    },
    {
      // QEMU's tap backend on the namespace's tap: the guest's own TCP, no slirp in between (QEMU runs in the namespace; SIGTERM reaches it).
      name: `examples/web, kvm (${KVM_ACCEL.toUpperCase()})`, via: "QEMU tap backend, netns",
      async start() {
        if (nsReady) throw new Error(nsReady);
        const image = await artefact(WEB, "kvm");
        const url = `http://${KVM_TAP_IP}/`;
        const net = qemuNetArgs([{ name: "net0", backend: { kind: "tap", ifname: ns.tap } }], []);
        const [qemu, args] = qemuCommand(image, "64M", [`--ipv4=${KVM_TAP_IP}/24`, "--port=80"], KVM_ACCEL, net);
        return { server: await startServer("examples/web on kvm (tap)", [...ns.exec, qemu, ...args], url, 90_000), url, prefix: ns.exec };
      },
    },
    {
      // TCG unless ATOLL_QEMU_ACCEL=kvm: this host's KVM stops guests at SSE (tools/runtime/kvm/README.md).
      name: `examples/web, kvm (${KVM_ACCEL.toUpperCase()})`, via: "QEMU user net forward",
      async start() {
        await artefact(WEB, "kvm");
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/`;
        const argv = [process.execPath, path.join(repoRoot, "bin", "atoll.mjs"), "run", "-t", "kvm", "--net", "user", "--forward", `${port}:80`, WEB];
        return { server: await startServer("examples/web on kvm", argv, url, 90_000, { ATOLL_QEMU_ACCEL: KVM_ACCEL }), url, prefix: [] };
      },
    },
    {
      name: "Node.js http", via: "loopback",
      async start() {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/`;
        return { server: await startServer("Node.js http", [process.execPath, nodeHttpScript(work, PAGE), String(port)], url), url, prefix: [] };
      },
    },
    {
      name: "nginx (1 worker)", via: "loopback",
      async start() {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/`;
        const nginx = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        return { server: await startServer("nginx", [nginx, "-p", work, "-c", nginxConfig(work, path.dirname(PAGE), port)], url), url, prefix: [] };
      },
    },
  ];

  const rows: string[][] = [];
  try {
    for (const s of subjects) {
      if (opts.only && !opts.only.some((o) => s.name.includes(o))) continue;
      let started: Awaited<ReturnType<Subject["start"]>>;
      try {
        started = await s.start();
      } catch (e) {
        failures++;
        notes.push(`${s.name}: ${(e as Error).message.split("\n")[0]}`);
        rows.push(["HTTP req/s", s.name, s.via, "n/a", "", "", ""]);
        continue;
      }
      const { server, url, prefix } = started;
      try {
        const got = fetchPage(url, prefix);
        if (!got.equals(page)) { failures++; notes.push(`${s.name}: ${url} did not serve site/index.html (${got.length} bytes)`); }
        runWrk(url, 1, CONNECTIONS, prefix); // warm-up: JITs, caches, ARP
        const results: WrkResult[] = [];
        for (let i = 0; i < opts.runs; i++) {
          const r = runWrk(url, seconds, CONNECTIONS, prefix);
          if (typeof r === "string") { failures++; notes.push(`${s.name}: ${r}`); break; }
          results.push(r);
          log(`bench: ${s.name}: ${r.rps.toFixed(0)} req/s, ${r.latencyMs.toFixed(2)} ms mean, ${r.errors} errors`);
        }
        if (results.length === 0) { rows.push(["HTTP req/s", s.name, s.via, "n/a", "", "", ""]); continue; }
        const mid = [...results].sort((a, b) => a.rps - b.rps)[results.length >> 1]!;
        const errors = results.reduce((a, r) => a + r.errors, 0);
        if (errors > 0) notes.push(`${s.name}: ${errors} errors (non-2xx responses or socket errors) over ${results.reduce((a, r) => a + r.requests, 0)} requests`);
        if (server.child.exitCode !== null) { failures++; notes.push(`${s.name} exited ${server.child.exitCode} during the run: ${server.output().trim().slice(-300)}`); }
        rows.push(["HTTP req/s", s.name, s.via, median(results.map((r) => r.rps)).toFixed(0), mid.latencyMs.toFixed(2), mid.p99Ms.toFixed(2), String(errors)]);
      } finally {
        await server.stop();
      }
    }
    const tcp = await tcpRows({ ns: nsReady ? null : ns, runs: opts.runs, log, work, kvmAccel: KVM_ACCEL, freePort })
      .catch((e: unknown) => ({ rows: [] as string[][], notes: [`TCP transfer: ${(e as Error).message.split("\n")[0]}`], failures: 1 }));
    failures += tcp.failures;
    notes.push(...tcp.notes);
    for (const r of tcp.rows) rows.push(["TCP MB/s", r[0]!, r[1]!, r[2]!, "", "", ""]);
    process.stdout.write("\n" + formatTable(["measure", "subject", "via", "value", "mean ms", "p99 ms", "errors"], rows) + "\n");
    process.stdout.write(`\nHTTP: wrk -t1 -c${CONNECTIONS} -d${seconds}s on GET / (site/index.html, ${page.length} bytes, keep-alive), median of ${opts.runs} runs after a 1 s warm-up; mean and p99 latency of the median run.\n`);
    process.stdout.write(`unix: the unikernel on a tap in a network namespace (${GUEST_IP}), wrk in that namespace; kvm: QEMU -M microvm, virtio-net on QEMU's tap backend on that tap (${KVM_TAP_IP}, wrk in the namespace) or behind user networking with a host forward; the others on 127.0.0.1. All on this machine's ${navigatorCores()} cores, shared with wrk.\n`);
    if (tcp.rows.length > 0) process.stdout.write(TCP_LEGEND + "\n");
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
  } finally {
    ns.destroy();
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
  }
  return failures === 0 ? 0 : 1;
}

function navigatorCores(): number {
  const r = spawnSync("nproc", { encoding: "utf8" });
  return Number(r.stdout.trim()) || 0;
}
