// lib/net in AssemblyScript (helpers/as-unit.ts): wire formats, the
// interface layer, sockets and DHCP, the last over an in-memory wire between
// two stacks (as/net-link.ts).
import { describe } from "vitest";
import { asTests } from "./helpers/as-unit.ts";

describe("lib/net/wire", async () => {
  await asTests("as/net-wire.test-as.ts");
});

describe("lib/net/iface and lib/net/socket", async () => {
  await asTests("as/net-iface.test-as.ts");
});

describe("lib/net/socket/socket.ts: SocketSet", async () => {
  await asTests("as/net-socketset.test-as.ts");
});

describe("lib/net/iface/reassembly.ts", async () => {
  await asTests("as/net-reassembly.test-as.ts");
});

describe("lib/net/iface/fragmentation.ts", async () => {
  await asTests("as/net-fragmentation.test-as.ts");
});

describe("lib/net/socket/dhcp.ts", async () => {
  await asTests("as/net-dhcp.test-as.ts");
});
