// One HTTP/1.1 GET on a connection: the request written, the response's
// head parsed and its Content-Length of body read. Enough HTTP for the lab's
// clients, which count outcomes; curl is the full-featured peer.
import net from "node:net";

/** A connect to host:port from `localAddress` (or the kernel's choice); resolves with the socket once established. */
export function connect(host, port, localAddress, timeoutMs) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress, noDelay: true, allowHalfOpen: true });
    const timer = setTimeout(() => { s.destroy(); reject(Object.assign(new Error("connect timed out"), { code: "CONNECT_TIMEOUT" })); }, timeoutMs);
    s.once("connect", () => { clearTimeout(timer); s.removeListener("error", onError); resolve(s); });
    const onError = (e) => { clearTimeout(timer); s.destroy(); reject(e); };
    s.once("error", onError);
  });
}

/**
 * Sends GET `path` on `s` and reads one response; resolves { status, body }
 * (body: its length) or rejects with a code: ECONNRESET, EOF (closed before
 * the response ended), BAD_RESPONSE, RESPONSE_TIMEOUT.
 */
export function get(s, host, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let status = 0, length = -1, body = 0, inBody = false;
    const done = (err, value) => {
      clearTimeout(timer);
      s.removeListener("data", onData);
      s.removeListener("end", onEnd);
      s.removeListener("error", onError);
      if (err) reject(err); else resolve(value);
    };
    const fail = (code, message) => done(Object.assign(new Error(message), { code }));
    const timer = setTimeout(() => fail("RESPONSE_TIMEOUT", `no whole response within ${timeoutMs} ms`), timeoutMs);
    const onData = (d) => {
      if (!inBody) {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > 16384) fail("BAD_RESPONSE", "a response head over 16 KiB");
          return;
        }
        const text = head.subarray(0, end).toString("latin1");
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (m === null || cl === null) { fail("BAD_RESPONSE", `unexpected head: ${JSON.stringify(text.slice(0, 80))}`); return; }
        status = Number(m[1]);
        length = Number(cl[1]);
        inBody = true;
        d = head.subarray(end + 4);
      }
      body += d.length;
      if (body >= length) done(null, { status, body });
    };
    const onEnd = () => fail("EOF", `closed after ${inBody ? `${body} of ${length} body bytes` : `${head.length} bytes of head`}`);
    const onError = (e) => done(e);
    s.on("data", onData);
    s.once("end", onEnd);
    s.once("error", onError);
    s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: atoll-lab\r\n\r\n`);
  });
}

/**
 * Closes `s` with a FIN and waits for the server's FIN (true), or sends a RST
 * at once (resolves true); false when the server's FIN did not come within `timeoutMs`.
 */
export function close(s, how, timeoutMs) {
  if (how === "rst") {
    s.resetAndDestroy();
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    if (s.readableEnded) { s.end(); s.destroy(); resolve(true); return; }
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, timeoutMs);
    const finish = (ok) => { clearTimeout(timer); s.destroy(); resolve(ok); };
    s.once("end", () => finish(true));
    s.once("error", () => finish(false));
    s.resume();
    s.end();
  });
}
