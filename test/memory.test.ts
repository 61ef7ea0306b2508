// lib/heap.ts and lib/pool.ts in AssemblyScript (helpers/as-unit.ts): the
// heap's size and what is in use, checked against real allocations; what a
// buffer pool keeps. (lib/budget.ts is tested with the TCP buffers it
// bounds, in as/tcp-wire.test-as.ts.)
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/heap.ts", async () => {
  await asTests("as/heap.test-as.ts");
});

describe("lib/pool.ts", async () => {
  await asTests("as/pool.test-as.ts");
});
