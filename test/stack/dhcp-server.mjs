// A DHCP server of the least kind (RFC 2131), for the stack tests: answers
// every DISCOVER with an OFFER and every REQUEST with an ACK of ADDRESS/24,
// server and router 10.0.0.1, a one-hour lease, broadcast to the subnet
// (10.0.0.255). Runs inside the test's namespace for SECONDS, then exits.
// Usage: node dhcp-server.mjs ADDRESS SECONDS
import dgram from "node:dgram";

const [address, secondsText] = process.argv.slice(2);
const MAGIC = [99, 130, 83, 99];
const quad = (s) => s.split(".").map(Number);

/** The value of option `code` of a request, or null. */
function option(msg, code) {
  for (let i = 240; i < msg.length; ) {
    const c = msg[i];
    if (c === 255) break;
    if (c === 0) { i++; continue; }
    const len = msg[i + 1];
    if (c === code) return msg.subarray(i + 2, i + 2 + len);
    i += 2 + len;
  }
  return null;
}

function reply(req, type) {
  const b = Buffer.alloc(300);
  b[0] = 2; b[1] = 1; b[2] = 6; // BOOTREPLY, Ethernet, 6-byte address
  req.copy(b, 4, 4, 8); // xid
  req.copy(b, 10, 10, 12); // flags
  b.set(quad(address), 16); // yiaddr
  req.copy(b, 28, 28, 44); // chaddr
  b.set(MAGIC, 236);
  const opts = [53, 1, type, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1, 255];
  b.set(opts, 240);
  return b;
}

const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
s.on("message", (msg) => {
  if (msg.length < 241 || msg[0] !== 1 || !MAGIC.every((v, i) => msg[236 + i] === v)) return;
  const t = option(msg, 53)?.[0];
  const answer = t === 1 ? 2 : t === 3 ? 5 : 0; // DISCOVER -> OFFER, REQUEST -> ACK
  if (answer === 0) return;
  s.send(reply(msg, answer), 68, "10.0.0.255");
  process.stdout.write(`${t === 1 ? "offer" : "ack"} ${address}\n`);
});
s.bind(67, "0.0.0.0", () => s.setBroadcast(true));
setTimeout(() => s.close(), Number(secondsText) * 1000);
