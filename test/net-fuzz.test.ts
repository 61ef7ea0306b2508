// lib/net under fuzzing (issue 7): as/net-fuzz.test-as.ts feeds a million
// random and mutated frames to one interface and checks after every 10,000
// that it still answers ARP and ping from a clean peer and holds bounded
// state. The AssemblyScript side prints the seed and its counters; this
// prints how long the run took.
import { describe, it } from "vitest";
import { loadAsTests } from "./helpers/as-unit.ts";

describe("lib/net fuzzing", async () => {
  const m = await loadAsTests("as/net-fuzz.test-as.ts");
  for (const name of m.tests) {
    it(name.slice(5).replace(/_/g, " "), async () => {
      const t0 = performance.now();
      const out = await m.run(name);
      process.stdout.write(out.trimEnd() + ` in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }, 120_000);
  }
});
