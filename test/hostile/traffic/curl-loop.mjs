#!/usr/bin/env node
// A legitimate client beside an attack: curl fetching --url again and again
// (--parallel loops at once), each with `curl -m MAX-TIME`, until --seconds
// pass (or, with --stop=stdin, standard input ends, if that comes first). A fetch succeeds when
// curl exits 0 with status 200 and --bytes of body (when given). Reports the
// success ratio and how the others failed (curl's exit status: 7 refused,
// 28 timed out, 52 empty reply, 56 reset).
import { spawn } from "node:child_process";
import { options, run, Tally, spread } from "./client-main.mjs";

const o = options("curl-loop.mjs", "curl -m MAX-TIME in a loop for SECONDS", {
  url: { kind: "string", doc: "what to fetch" },
  seconds: { kind: "number", doc: "how long to keep fetching" },
  "max-time": { kind: "number", default: 2, doc: "curl's -m: seconds each fetch may take" },
  parallel: { kind: "int", default: 1, doc: "loops at once" },
  stop: { kind: "choice", of: ["time", "stdin"], default: "time", doc: "stdin: also stop when standard input ends (a harness ends the loop with its attack)" },
  bytes: { kind: "int", default: 0, doc: "the body's expected length (0: any)" },
  deadline: { kind: "int", default: 3600, doc: "seconds after which the run reports what it has and fails" },
});

/** One fetch: "ok", "status N", "size N" or "curl N" (curl's exit status); and its time. */
function fetchOnce() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn("curl", ["-s", "-o", "/dev/null", "-m", String(o["max-time"]), "-w", "%{http_code} %{size_download}", o.url], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    c.stdout.setEncoding("utf8").on("data", (d) => { out += d; });
    c.on("error", (e) => resolve({ outcome: `cannot run curl: ${e.code ?? e.message}`, ms: 0 }));
    c.on("close", (status) => {
      const [code, size] = out.split(" ").map(Number);
      const ms = performance.now() - t0;
      if (status !== 0) resolve({ outcome: `curl ${status}`, ms });
      else if (code !== 200) resolve({ outcome: `status ${code}`, ms });
      else if (o.bytes > 0 && size !== o.bytes) resolve({ outcome: `size ${size}`, ms });
      else resolve({ outcome: "ok", ms });
    });
  });
}

await run("curl-loop", o.deadline * 1000, async (partial) => {
  const outcomes = new Tally();
  const okTimes = [];
  let attempts = 0;
  partial(() => ({ attempts, outcomes: outcomes.counts }));
  let stopped = false;
  if (o.stop === "stdin") {
    process.stdin.once("end", () => { stopped = true; });
    process.stdin.resume();
  }
  const t0 = performance.now();
  const loop = async () => {
    while (!stopped && performance.now() - t0 < o.seconds * 1000) {
      attempts++;
      const r = await fetchOnce();
      outcomes.add(r.outcome);
      if (r.outcome === "ok") okTimes.push(r.ms);
      if (r.outcome.startsWith("cannot run")) throw new Error(r.outcome);
    }
  };
  await Promise.all(Array.from({ length: o.parallel }, loop));
  const ok = outcomes.get("ok");
  return { url: o.url, attempts, ok, failed: attempts - ok, ratio: attempts > 0 ? ok / attempts : 0, outcomes: outcomes.counts, okMs: spread(okTimes), ms: performance.now() - t0 };
});
