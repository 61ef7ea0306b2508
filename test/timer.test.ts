// lib/timer.ts in AssemblyScript (helpers/as-unit.ts): heap order against a
// model, cancellation that frees at once, re-arming.
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/timer.ts", async () => {
  await asTests("as/timer.test-as.ts");
});
