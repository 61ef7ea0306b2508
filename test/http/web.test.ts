// examples/web through the real CLI and curl: the embedded site on node (the
// host's sockets, 127.0.0.1 and a free port), on unix (lib/net's TCP on a
// tap in a fresh network namespace; needs root, and fails saying so rather
// than skipping) and on kvm (virtio-net behind QEMU's user networking). On
// each: the page and a stylesheet with their types, one curl fetching two
// URLs over one kept-alive connection, 404 and 405, two pipelined requests
// on a raw socket answered in order, and a malformed request answered 400
// and closed.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { freeTcpPort } from "../helpers/ports.ts";
import { atollArgv, startServer, stopServer, type Server } from "../helpers/server.ts";

const WEB = path.join(root, "examples", "web");
const page = readFileSync(path.join(WEB, "site", "index.html"));
const css = readFileSync(path.join(WEB, "site", "style.css"));

/** Starts `argv` and waits for its "web: N files on http://..." line. */
function serve(argv: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Server> {
  return startServer(argv, /web: \d+ files on http:/, env, timeoutMs);
}

/** curl, optionally inside a namespace; stdout as a Buffer. */
function curl(args: string[], prefix: string[] = []): { status: number | null; stdout: Buffer; stderr: string } {
  const argv = [...prefix, "curl", "-s", "--max-time", "10", ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() + (r.error ? String(r.error) : "") };
}

/** The client side of the raw-socket check, as a script for `node -e` (it may run in a namespace). */
const RAW = `
const net = require("node:net");
const [host, port, request] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) }, () => s.write(request));
let got = "";
s.on("data", (d) => { got += d; });
const done = (r) => { process.stdout.write(JSON.stringify({ got, ...r })); process.exit(0); };
s.on("end", () => done({ closed: true }));
s.on("error", (e) => done({ error: e.message }));
setTimeout(() => done({ closed: false }), 5000);
`;

function raw(host: string, port: number, request: string, prefix: string[] = []): { got: string; closed?: boolean; error?: string } {
  const argv = [...prefix, process.execPath, "-e", RAW, host, String(port), request];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 20_000 });
  return JSON.parse(r.stdout || "{}") as { got: string; closed?: boolean; error?: string };
}

/** The checks both targets pass, against `base` ("http://HOST:PORT"). */
function checkSite(base: string, host: string, port: number, prefix: string[] = []): void {
  const home = curl(["-D", "-", `${base}/`], prefix);
  expect(home.status, home.stderr).toBe(0);
  const text = home.stdout.toString("latin1");
  const split = text.indexOf("\r\n\r\n");
  const head = text.slice(0, split);
  expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(head).toMatch(/\r\nContent-Type: text\/html; charset=utf-8\r\n/);
  expect(head).toMatch(new RegExp(`\\r\\nContent-Length: ${page.length}(\\r\\n|$)`));
  expect(head).toMatch(/\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
  expect(Buffer.from(text.slice(split + 4), "latin1").equals(page)).toBe(true);

  // Two URLs in one curl: the second reuses the first's connection (num_connects 0).
  const two = curl(["-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects} %{content_type} %{size_download}\n", `${base}/`, `${base}/style.css`], prefix);
  expect(two.status, two.stderr).toBe(0);
  expect(two.stdout.toString()).toBe(`200 1 text/html; charset=utf-8 ${page.length}\n200 0 text/css; charset=utf-8 ${css.length}\n`);

  const missing = curl(["-o", "/dev/null", "-w", "%{http_code}", `${base}/no-such-page`], prefix);
  expect(missing.stdout.toString()).toBe("404");
  const post = curl(["-o", "/dev/null", "-w", "%{http_code}", "-d", "x=1", `${base}/`], prefix);
  expect(post.stdout.toString()).toBe("405");

  // Two pipelined requests in one write: answered in order, the second's Connection: close honoured.
  const piped = raw(host, port, "GET /style.css HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", prefix);
  expect(piped.error).toBeUndefined();
  const cssAt = piped.got.indexOf(css.toString()), pageAt = piped.got.indexOf(page.toString());
  expect(cssAt).toBeGreaterThan(0);
  expect(pageAt).toBeGreaterThan(cssAt);
  expect(piped.got.split("HTTP/1.1 200 OK\r\n").length).toBe(3);
  expect(piped.closed, "closed after the Connection: close request").toBe(true);

  const bad = raw(host, port, "GET / HTTP/1.1\r\nBad Header : x\r\nHost: h\r\n\r\n", prefix);
  expect(bad.error).toBeUndefined();
  expect(bad.got).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  expect(bad.got).toMatch(/\r\nConnection: close\r\n/);
  expect(bad.closed, "the server closes after a 400").toBe(true);
}

describe("examples/web on node (host sockets)", () => {
  let bundle = "";
  beforeAll(() => {
    const r = atoll(["build", "-t", "node", "examples/web"]);
    expect(r.status, r.stderr).toBe(0);
    bundle = path.join(WEB, "dist", "web.mjs");
  });

  it("serves the embedded site to curl on 127.0.0.1 and a free port", async () => {
    const port = await freeTcpPort();
    const { child, out } = await serve([process.execPath, bundle, `--port=${port}`]);
    try {
      expect(out()).toMatch(new RegExp(`^web: 3 files on http://[0-9.]+:${port}/`, "m"));
      checkSite(`http://127.0.0.1:${port}`, "127.0.0.1", port);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("a --port outside 1-65535 or not a number is status 2 with a message", () => {
    for (const [arg, message] of [["--port=0", "error: --port takes a TCP port from 1 to 65535, not 0"], ["--port=65536", "error: --port takes a TCP port from 1 to 65535, not 65536"], ["--port=http", "error: --port takes an integer, not 'http'"]]) {
      const r = spawnSync(process.execPath, [bundle, arg!], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, arg).toBe(2);
      expect(r.stdout + r.stderr).toContain(message);
    }
  });
});

const NS = `atoll-web-${process.pid}`;
const TAP = "atollweb0";

describe("examples/web on unix (lib/net on a tap in a network namespace)", () => {
  let nsError = "";
  let exe = "";
  const ip = (args: string[]): { status: number | null; out: string } => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
  };
  beforeAll(() => {
    const r = atoll(["build", "-t", "unix", "examples/web"]);
    expect(r.status, r.stderr).toBe(0);
    exe = path.join(WEB, "dist", "web");
    const add = ip(["netns", "add", NS]);
    if (add.status !== 0) { nsError = `cannot create network namespace ${NS} (needs root or CAP_SYS_ADMIN, and iproute2): ${add.out.trim()}`; return; }
    for (const step of [["tuntap", "add", "dev", TAP, "mode", "tap"], ["addr", "add", "10.0.0.1/24", "dev", TAP], ["link", "set", TAP, "up"], ["link", "set", "lo", "up"]]) {
      const s = ip(["netns", "exec", NS, "ip", ...step]);
      if (s.status !== 0) { nsError = `ip ${step.join(" ")} in ${NS} failed: ${s.out.trim()}`; return; }
    }
  });
  afterAll(() => { ip(["netns", "del", NS]); });

  it("serves the embedded site on port 80 to curl in the namespace", async () => {
    if (nsError !== "") throw new Error(nsError);
    const inNs = ["ip", "netns", "exec", NS];
    const { child, out } = await serve([...inNs, exe, `--atoll-net=net0=tap:${TAP}`, "--ipv4=10.0.0.2/24"]);
    try {
      expect(out()).toMatch(/^web: 3 files on http:\/\/10\.0\.0\.2:80\//m);
      checkSite("http://10.0.0.2", "10.0.0.2", 80, inNs);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);
});

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";

// Under TCG unless ATOLL_QEMU_ACCEL=kvm: this host's KVM stops guests at SSE (see test/kvm-net/ping.test.ts).
describe(`examples/web on kvm (virtio-net, QEMU user networking and a TCP forward, ${accel.toUpperCase()})`, () => {
  it("serves the embedded site through the forward to 127.0.0.1", async () => {
    const port = await freeTcpPort();
    const { child, out } = await serve(atollArgv(["run", "-t", "kvm", "--net", "user", "--forward", `${port}:80`, "examples/web"]),
      { ATOLL_QEMU_ACCEL: accel }, 90_000);
    try {
      expect(out()).toMatch(/^web: 3 files on http:\/\/10\.0\.2\.15:80\//m);
      checkSite(`http://127.0.0.1:${port}`, "127.0.0.1", port);
      expect(child.exitCode).toBe(null);
    } finally {
      await stopServer({ child, out });
    }
  }, 150_000);
});
