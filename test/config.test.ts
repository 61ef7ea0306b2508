// config.ts evaluation and its errors: each names the file, the line and
// the field, so a typo is found without reading the CLI's code.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../tools/config/load.ts";
import { UserError } from "../tools/errors.ts";
import { editDistance, parseSize } from "../tools/config/validate.ts";
import { maxMemoryPages } from "../tools/configure/memory-limit.ts";
import { stackLimitsFor } from "../tools/configure/stack-limits.ts";

function app(config: string, files: Record<string, string> = { "unikernel.ts": "export function start(): void {}\n" }): string {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-config-"));
  writeFileSync(path.join(dir, "config.ts"), config);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function problem(config: string, files?: Record<string, string>): Promise<string> {
  try {
    await loadConfig(app(config, files));
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error("the configuration was accepted");
}

const header = `import { unikernel, device, arg } from "atoll/config";\n`;

describe("config.ts", () => {
  it("loads a valid configuration", async () => {
    const dir = app(header + `export default unikernel({ name: "x", main: "unikernel.ts", devices: [device.console(), device.block("data", { size: "16M" })], args: { port: arg.int(80, "port") } });\n`);
    const c = await loadConfig(dir);
    expect(c.unikernel.name).toBe("x");
    expect(c.unikernel.devices).toEqual([{ kind: "console" }, { kind: "block", name: "data", size: "16M" }]);
    expect(c.mainFile).toBe(path.join(dir, "unikernel.ts"));
  });

  it("names the line and the field of a mistyped key and suggests the right one", async () => {
    const msg = await problem(header + `export default unikernel({\n  name: "x",\n  main: "unikernel.ts",\n  devcies: [device.console()],\n} as never);\n`);
    expect(msg).toMatch(/config\.ts:5: devcies: unknown field \(did you mean 'devices'\?\)/);
    expect(msg).toMatch(/config\.ts:\d+: devices: missing required field 'devices'/);
  });

  it("names a field of the wrong type with its path", async () => {
    const msg = await problem(header + `export default unikernel({\n  name: "x",\n  main: "unikernel.ts",\n  devices: [device.console()],\n  args: { port: { type: "int", default: "eighty", doc: "port" } },\n} as never);\n`);
    expect(msg).toMatch(/config\.ts:6: args\.port\.default: expected a number, got "eighty"/);
  });

  it("rejects a bad name, a bad size and an unknown device kind", async () => {
    expect(await problem(header + `export default unikernel({ name: "no spaces", main: "unikernel.ts", devices: [] });\n`)).toMatch(/name: "no spaces" is not valid/);
    expect(await problem(header + `export default unikernel({ name: "x", main: "unikernel.ts", devices: [], memory: "lots" });\n`)).toMatch(/memory: expected a size such as "512K"/);
    expect(await problem(header + `export default unikernel({ name: "x", main: "unikernel.ts", devices: [{ kind: "consol" } as never] });\n`)).toMatch(/devices\[0\]\.kind: unknown kind "consol" \(did you mean 'console'\?\)/);
  });

  it("points at the line of a call to a device builder that does not exist", async () => {
    const msg = await problem(header + `export default unikernel({\n  name: "x",\n  main: "unikernel.ts",\n  devices: [(device as any).consol()],\n});\n`);
    expect(msg).toMatch(/config\.ts:5: .*consol is not a function/);
  });

  it("reports a syntax error with its line and column", async () => {
    const msg = await problem(header + `export default unikernel({\n  name: "x",,\n});\n`);
    expect(msg).toMatch(/config\.ts:3:\d+: /);
  });

  it("needs a default export and an existing main file", async () => {
    expect(await problem(header + `export const u = 1;\n`)).toContain("has no default export");
    expect(await problem(header + `export default unikernel({ name: "x", main: "missing.ts", devices: [] });\n`)).toMatch(/config\.ts:2: main: missing\.ts not found/);
  });

  it("rejects a memory of less than one 64 KiB wasm page, naming the line", async () => {
    expect(await problem(header + `export default unikernel({\n  name: "x", main: "unikernel.ts", devices: [],\n  memory: "1K" });\n`)).toMatch(/config\.ts:4: memory: "1K" is less than the minimum, 65536 bytes/);
  });

  it("turns memory into linear memory's maximum in pages: none when absent, at most wasm32's 65536", () => {
    expect(maxMemoryPages(undefined)).toBeUndefined();
    expect(maxMemoryPages("16M")).toBe(256);
    expect(maxMemoryPages("100K")).toBe(1); // whole pages only
    expect(maxMemoryPages("8G")).toBe(65536);
  });

  it("derives a stack's limits from the unikernel's memory, and takes config.ts's where given", async () => {
    expect(stackLimitsFor({ kind: "stack", name: "net0" }, "32M")).toEqual({ maxConnections: 4096, maxTimeWait: 2048, bufferBytes: 4 * 1024 * 1024, connectionBuffer: 64 * 1024 });
    expect(stackLimitsFor({ kind: "stack", name: "net0" }, "8M")).toEqual({ maxConnections: 1024, maxTimeWait: 512, bufferBytes: 1024 * 1024, connectionBuffer: 64 * 1024 });
    expect(stackLimitsFor({ kind: "stack", name: "net0" }, "1M")).toEqual({ maxConnections: 128, maxTimeWait: 64, bufferBytes: 128 * 1024, connectionBuffer: 8 * 1024 });
    expect(stackLimitsFor({ kind: "stack", name: "net0", maxConnections: 64, bufferMemory: "2M", connectionBuffer: "16K" }, "32M"))
      .toEqual({ maxConnections: 64, maxTimeWait: 32, bufferBytes: 2 * 1024 * 1024, connectionBuffer: 16 * 1024 });
    expect(await problem(header + `export default unikernel({ name: "x", main: "unikernel.ts", devices: [device.stack("net0", { maxConnections: 0 })] });\n`)).toMatch(/maxConnections.*expected 1 or more, got 0/);
    expect(await problem(header + `export default unikernel({ name: "x", main: "unikernel.ts", devices: [device.stack("net0", { bufferMemory: "lots" })] });\n`)).toMatch(/bufferMemory.*expected a size/);
  });

  it("parses sizes and measures edit distance", () => {
    expect(parseSize("16M")).toBe(16 * 1024 * 1024);
    expect(parseSize("512")).toBe(512);
    expect(parseSize("1GiB")).toBe(1024 ** 3);
    expect(parseSize("1.5M")).toBeNull();
    expect(editDistance("devcies", "devices")).toBe(1);
    expect(editDistance("node", "nod")).toBe(1);
  });
});
