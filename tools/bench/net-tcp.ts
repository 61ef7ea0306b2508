// The net bench's TCP rows: bulk transfer each way between the host's TCP
// (a Node.js client in the network namespace) and lib/net's TCP in a unix
// unikernel on the tap. The unikernel is test/fixtures/tcp-peer: its sink
// mode reads everything and answers "BYTES FNV" after the client's FIN, its
// source mode sends --bytes and closes.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import { median } from "./table.ts";
import type { TapNamespace } from "./net-peers.ts";

const PEER = path.join(repoRoot, "test", "fixtures", "tcp-peer");
/** Not examples/web's address: the host's neighbour cache may still hold that unikernel's MAC. */
const GUEST = "10.0.0.3";
const SINK_PORT = 5001;
const BYTES = 64 * 1024 * 1024;

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

/** The rows of the TCP part, or why there are none. */
export async function tcpRows(o: { ns: TapNamespace | null; runs: number; log: (s: string) => void; work: string }): Promise<{ rows: string[][]; notes: string[]; failures: number }> {
  const rows: string[][] = [];
  const notes: string[] = [];
  if (o.ns == null) return { rows, notes: ["TCP transfer rows need the network namespace (root)"], failures: 1 };
  if (!existsSync(path.join(PEER, "config.ts"))) return { rows, notes: ["TCP transfer rows need test/fixtures/tcp-peer (lib/net's TCP peer), which is not in this tree"], failures: 0 };
  // Built from a copy, so the bench never rewrites an artefact a test is running.
  const copy = path.join(o.work, "tcp-peer");
  mkdirSync(copy, { recursive: true });
  for (const f of ["config.ts", "unikernel.ts"]) copyFileSync(path.join(PEER, f), path.join(copy, f));
  const { plan } = await configure(copy, "unix");
  await build(plan, new Report(() => {}));
  const client = path.join(o.work, "tcp-client.mjs");
  writeFileSync(client, CLIENT);
  const ns = o.ns;
  const peer = spawn(ns.exec[0]!, [...ns.exec.slice(1), plan.artefact, `--atoll-net=net0=tap:${ns.tap}`, `--ipv4=${GUEST}/24`, "--mode=all", `--port=${SINK_PORT}`, `--bytes=${BYTES}`, "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  peer.stdout.setEncoding("utf8").on("data", (s: string) => { out += s; });
  peer.stderr.setEncoding("utf8").on("data", (s: string) => { out += s; });
  let failures = 0;
  try {
    await new Promise((r) => setTimeout(r, 500));
    for (const [label, cmd, port] of [["host → unikernel (sink)", "send", SINK_PORT], ["unikernel → host (source)", "recv", SINK_PORT + 1]] as const) {
      const rates: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const r = spawnSync(ns.exec[0]!, [...ns.exec.slice(1), process.execPath, client, cmd, GUEST, String(port), String(BYTES)], { encoding: "utf8", timeout: 60_000 });
        const m = /^(\d+) ([\d.]+)$/m.exec(r.stdout ?? "");
        if (r.status !== 0 || !m || Number(m[1]) !== BYTES) {
          failures++;
          notes.push(`${label}: ${(r.stdout || r.stderr || String(r.error)).trim().split("\n")[0]} (expected ${BYTES} bytes); peer said: ${out.trim().slice(-200)}`);
          break;
        }
        rates.push(BYTES / 1e6 / (Number(m[2]) / 1000));
        o.log(`bench: TCP ${label}: ${rates[rates.length - 1]!.toFixed(1)} MB/s`);
      }
      rows.push([label, "tap in a netns", rates.length ? median(rates).toFixed(1) : "n/a"]);
    }
  } finally {
    peer.kill("SIGKILL");
  }
  return { rows, notes, failures };
}

/** What the TCP table's figures are. */
export const TCP_LEGEND = `TCP: test/fixtures/tcp-peer on unix (lib/net's TCP) on the tap, a Node.js client (Linux TCP) in the namespace; ${BYTES >> 20} MiB per connection, from connect to the sink's answer or the source's close, median of the runs.`;
