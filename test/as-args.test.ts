// lib/ code tested in AssemblyScript itself (helpers/as-unit.ts).
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/args.ts", async () => {
  await asTests("as/args.test-as.ts");
});
