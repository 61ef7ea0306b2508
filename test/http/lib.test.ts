// lib/http in AssemblyScript (helpers/as-unit.ts) over an in-memory TcpConn.
import { describe } from "vitest";
import { asTests } from "../helpers/as-unit.ts";

describe("lib/http", async () => {
  await asTests("as/http-server.test-as.ts");
});
