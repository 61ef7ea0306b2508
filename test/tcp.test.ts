// lib/net's TCP in AssemblyScript (helpers/as-unit.ts): the wire format and
// the pieces (sequence numbers, buffers, RTO, NewReno), every state
// transition against segment templates, SACK (scoreboard, RFC 6675
// recovery, the receiver's blocks), and two stacks on the in-memory
// link (as/net-link.ts) moving data through loss, reordering and duplication.
// The 10 MB each way through faults is a bench_ export (as-unit
// lists only test_ exports) and runs every time: it takes about 1.5 s.
import { describe, it } from "vitest";
import { asTests, loadAsTests } from "./helpers/as-unit.ts";

const BENCHES = ["bench_transfer_10mb_each_way_with_faults"];

describe("lib/net/wire/tcp.ts and the TCP building blocks", async () => {
  await asTests("as/tcp-wire.test-as.ts");
});

describe("lib/net/socket/tcp.ts state by state", async () => {
  await asTests("as/tcp-state.test-as.ts");
});

describe("SACK: scoreboard, RFC 6675 recovery, the receiver's blocks, a connection, two stacks", async () => {
  const m = await loadAsTests("as/tcp-sack.test-as.ts");
  for (const name of m.tests) {
    it(name.slice(5).replace(/_/g, " "), async () => {
      const out = await m.run(name);
      if (process.env.TCP_VERBOSE === "1" && out) process.stdout.write(out);
    });
  }
});

describe("TCP between two stacks", async () => {
  const m = await loadAsTests("as/tcp-stacks.test-as.ts");
  for (const name of m.tests) {
    it(name.slice(5).replace(/_/g, " "), async () => {
      const out = await m.run(name);
      if (process.env.TCP_VERBOSE === "1" && out) process.stdout.write(out);
    });
  }
  for (const name of BENCHES) {
    it(name.slice(6).replace(/_/g, " "), async () => {
      const out = await m.run(name);
      if (process.env.TCP_VERBOSE === "1" && out) process.stdout.write(out);
    }, 120_000);
  }
});
