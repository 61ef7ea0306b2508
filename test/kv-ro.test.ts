// Read-only embedded data (config.ts `device.kvRo`), through the real CLI: an
// app lists and checksums a folder embedded at build time on node, unix and
// kvm (QEMU); a changed file rebuilds; a missing folder, a file too large and
// a symbolic link are errors that name config.ts's line and the path.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { atoll } from "./helpers/cli.ts";

const config = (dir: string): string => `import { unikernel, device } from "atoll/config";

export default unikernel({
  name: "embed",
  main: "unikernel.ts",
  devices: [
    device.console(),
    device.kvRo("site", ${JSON.stringify(dir)}),
  ],
});
`;

const app = `import { Console } from "atoll/console";
import { ReadOnlyKv } from "atoll/kv/ro";

function fnv1a(b: Uint8Array): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = (h ^ b[i]) * 16777619;
  return h;
}

export function start(out: Console, kv: ReadOnlyKv): void {
  const keys = kv.list("");
  out.log(kv.name + ": " + keys.length.toString() + " files");
  for (let i = 0; i < keys.length; i++) {
    const v = kv.get(keys[i])!;
    out.log(keys[i] + " " + kv.size(keys[i]).toString() + " " + fnv1a(v).toString(16));
  }
  out.log("docs/: " + kv.list("docs/").join(","));
  out.log("index.html: " + String.UTF8.decode(kv.get("index.html")!.buffer));
  out.log("missing: " + (kv.get("nope") === null ? "null" : "?") + " " + kv.size("nope").toString());
}
`;

function fnv1a(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h.toString(16);
}

const binary = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) & 0xff);

/** A fresh app folder with an embedded folder: nested folders, a binary file, an empty file. */
function makeApp(): { parent: string; dir: string } {
  const parent = mkdtempSync(path.join(tmpdir(), "atoll-kvro-"));
  const dir = path.join(parent, "embed");
  mkdirSync(path.join(dir, "www", "docs", "deep"), { recursive: true });
  writeFileSync(path.join(dir, "config.ts"), config("www"));
  writeFileSync(path.join(dir, "unikernel.ts"), app);
  writeFileSync(path.join(dir, "www", "index.html"), "<h1>hi</h1>");
  writeFileSync(path.join(dir, "www", "docs", "a.txt"), "alpha\n");
  writeFileSync(path.join(dir, "www", "docs", "deep", "b.bin"), binary);
  writeFileSync(path.join(dir, "www", "empty"), "");
  return { parent, dir };
}

function expected(index: string): string {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  return [
    "site: 4 files",
    `docs/a.txt 6 ${fnv1a(enc("alpha\n"))}`,
    `docs/deep/b.bin 3000 ${fnv1a(binary)}`,
    `empty 0 ${fnv1a(new Uint8Array(0))}`,
    `index.html ${enc(index).length} ${fnv1a(enc(index))}`,
    "docs/: docs/a.txt,docs/deep/b.bin",
    `index.html: ${index}`,
    "missing: null -1",
    "",
  ].join("\n");
}

const targets = ["node", ...(process.platform === "linux" && process.arch === "x64" ? ["unix", "kvm"] : [])];

describe("kvRo: a folder embedded at build time", () => {
  for (const target of targets) {
    it(`lists, reads and checksums the embedded files on ${target}; a changed file rebuilds`, () => {
      const { parent } = makeApp();
      const r = atoll(["run", "-t", target, "embed"], parent);
      expect(r.stderr).toContain("building embed");
      expect(r.stdout).toBe(expected("<h1>hi</h1>"));
      expect(r.status).toBe(0);

      const again = atoll(["run", "-t", target, "embed"], parent);
      expect(again.stderr).toContain("is up to date");

      writeFileSync(path.join(parent, "embed", "www", "index.html"), "<h1>changed</h1>");
      const changed = atoll(["run", "-t", target, "embed"], parent);
      expect(changed.stderr).toMatch(/building embed .*kv-ro-site\.ts/);
      expect(changed.stdout).toBe(expected("<h1>changed</h1>"));
    }, 120_000);
  }

  it("shows the device in atoll describe", () => {
    const { parent } = makeApp();
    const r = atoll(["describe", "-t", "node", "embed"], parent);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("start(Console, ReadOnlyKv)");
    expect(r.stdout).toMatch(/1\s+kvRo 'site'\s+ReadOnlyKv\s+← lib\/kv\/ro\.ts EmbeddedKv \(the files under www/);
  });

  it("names config.ts's line and the folder when the folder is missing", () => {
    const { parent, dir } = makeApp();
    writeFileSync(path.join(dir, "config.ts"), config("nowhere"));
    const r = atoll(["build", "-t", "node", "embed"], parent);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`embed/config.ts:8: kvRo 'site': embed/nowhere: no such folder`);
  });

  it("refuses a file over 1 MiB and a symbolic link, naming the path", () => {
    const { parent, dir } = makeApp();
    writeFileSync(path.join(dir, "www", "docs", "big.bin"), new Uint8Array(1024 * 1024 + 1));
    const big = atoll(["build", "-t", "node", "embed"], parent);
    expect(big.status).toBe(1);
    expect(big.stderr).toContain("embed/config.ts:8: kvRo 'site': embed/www/docs/big.bin: 1048577 bytes, more than the 1024 KiB");

    const other = makeApp();
    symlinkSync("index.html", path.join(other.dir, "www", "link"));
    const link = atoll(["build", "-t", "node", "embed"], other.parent);
    expect(link.status).toBe(1);
    expect(link.stderr).toContain("embed/config.ts:8: kvRo 'site': embed/www/link: a symbolic link; only regular files and folders can be embedded");
  });
});
