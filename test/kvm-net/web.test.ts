// examples/web on the kvm target through QEMU's tap backend, the tap in a
// network namespace the test creates (tap-namespace.ts): curl inside the
// namespace gets the page byte for byte, then two URLs over one kept-alive
// connection, and a 404. test/http/web.test.ts covers kvm through QEMU's
// user networking and a --forward, with the full set of HTTP checks; this
// file is the path without QEMU's slirp in between (the guest's TCP talks to
// Linux's directly), on microvm (virtio-mmio) and q35 (virtio-pci, MSI-X).
//
// Under TCG unless ATOLL_QEMU_ACCEL=kvm: this host's KVM stops guests at SSE
// (tools/runtime/kvm/README.md). Needs root (a namespace, a tap), curl and
// qemu-system-x86_64; fails saying so otherwise.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import type { QemuMachine } from "../../tools/build/kvm.ts";
import { TapNamespace, stop, waitFor } from "./tap-namespace.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const WEB = path.join(root, "examples", "web");
const image = path.join(WEB, "dist", "web.kvm");
const page = readFileSync(path.join(WEB, "site", "index.html"));
const css = readFileSync(path.join(WEB, "site", "style.css"));
const net = new TapNamespace(`atoll-kvm-web-${process.pid}`, "atollkvmweb0");
const STARTED = /^web: 3 files on http:\/\/10\.0\.0\.2:80\//m;

/** curl inside the namespace; its standard output as bytes. */
function curl(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const [cmd, ...rest] = net.inside(["curl", "-s", "--max-time", "20", ...args]);
  const r = spawnSync(cmd!, rest, { timeout: 40_000 });
  if (r.error) return { status: null, stdout: Buffer.alloc(0), stderr: `curl could not run (npm run setup installs it): ${String(r.error)}` };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe(`examples/web on kvm through QEMU's tap backend in a namespace (${accel.toUpperCase()})`, () => {
  let nsError = "";
  beforeAll(() => {
    const built = atoll(["build", "-t", "kvm", "examples/web"]);
    expect(built.status, built.stderr).toBe(0);
    nsError = net.setup();
  }, 120_000);
  afterAll(() => net.teardown());

  for (const machine of ["microvm", "q35"] as QemuMachine[]) {
    it(`on ${machine}: curl gets the page, two URLs over one kept-alive connection, and a 404`, async () => {
      if (nsError !== "") throw new Error(nsError);
      const vm = net.boot(image, ["--ipv4=10.0.0.2/24"], accel, machine);
      try {
        await waitFor(vm, STARTED, 40_000);
        expect(vm.out()).toMatch(STARTED);

        const home = curl(["http://10.0.0.2/"]);
        expect(home.status, home.stderr).toBe(0);
        expect(home.stdout.equals(page), `the page as served:\n${home.stdout.toString()}`).toBe(true);

        // The second URL reuses the first's connection: num_connects 1, then 0.
        const two = curl(["-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects} %{size_download}\n", "http://10.0.0.2/", "http://10.0.0.2/style.css"]);
        expect(two.status, two.stderr).toBe(0);
        expect(two.stdout.toString()).toBe(`200 1 ${page.length}\n200 0 ${css.length}\n`);

        const missing = curl(["-o", "/dev/null", "-w", "%{http_code}", "http://10.0.0.2/no-such-page"]);
        expect(missing.stdout.toString()).toBe("404");
        expect(vm.child.exitCode).toBe(null);
      } finally {
        await stop(vm);
      }
    }, 90_000);
  }
});
