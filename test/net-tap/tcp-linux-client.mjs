#!/usr/bin/env node
// The Linux side of test/net-tap/tcp-linux*.test.ts: Node's sockets (the
// kernel's TCP) talking to test/fixtures/tcp-peer, run inside the test's
// network namespace with `ip netns exec NS node tcp-linux-client.mjs CMD ...`.
// Plain JavaScript because Node 20 runs no TypeScript and this runs outside
// vitest. Prints one JSON line: what happened, with durations in ms.
//
//   send HOST PORT BYTES      random bytes to the sink, half-close, read its "BYTES FNV" answer
//   recv HOST PORT BYTES      read the source's pattern to EOF, checking every byte
//   seq HOST PORT COUNT       COUNT echo exchanges, one connection after another
//   seqrecv HOST PORT COUNT   COUNT connections one after another, each reading the source to its FIN
//   reuse HOST PORT COUNT     as seqrecv, every time from the same local port (the server holds TIME-WAIT for it)
//   slowread HOST PORT BYTES  the source, read with a pause of 2 s after the first chunk (a zero window)
//   hold HOST PORT COUNT      COUNT idle connections, held until stdin closes, then closed
//   conc HOST PORT COUNT      COUNT echo exchanges on connections open at once
//   refused HOST PORT         a connect that must be refused (RST to the SYN)
//   halfclose HOST PORT       sink: send, shutdown(SHUT_WR), still receive the answer
//   reset HOST PORT           echo: send, receive some, then abort with a RST
//   aborted HOST PORT         abort: send a byte, expect the peer's RST
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";

const [cmd, host, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText ?? "0");
const TIMEOUT_MS = Number(process.env.TCP_CLIENT_TIMEOUT_MS ?? "600000");

/**
 * FNV-1a 64 over the stream as little-endian 64-bit words (a last partial
 * word zero-filled), then its length: the fixture's Fnv64w. 64-bit
 * arithmetic in two 32-bit halves; the prime is 2^40 + 0x1b3.
 */
class Fnv64w {
  hi = 0xcbf29ce4;
  lo = 0x84222325;
  pending = Buffer.alloc(8);
  have = 0;
  length = 0;
  mix(wlo, whi) {
    const lo = (this.lo ^ wlo) >>> 0;
    const hi = (this.hi ^ whi) >>> 0;
    const p = lo * 0x1b3;
    this.hi = (Math.imul(hi, 0x1b3) + Math.floor(p / 4294967296) + (lo << 8)) >>> 0;
    this.lo = p >>> 0;
  }
  update(buf) {
    let i = 0;
    this.length += buf.length;
    while (this.have > 0 && i < buf.length) {
      this.pending[this.have++] = buf[i++];
      if (this.have === 8) { this.mix(this.pending.readUInt32LE(0), this.pending.readUInt32LE(4)); this.have = 0; }
    }
    for (; i + 8 <= buf.length; i += 8) this.mix(buf.readUInt32LE(i), buf.readUInt32LE(i + 4));
    while (i < buf.length) this.pending[this.have++] = buf[i++];
  }
  hex() {
    const save = [this.hi, this.lo];
    if (this.have > 0) {
      this.pending.fill(0, this.have);
      this.mix(this.pending.readUInt32LE(0), this.pending.readUInt32LE(4));
    }
    // The length as a 64-bit word.
    this.mix(this.length >>> 0, Math.floor(this.length / 4294967296) >>> 0);
    const out = this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
    [this.hi, this.lo] = save;
    return out;
  }
}

/** The fixture's source pattern: PATTERN_LEN bytes (a prime), repeated (test/fixtures/tcp-peer/unikernel.ts). */
const PATTERN_LEN = 65521;
const PATTERN = Buffer.alloc(PATTERN_LEN);
for (let j = 0; j < PATTERN_LEN; j++) {
  const k = j >>> 2;
  const w = (Math.imul(k, 0x9e3779b1) ^ (Math.imul(k, 0x85ebca6b) >>> 13)) >>> 0;
  PATTERN[j] = (w >>> ((j & 3) * 8)) & 0xff;
}

/** Fills `buf` with the pattern's bytes from stream offset `pos`. */
function patternInto(buf, pos) {
  let i = 0;
  while (i < buf.length) {
    const at = (pos + i) % PATTERN_LEN;
    const n = Math.min(buf.length - i, PATTERN_LEN - at);
    PATTERN.copy(buf, i, at, at + n);
    i += n;
  }
}

function connect(options = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true, noDelay: true, ...options });
    s.once("connect", () => { s.removeListener("error", reject); resolve(s); });
    s.once("error", reject);
  });
}

/** Reads until EOF; calls onData for each chunk; resolves when the peer closed. */
function drain(s, onData) {
  return new Promise((resolve, reject) => {
    s.on("data", onData);
    s.once("end", resolve);
    s.once("error", reject);
  });
}

function write(s, chunk) {
  return new Promise((resolve, reject) => {
    if (s.write(chunk)) resolve();
    else {
      const onErr = (e) => reject(e);
      s.once("error", onErr);
      s.once("drain", () => { s.removeListener("error", onErr); resolve(); });
    }
  });
}

async function send(bytes) {
  const t0 = performance.now();
  const s = await connect();
  const localPort = s.localPort;
  const connected = performance.now() - t0;
  const fnv = new Fnv64w();
  const sha = createHash("sha256");
  let reply = "";
  const done = drain(s, (d) => { reply += d.toString("latin1"); });
  const CHUNK = 1 << 20;
  for (let sent = 0; sent < bytes;) {
    const chunk = randomBytes(Math.min(CHUNK, bytes - sent));
    fnv.update(chunk);
    sha.update(chunk);
    await write(s, chunk);
    sent += chunk.length;
  }
  s.end();
  await done;
  s.destroy();
  const ms = performance.now() - t0;
  return { cmd, bytes, localPort, fnv: fnv.hex(), sha256: sha.digest("hex"), reply, connectMs: connected, ms, mbPerS: bytes / 1e6 / (ms / 1000) };
}

async function recv(bytes) {
  const t0 = performance.now();
  const s = await connect();
  const localPort = s.localPort;
  const got = createHash("sha256");
  const want = createHash("sha256");
  const fnv = new Fnv64w();
  let received = 0;
  let mismatchAt = -1;
  await drain(s, (d) => {
    const expected = Buffer.alloc(d.length);
    patternInto(expected, received);
    got.update(d);
    fnv.update(d);
    want.update(expected);
    if (mismatchAt < 0 && !expected.equals(d)) {
      for (let i = 0; i < d.length; i++) if (d[i] !== expected[i]) { mismatchAt = received + i; break; }
    }
    received += d.length;
  });
  s.end();
  s.destroy();
  const ms = performance.now() - t0;
  return { cmd, bytes, localPort, received, mismatchAt, fnv: fnv.hex(), sha256: got.digest("hex"), expectedSha256: want.digest("hex"), ms, mbPerS: received / 1e6 / (ms / 1000) };
}

/** One echo exchange: `size` bytes out, half-close, the same bytes back, EOF. */
async function echoOnce(i, size) {
  const t0 = performance.now();
  const s = await connect();
  const msg = Buffer.alloc(size);
  for (let j = 0; j < size; j++) msg[j] = (i * 31 + j * 7) & 0xff;
  const chunks = [];
  const done = drain(s, (d) => chunks.push(d));
  s.end(msg);
  await done;
  s.destroy();
  const back = Buffer.concat(chunks);
  return { ok: back.equals(msg), ms: performance.now() - t0, got: back.length };
}

/** One source connection read to EOF: the server closes first (its side holds TIME-WAIT). */
async function recvOnce(localPort) {
  const t0 = performance.now();
  const s = await connect(localPort === undefined ? {} : { localPort });
  const chunks = [];
  await drain(s, (d) => chunks.push(d));
  s.end();
  s.destroy();
  const got = Buffer.concat(chunks);
  const want = Buffer.alloc(got.length);
  patternInto(want, 0);
  return { ok: got.equals(want), got: got.length, ms: performance.now() - t0 };
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const q = (f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
  return { minMs: sorted[0], medianMs: q(0.5), p99Ms: q(0.99), maxMs: sorted[sorted.length - 1] };
}

async function seq(n) {
  const t0 = performance.now();
  const times = [];
  const failures = [];
  for (let i = 0; i < n; i++) {
    try {
      const r = await echoOnce(i, 100);
      times.push(r.ms);
      if (!r.ok) failures.push(`#${i}: echo of ${r.got} bytes differs`);
    } catch (e) {
      failures.push(`#${i}: ${e.code ?? e.message}`);
    }
  }
  return { cmd, count: n, completed: times.length, failures, ms: performance.now() - t0, ...summary(times) };
}

async function seqrecv(n) {
  const t0 = performance.now();
  const times = [];
  const failures = [];
  const sizes = new Set();
  for (let i = 0; i < n; i++) {
    try {
      const r = await recvOnce();
      times.push(r.ms);
      sizes.add(r.got);
      if (!r.ok) failures.push(`#${i}: the ${r.got} bytes differ from the pattern`);
    } catch (e) {
      failures.push(`#${i}: ${e.code ?? e.message}`);
    }
  }
  return { cmd, count: n, completed: times.length, sizes: [...sizes], failures, ms: performance.now() - t0, ...summary(times) };
}

async function reuse(n) {
  const t0 = performance.now();
  const times = [];
  const failures = [];
  // A port the kernel would not pick on its own (below its ephemeral range).
  const localPort = 20000 + (process.pid % 5000);
  // Linux's end of the last connection may still be in LAST-ACK for a moment
  // (the 4-tuple is busy: EADDRNOTAVAIL); wait for it, and count the waits.
  let waits = 0;
  for (let i = 0; i < n; i++) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await recvOnce(localPort);
        times.push(r.ms);
        if (!r.ok) failures.push(`#${i}: the ${r.got} bytes differ from the pattern`);
      } catch (e) {
        if (e.code === "EADDRNOTAVAIL" && attempt < 200) {
          waits++;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        failures.push(`#${i}: ${e.code ?? e.message}`);
      }
      break;
    }
  }
  return { cmd, count: n, localPort, completed: times.length, waits, failures, ms: performance.now() - t0, ...summary(times) };
}

async function slowread(bytes) {
  const t0 = performance.now();
  const s = await connect();
  const localPort = s.localPort;
  let received = 0;
  let mismatchAt = -1;
  let paused = false;
  await drain(s, (d) => {
    const expected = Buffer.alloc(d.length);
    patternInto(expected, received);
    if (mismatchAt < 0 && !expected.equals(d)) {
      for (let i = 0; i < d.length; i++) if (d[i] !== expected[i]) { mismatchAt = received + i; break; }
    }
    received += d.length;
    if (!paused) {
      paused = true;
      s.pause();
      setTimeout(() => s.resume(), 2000);
    }
  });
  s.end();
  s.destroy();
  return { cmd, bytes, localPort, received, mismatchAt, ms: performance.now() - t0 };
}

async function hold(n) {
  const t0 = performance.now();
  const socks = [];
  for (let i = 0; i < n; i++) socks.push(await connect());
  const connectedMs = performance.now() - t0;
  // Held until the test closes our stdin.
  await new Promise((r) => { process.stdin.on("end", r); process.stdin.on("close", r); process.stdin.resume(); });
  let alive = 0;
  for (const s of socks) {
    if (!s.destroyed && s.readyState === "open") alive++;
    s.destroy();
  }
  return { cmd, count: n, alive, connectedMs, ms: performance.now() - t0 };
}

async function conc(n) {
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => echoOnce(i, 1000)));
  const failures = [];
  const times = [];
  results.forEach((r, i) => {
    if (r.status === "rejected") failures.push(`#${i}: ${r.reason.code ?? r.reason.message}`);
    else {
      times.push(r.value.ms);
      if (!r.value.ok) failures.push(`#${i}: echo of ${r.value.got} bytes differs`);
    }
  });
  return { cmd, count: n, completed: times.length, failures, ms: performance.now() - t0, ...summary(times) };
}

async function refused() {
  const t0 = performance.now();
  try {
    const s = await connect();
    s.destroy();
    return { cmd, error: null, ms: performance.now() - t0 };
  } catch (e) {
    return { cmd, error: e.code ?? e.message, ms: performance.now() - t0 };
  }
}

async function halfclose() {
  const t0 = performance.now();
  const s = await connect();
  const msg = Buffer.from("hello, half-closed world");
  const fnv = new Fnv64w();
  fnv.update(msg);
  let reply = "";
  const done = drain(s, (d) => { reply += d.toString("latin1"); });
  s.end(msg);
  await done;
  s.destroy();
  return { cmd, sent: msg.length, fnv: fnv.hex(), reply, expected: `${msg.length} ${fnv.hex()}\n`, ms: performance.now() - t0 };
}

async function reset() {
  const t0 = performance.now();
  const s = await connect();
  const msg = Buffer.alloc(1000, 0x5a);
  let echoed = 0;
  await new Promise((resolve, reject) => {
    s.on("data", (d) => { echoed += d.length; if (echoed >= msg.length) resolve(); });
    s.once("error", reject);
    s.write(msg);
  });
  const localPort = s.localPort;
  s.resetAndDestroy();
  // The connection after it must work: the reset left the fixture healthy.
  await new Promise((r) => setTimeout(r, 100));
  const after = await echoOnce(1, 100);
  return { cmd, echoed, localPort, after, ms: performance.now() - t0 };
}

async function aborted() {
  const t0 = performance.now();
  const s = await connect();
  const outcome = await new Promise((resolve) => {
    s.once("error", (e) => resolve(e.code ?? e.message));
    s.once("end", () => resolve("EOF"));
    s.on("data", () => {});
    s.write("x");
  });
  s.destroy();
  return { cmd, error: outcome, ms: performance.now() - t0 };
}

const commands = {
  send: () => send(count),
  recv: () => recv(count),
  seq: () => seq(count),
  seqrecv: () => seqrecv(count),
  reuse: () => reuse(count),
  hold: () => hold(count),
  slowread: () => slowread(count),
  conc: () => conc(count),
  refused,
  halfclose,
  reset,
  aborted,
};

const run = commands[cmd];
if (run === undefined || !host || !(port > 0)) {
  process.stderr.write(`usage: tcp-linux-client.mjs ${Object.keys(commands).join("|")} HOST PORT [N]\n`);
  process.exit(2);
}
const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ cmd, error: `timed out after ${TIMEOUT_MS} ms` }) + "\n");
  process.exit(1);
}, TIMEOUT_MS);
try {
  const r = await run();
  process.stdout.write(JSON.stringify(r) + "\n");
  clearTimeout(timer);
} catch (e) {
  process.stdout.write(JSON.stringify({ cmd, error: e.code ?? e.message }) + "\n");
  process.exit(1);
}
