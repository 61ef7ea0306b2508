// lib/kv: the persistent key-value store, tested in AssemblyScript over
// in-memory devices that simulate power loss and decay (as/blockdev.ts).
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/kv: operations", async () => {
  await asTests("as/kv.test-as.ts");
});

describe("lib/kv: power loss", async () => {
  await asTests("as/kv-crash.test-as.ts");
});

describe("lib/kv: decay", async () => {
  await asTests("as/kv-corrupt.test-as.ts");
});
