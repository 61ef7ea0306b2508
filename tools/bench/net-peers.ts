// The processes the net bench measures and their plumbing: servers started
// as children and awaited until they answer HTTP, the reference servers
// (Node.js http, nginx) configured to serve the same page, a network
// namespace with a tap for the unix unikernel, and the tools the bench
// installs when missing (wrk, nginx).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

/** A server the bench started. */
export interface Server {
  name: string;
  child: ChildProcess;
  /** What it printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `argv` and resolves once `url` answers 200 (or rejects with its output after `timeoutMs`). */
export async function startServer(name: string, argv: string[], url: string, timeoutMs = 20_000, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  const server: Server = {
    name,
    child,
    output: () => out,
    // SIGTERM first: nginx's master then stops its workers, which SIGKILL
    // would orphan (still listening, and holding our pipes open). Waits for
    // "exit", not "close": a leftover holder of the pipes must not hang the bench.
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
      const force = setTimeout(() => child.kill("SIGKILL"), 3000);
      child.once("exit", () => { clearTimeout(force); resolve(); });
      child.kill("SIGTERM");
    }),
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode} before answering: ${out.trim()}`);
    if (await answers(url, argv[0] === "ip" ? argv.slice(0, 4) : [])) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s: ${out.trim()}`);
}

/** True when `url` answers 200; `prefix` runs curl elsewhere (a network namespace). */
async function answers(url: string, prefix: string[]): Promise<boolean> {
  const argv = [...prefix, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url];
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
    let code = "";
    c.stdout!.setEncoding("utf8").on("data", (s: string) => { code += s; });
    c.on("close", () => resolve(code === "200"));
    c.on("error", () => resolve(false));
  });
}

/** A TCP port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A Node.js http server script answering every GET with `file`'s bytes as text/html (what examples/web sends for /). */
export function nodeHttpScript(dir: string, file: string): string {
  const script = path.join(dir, "node-http.mjs");
  writeFileSync(script, `import http from "node:http";
import { readFileSync } from "node:fs";
const page = readFileSync(${JSON.stringify(file)});
const port = Number(process.argv[2]);
http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": page.length });
  res.end(req.method === "HEAD" ? undefined : page);
}).listen(port, "127.0.0.1");
`);
  return script;
}

/** An nginx configuration serving `root` on 127.0.0.1:`port` with one worker (the unikernel has one thread), no access log. */
export function nginxConfig(dir: string, root: string, port: number): string {
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(conf, `daemon off;
master_process on;
worker_processes 1;
user root;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "nginx-error.log")} warn;
events { worker_connections 1024; }
http {
  access_log off;
  types { text/html html; text/css css; }
  default_type application/octet-stream;
  charset utf-8;
  keepalive_requests 1000000;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
  }
}
`);
  return conf;
}

/** The command names the bench needs and the Debian packages that have them. */
const TOOLS: [string, string[]][] = [
  ["wrk", ["wrk"]],
  ["nginx", ["nginx-light", "nginx"]],
  ["ip", ["iproute2"]],
  ["curl", ["curl"]],
];

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Installs wrk and nginx (and the network tools) when missing; throws with apt's words when it cannot. */
export function ensureTools(log: (s: string) => void): void {
  const missing = TOOLS.filter(([cmd]) => !has(cmd));
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const apt = (args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(sudo.length ? "sudo" : "apt-get", [...(sudo.length ? ["apt-get"] : []), ...args], { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  log(`bench net: installing ${missing.map(([, p]) => p[0]).join(" ")}`);
  apt(["update", "-qq"]);
  for (const [cmd, pkgs] of missing) {
    let done = false;
    for (const p of pkgs) {
      if (apt(["install", "-y", "-qq", "--no-install-recommends", p]).status === 0 && has(cmd)) { done = true; break; }
    }
    if (!done) throw new Error(`cannot install ${pkgs.join(" or ")} (for ${cmd}) with apt-get; install it by hand`);
  }
}

/** A network namespace holding a tap whose host side has `hostAddr`; `exec` prefixes a command to run inside. */
export class TapNamespace {
  readonly exec: string[];
  constructor(readonly name: string, readonly tap: string, readonly hostAddr: string) {
    this.exec = ["ip", "netns", "exec", name];
  }

  /** Creates it; throws with ip's words when it cannot (root is needed). */
  create(): void {
    const ip = (args: string[]): void => {
      const r = spawnSync("ip", args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed (the unix rows need root for a network namespace and a tap): ${(r.stderr || String(r.error)).trim()}`);
    };
    ip(["netns", "add", this.name]);
    for (const step of [["tuntap", "add", "dev", this.tap, "mode", "tap"], ["addr", "add", this.hostAddr, "dev", this.tap], ["link", "set", this.tap, "up"], ["link", "set", "lo", "up"]]) {
      ip(["netns", "exec", this.name, "ip", ...step]);
    }
  }

  /** Removes it (and its tap). */
  destroy(): void {
    spawnSync("ip", ["netns", "del", this.name], { stdio: "ignore" });
  }
}
