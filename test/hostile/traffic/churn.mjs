#!/usr/bin/env node
// Connection churn: COUNT connections, at most CONCURRENCY at a time, each
// one GET of --path and then closed with a FIN (waiting for the server's) or
// a RST. Counts every outcome; a connection fails when its connect, its
// response (status 200 with the whole body) or, for FIN, the server's FIN
// does not come. Local addresses from --sources in turn, so that 200,000
// connections do not run out of ephemeral ports (each FIN-closed one holds
// its port in TIME-WAIT for 60 s).
import { options, run, Tally, spread, addresses } from "./client-main.mjs";
import { connect, get, close } from "./http-get.mjs";

const o = options("churn.mjs", "COUNT connections with one GET each, closed with FIN or RST", {
  host: { kind: "string", doc: "the server's address" },
  port: { kind: "int", default: 80, doc: "its TCP port" },
  path: { kind: "string", default: "/", doc: "what to GET" },
  count: { kind: "int", doc: "connections in all" },
  concurrency: { kind: "int", default: 1, doc: "connections open at once" },
  close: { kind: "choice", of: ["fin", "rst"], default: "fin", doc: "how each connection ends" },
  sources: { kind: "list", default: "", doc: "local addresses to use in turn, e.g. 10.0.0.1,10.0.0.3-9 (default: the kernel's choice)" },
  "timeout-ms": { kind: "int", default: 10000, doc: "for each connect, response and closing FIN" },
  deadline: { kind: "int", default: 3600, doc: "seconds after which the run reports what it has and fails" },
});

await run("churn", o.deadline * 1000, async (partial) => {
  const sources = addresses(o.sources);
  const outcomes = new Tally();
  const firstFailures = [];
  const times = [];
  let next = 0, completed = 0;
  const t0 = performance.now();
  partial(() => ({ count: o.count, completed, outcomes: outcomes.counts, firstFailures }));
  const failed = (i, stage, e) => {
    const key = `${stage}: ${e.code ?? e.message}`;
    outcomes.add(key);
    if (firstFailures.length < 10) firstFailures.push(`#${i} ${key}`);
  };
  const one = async (i) => {
    const c0 = performance.now();
    let s;
    try {
      s = await connect(o.host, o.port, sources.length > 0 ? sources[i % sources.length] : undefined, o["timeout-ms"]);
    } catch (e) { failed(i, "connect", e); return; }
    try {
      const r = await get(s, o.host, o.path, o["timeout-ms"]);
      if (r.status !== 200) { failed(i, "response", { code: `status ${r.status}` }); s.destroy(); return; }
    } catch (e) { failed(i, "response", e); s.destroy(); return; }
    if (!(await close(s, o.close, o["timeout-ms"]))) { failed(i, "close", { code: "no FIN from the server" }); return; }
    outcomes.add("ok");
    completed++;
    times.push(performance.now() - c0);
  };
  const worker = async () => { while (next < o.count) await one(next++); };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker));
  const ms = performance.now() - t0;
  return { count: o.count, close: o.close, concurrency: o.concurrency, completed, failed: o.count - completed, outcomes: outcomes.counts, firstFailures, ms, perSecond: o.count / (ms / 1000), connectionMs: spread(times) };
});
