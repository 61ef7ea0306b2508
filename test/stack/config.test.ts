// device.stack(NET) in config.ts: checked like the other kinds, described on
// each target, and wired to the stack of the target (or refused where there
// is none yet).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";

function app(devices: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-stack-"));
  writeFileSync(path.join(dir, "config.ts"), `import { unikernel, device } from "${path.join(root, "tools/config/dsl.ts")}";\nexport default unikernel({ name: "s", main: "unikernel.ts", devices: [${devices}] });\n`);
  writeFileSync(path.join(dir, "unikernel.ts"), `export function start(): void {}\n`);
  return dir;
}

describe("device.stack", () => {
  it("describe: DirectStack over the tap on unix, with --ipv4 and --ipv4-gateway added to the arguments", () => {
    const r = atoll(["describe", "-t", "unix", "examples/tcp-echo"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stack 'net0' +Stack +← lib\/net\/direct-stack\.ts DirectStack over drivers\/host\/net\.ts HostNet/);
    expect(r.stdout).toContain("--ipv4=VALUE");
    expect(r.stdout).toContain("--ipv4-gateway=VALUE");
  });

  it("describe: the host's sockets on node, without --ipv4", () => {
    const r = atoll(["describe", "-t", "node", "examples/tcp-echo"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stack 'net0' +Stack +← drivers\/node\/stack\.ts NodeStack/);
    expect(r.stdout).not.toContain("--ipv4");
  });

  it("a mistyped kind is suggested, a bad name explained", () => {
    const typo = atoll(["describe", "-t", "unix", app(`{ kind: "stak", name: "net0" } as never`)]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/devices\[0\]\.kind: unknown kind "stak" \(did you mean 'stack'\?\)/);
    const bad = atoll(["describe", "-t", "unix", app(`device.stack("Net 0")`)]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`"Net 0" is not valid: lower-case letters, digits, '-' and '_', starting with a letter`);
  });

  it("atoll run --net tap:IFNAME attaches the stack's device on unix", () => {
    // The fixture, not an example: the example tests build those for unix at the same time.
    // ,create: no tap7 exists here, and atoll run refuses a tap that does not exist without it.
    const r = atoll(["run", "-t", "unix", "--net", "tap:tap7,create", "--dry-run", "test/fixtures/stack-loopback", "--", "--ipv4=10.0.0.9/24"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/stack-loopback\/dist\/loopback --atoll-net=net0=tap:tap7,create --ipv4=10\.0\.0\.9\/24$/);
  });
});
