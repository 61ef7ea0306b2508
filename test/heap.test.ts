// lib/heap.ts in AssemblyScript (helpers/as-unit.ts): the heap's size and
// what is in use, checked against real allocations.
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/heap.ts", async () => {
  await asTests("as/heap.test-as.ts");
});
