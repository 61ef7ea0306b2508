// A UDP echo client for the stack tests: sends COUNT datagrams of varied
// sizes (1..MAX bytes, a deterministic pattern per datagram) to HOST:PORT
// with at most WINDOW unanswered at a time, checks that every echo is a
// byte-exact copy of one outstanding datagram, and prints one JSON line:
// {"sent","echoed","mismatched","missing","ms"}. It gives up when no echo
// comes for 3 s. Usage: node udp-client.mjs HOST PORT COUNT [WINDOW] [MAX]
import dgram from "node:dgram";

const [host, portText, countText, windowText = "32", maxText = "1472"] = process.argv.slice(2);
const port = Number(portText), count = Number(countText), window = Number(windowText), max = Number(maxText);

/** Datagram i: size 1..max spread over the range, bytes from a small LCG seeded with i. */
function payload(i) {
  const size = 1 + ((i * 7919) % max);
  const b = Buffer.alloc(size);
  let x = (i * 2654435761) >>> 0;
  for (let k = 0; k < size; k++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[k] = x >>> 24;
  }
  return b;
}

const socket = dgram.createSocket("udp4");
const outstanding = new Map(); // content -> how many sent and not echoed
let sent = 0, echoed = 0, mismatched = 0, inFlight = 0;
const started = process.hrtime.bigint();
let idle = null;

function finish() {
  clearTimeout(idle);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ sent, echoed, mismatched, missing: sent - echoed, ms: Math.round(ms) }) + "\n");
  socket.close();
}

function armIdle() {
  clearTimeout(idle);
  idle = setTimeout(finish, 3000);
}

function fill() {
  while (inFlight < window && sent < count) {
    const b = payload(sent);
    const key = b.toString("latin1");
    outstanding.set(key, (outstanding.get(key) ?? 0) + 1);
    socket.send(b, port, host);
    sent++;
    inFlight++;
  }
  if (echoed + mismatched >= count) finish();
}

socket.on("message", (msg) => {
  const key = msg.toString("latin1");
  const n = outstanding.get(key);
  if (n === undefined) mismatched++;
  else {
    if (n === 1) outstanding.delete(key);
    else outstanding.set(key, n - 1);
    echoed++;
    inFlight--;
  }
  armIdle();
  fill();
});
socket.bind(0, () => {
  armIdle();
  fill();
});
