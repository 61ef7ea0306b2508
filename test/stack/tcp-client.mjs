// A TCP echo client for the stack tests: opens CONNS connections to
// HOST:PORT at once, sends BYTES bytes on each (a pattern of its own per
// connection), then shuts down its sending side (half-close) and reads
// until the server closes too, checking every byte echoed. Prints one JSON
// line: {"conns","ok","bytes","errors":[...],"ms"}. Gives up after 40 s.
// With PAUSE_MS, each connection reads nothing for that long after it
// connects, so the server's sends back up and it must hold back (its
// writes cut short, then onWritable) rather than lose or reorder bytes.
// Usage: node tcp-client.mjs HOST PORT CONNS BYTES [PAUSE_MS]
import net from "node:net";

const [host, portText, connsText, bytesText, pauseText = "0"] = process.argv.slice(2);
const port = Number(portText), conns = Number(connsText), bytes = Number(bytesText), pauseMs = Number(pauseText);

function pattern(c) {
  const b = Buffer.alloc(bytes);
  let x = (c * 2246822519 + 1) >>> 0;
  for (let k = 0; k < bytes; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[k] = x >>> 16;
  }
  return b;
}

const started = process.hrtime.bigint();
const errors = [];
let ok = 0, total = 0, finished = 0;

function done() {
  if (++finished < conns) return;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ conns, ok, bytes: total, errors, ms: Math.round(ms) }) + "\n");
  process.exit(0);
}

for (let c = 0; c < conns; c++) {
  const data = pattern(c);
  const got = [];
  let received = 0, ended = false, counted = false;
  const s = net.connect({ host, port, allowHalfOpen: true });
  s.on("connect", () => {
    if (pauseMs > 0) {
      s.pause();
      setTimeout(() => s.resume(), pauseMs);
    }
    // Written in pieces so the client itself feels back-pressure.
    let off = 0;
    const pump = () => {
      while (off < data.length) {
        const piece = data.subarray(off, off + 65536);
        off += piece.length;
        if (!s.write(piece)) return s.once("drain", pump);
      }
      s.end();
    };
    pump();
  });
  s.on("data", (d) => { got.push(d); received += d.length; });
  s.on("end", () => { ended = true; });
  s.on("error", (e) => errors.push(`conn ${c}: ${e.code ?? e.message}`));
  s.on("close", () => {
    if (counted) return;
    counted = true;
    total += received;
    const echo = Buffer.concat(got);
    if (!ended) errors.push(`conn ${c}: closed without the server's FIN`);
    else if (!echo.equals(data)) errors.push(`conn ${c}: echo differs (${echo.length} of ${data.length} bytes)`);
    else ok++;
    done();
  });
}
setTimeout(() => {
  errors.push(`gave up after 40 s with ${finished} of ${conns} connections finished`);
  finished = conns - 1;
  done();
}, 40_000).unref();
