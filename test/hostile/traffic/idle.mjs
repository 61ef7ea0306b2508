#!/usr/bin/env node
// Idle connections: opened (--count of them, or as many as will open in
// --seconds, stopping at --max-open held), at most --concurrency connects in
// flight, held without a byte sent, then closed with a FIN (waiting for the
// server's) or a RST. Counts how each connect ended (accepted, refused,
// reset, timed out) and what happened to the held ones (closed or reset by
// the server). When the opening ends it prints "opened ACCEPTED of ATTEMPTS"
// on standard error; with --hold=stdin it then holds them until its standard
// input ends, so a harness can look at the server meanwhile.
import { options, run, Tally, sleep, addresses } from "./client-main.mjs";
import { connect, close } from "./http-get.mjs";

const o = options("idle.mjs", "idle connections opened, held, then closed", {
  host: { kind: "string", doc: "the server's address" },
  port: { kind: "int", default: 80, doc: "its TCP port" },
  count: { kind: "int", default: 0, doc: "connections to attempt (0: as many as --seconds allow)" },
  seconds: { kind: "number", default: 0, doc: "how long to keep opening (0: until --count are attempted)" },
  concurrency: { kind: "int", default: 100, doc: "connects in flight at once" },
  "max-open": { kind: "int", default: 0, doc: "stop opening once this many are held (0: no limit); bounds the client's own files against a server that accepts everything" },
  hold: { kind: "string", default: "0", doc: "seconds to hold them after the opening, or stdin: until standard input ends" },
  close: { kind: "choice", of: ["fin", "rst"], default: "fin", doc: "how the held connections end" },
  sources: { kind: "list", default: "", doc: "local addresses to use in turn, e.g. 10.0.0.1,10.0.0.3-9" },
  "connect-timeout-ms": { kind: "int", default: 5000, doc: "a connect not established by then counts as timed out" },
  "close-timeout-ms": { kind: "int", default: 10000, doc: "how long a FIN waits for the server's" },
  deadline: { kind: "int", default: 3600, doc: "seconds after which the run reports what it has and fails" },
});
const holdSeconds = o.hold === "stdin" ? -1 : Number(o.hold);
if ((o.count === 0 && o.seconds === 0) || !(holdSeconds === -1 || holdSeconds >= 0)) {
  process.stderr.write("idle.mjs: give --count or --seconds (or both); --hold takes seconds or stdin\n");
  process.exit(2);
}

await run("idle", o.deadline * 1000, async (partial) => {
  const sources = addresses(o.sources);
  const connects = new Tally();
  const held = new Set();
  let attempts = 0, closedByServer = 0, resetWhileHeld = 0, peakHeld = 0;
  partial(() => ({ attempts, connects: connects.counts, held: held.size, closedByServer, resetWhileHeld }));
  const t0 = performance.now();
  const opening = () => (o.count === 0 || attempts < o.count) && (o.seconds === 0 || performance.now() - t0 < o.seconds * 1000)
    && (o["max-open"] === 0 || held.size < o["max-open"]);
  const worker = async () => {
    while (opening()) {
      const i = attempts++;
      try {
        const s = await connect(o.host, o.port, sources.length > 0 ? sources[i % sources.length] : undefined, o["connect-timeout-ms"]);
        connects.add("accepted");
        held.add(s);
        peakHeld = Math.max(peakHeld, held.size);
        // What the server does to a held connection: a FIN (an idle timeout, an eviction) or a RST.
        s.once("end", () => { closedByServer++; held.delete(s); s.destroy(); });
        s.once("error", () => { resetWhileHeld++; held.delete(s); s.destroy(); });
        s.resume();
      } catch (e) {
        connects.add(e.code ?? e.message);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const openMs = performance.now() - t0;
  process.stderr.write(`opened ${connects.get("accepted")} of ${attempts}\n`);
  if (holdSeconds < 0) await new Promise((r) => { process.stdin.once("end", r); process.stdin.once("close", r); process.stdin.resume(); });
  else await sleep(holdSeconds * 1000);
  const heldAtClose = held.size;
  const closing = [...held];
  for (const s of closing) { s.removeAllListeners("end"); s.removeAllListeners("error"); s.on("error", () => {}); }
  const c0 = performance.now();
  const answered = await Promise.all(closing.map((s) => close(s, o.close, o["close-timeout-ms"])));
  return {
    attempts, accepted: connects.get("accepted"), connects: connects.counts, openMs, perSecond: attempts / (openMs / 1000), peakHeld,
    closedByServer, resetWhileHeld, heldAtClose, close: o.close, finUnanswered: answered.filter((a) => !a).length, closeMs: performance.now() - c0,
  };
});
