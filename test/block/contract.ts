// The BlockDevice contract (lib/block.ts) through the driver and a runtime:
// the fixture's contract mode checks every rule and prints one "ok" or
// "FAIL" line each; write and check modes show persistence across processes
// and where the bytes land in the host file. Under strace, the system calls
// behind a kv workload show how the runtime keeps lib/block.ts's guarantees.
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, disks, pattern, runArtefact, type HostTarget, type Ran } from "./fixture.ts";
import { joinResumed } from "../helpers/strace.ts";

/**
 * What the fixture's contract mode must leave: an "ok" line for each of its
 * 27 rules, then "done", status 0, and the disk file holding what it wrote
 * where the ABI says (sector s is bytes 512 s .. 512 s + 511), the read-only
 * file untouched.
 */
export function expectContractRun(r: Ran, d: { disk: string; ro: string }): void {
  const lines = r.stdout.trim().split("\n");
  expect(lines.filter((l) => !l.startsWith("ok ")), r.stdout + r.stderr).toEqual(["done"]);
  expect(lines.length).toBe(28);
  expect(r.status).toBe(0);
  const file = readFileSync(d.disk);
  expect(file.length).toBe(32 * 1024);
  expect(file.subarray(0, 10 * 512).equals(pattern(1, 10 * 512))).toBe(true);
  expect(file.subarray(10 * 512, 14 * 512).equals(pattern(2, 4 * 512))).toBe(true);
  expect(file.subarray(14 * 512).equals(pattern(1, 32 * 1024).subarray(14 * 512))).toBe(true);
  expect(readFileSync(d.ro).equals(pattern(5, 16 * 1024))).toBe(true);
}

export function contractSuite(target: HostTarget): void {
  describe(`block driver on ${target}`, () => {
    const exe = buildFixture(target);

    it("keeps every rule of lib/block.ts: ranges, unaligned lengths, odd buffer addresses, read-only, flush", () => {
      const d = disks();
      const r = runArtefact(target, exe, d.args);
      expectContractRun(r, d);
    });

    it("persists what was flushed across processes, and reads what the host wrote", () => {
      const d = disks();
      const w = runArtefact(target, exe, [...d.args, "--mode=write", "--run=9"]);
      expect(w.stdout).toBe("ok write pattern\nok flush\ndone\n");
      expect(readFileSync(d.disk).equals(pattern(9, 32 * 1024))).toBe(true);
      const c = runArtefact(target, exe, [...d.args, "--mode=check", "--run=9"]);
      expect(c.stdout).toBe("ok read pattern\nok pattern persisted\ndone\n");
      writeFileSync(d.disk, pattern(4, 32 * 1024));
      const c4 = runArtefact(target, exe, [...d.args, "--mode=check", "--run=4"]);
      expect(c4.stdout).toContain("ok pattern persisted");
    });

    it("opens a read-only device on a file it may not write; ignores a trailing partial sector", () => {
      const d = disks();
      chmodSync(d.ro, 0o444);
      writeFileSync(d.disk, Buffer.concat([pattern(3, 32 * 1024), Buffer.alloc(100, 1)]));
      const c = runArtefact(target, exe, [...d.args, "--mode=check", "--run=3"]);
      expect(c.stdout).toBe("ok read pattern\nok pattern persisted\ndone\n");
      expect(c.status).toBe(0);
    });

    it("says which device has no file and which option attaches one; names the file it cannot open", () => {
      const d = disks();
      const none = runArtefact(target, exe, [d.args[0]!]);
      expect(none.stdout).toBe("error: block device 'ro' has no file attached; run with 'atoll run --disk ro=PATH' (the artefact itself takes --atoll-disk=ro=PATH)\n");
      expect(none.status).toBe(2);
      const missing = runArtefact(target, exe, [d.args[0]!, `--atoll-disk=ro=${d.dir}/nothing.img`]);
      // The errno by name (node: Node's message, which starts with it; unix: the runtime's table).
      expect(missing.stderr).toMatch(new RegExp(`^atoll: disk 'ro': cannot open ${d.dir}/nothing.img: ENOENT`));
      expect(missing.stdout).toContain("error: block device 'ro' cannot be opened");
      expect(missing.status).toBe(2);
      const dir = runArtefact(target, exe, [d.args[0]!, `--atoll-disk=ro=${d.dir}`]);
      expect(dir.status).toBe(2);
      expect(dir.stderr).toContain(`atoll: disk 'ro': `);
      // A folder as the read-write device: open(O_RDWR) fails with EISDIR.
      const rw = runArtefact(target, exe, [`--atoll-disk=disk=${d.dir}`, d.args[1]!]);
      expect(rw.stderr).toMatch(new RegExp(`^atoll: disk 'disk': cannot open ${d.dir}: EISDIR`));
      // unix: the runtime's own text; node: Node's, without the path said twice.
      expect(rw.stderr).toBe(`atoll: disk 'disk': cannot open ${d.dir}: EISDIR: ${target === "unix" ? "is a directory" : "illegal operation on a directory"}\n`);
      expect(rw.status).toBe(2);
    });

    it("under strace: whole-sector host writes, none on the read-only file, and an fdatasync between the last write and each acknowledgement", () => {
      const d = disks();
      const trace = path.join(d.dir, "trace.txt");
      const [cmd, argv] = target === "node" ? [process.execPath, [exe]] : [exe, []];
      const r = spawnSync("strace", ["-f", "-qq", "-o", trace, "-e", "trace=open,openat,pwrite64,fdatasync,write", "-e", "signal=none", cmd, ...argv, ...d.args, "--mode=crash", "--ops=200"], { encoding: "utf8", timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      let diskFd = -1, roFd = -1, dirty = false, acks = 0, writes = 0, syncs = 0;
      const problems: string[] = [];
      for (const line of joinResumed(readFileSync(trace, "utf8").split("\n"))) {
        const open = /open(?:at)?\((?:AT_FDCWD, )?"([^"]+)".* = (\d+)$/.exec(line);
        if (open) {
          if (open[1] === d.disk) diskFd = Number(open[2]);
          if (open[1] === d.ro) roFd = Number(open[2]);
          continue;
        }
        const pw = /pwrite64\((\d+), .*, (\d+), (\d+)\) += (-?\d+)/.exec(line);
        if (pw) {
          const [fd, len, off, ret] = [Number(pw[1]), Number(pw[2]), Number(pw[3]), Number(pw[4])];
          if (fd === roFd) problems.push(`a write to the read-only file: ${line}`);
          if (fd !== diskFd) continue;
          writes++;
          if (len % 512 !== 0 || off % 512 !== 0 || ret !== len) problems.push(`not one whole-sector write: ${line}`);
          dirty = true;
          continue;
        }
        const fs = /fdatasync\((\d+)\) += 0/.exec(line);
        if (fs && Number(fs[1]) === diskFd) {
          syncs++;
          dirty = false;
          continue;
        }
        if (/write\(1, "ack /.test(line)) {
          acks++;
          if (dirty) problems.push(`acknowledged with writes not flushed: ${line}`);
        }
      }
      expect(diskFd).toBeGreaterThan(2);
      expect(roFd).toBeGreaterThan(2);
      expect(problems).toEqual([]);
      expect(acks).toBe(200);
      expect(writes).toBeGreaterThan(160); // deletes of absent keys write nothing
      expect(syncs).toBeGreaterThan(160);
    });

    it("takes --atoll- options out of the module's arguments and refuses unknown or malformed ones with status 2", () => {
      const d = disks();
      const mixed = runArtefact(target, exe, [d.args[0]!, "--mode=check", d.args[1]!, "--run=0"]);
      expect(mixed.stdout).toContain("ok read pattern"); // the module saw --mode and --run only
      const unknown = runArtefact(target, exe, [...d.args, "--atoll-dsk=x"]);
      expect(unknown.stderr).toBe("atoll: unknown runtime option --atoll-dsk=x; the runtime knows --atoll-disk=NAME=PATH\n");
      expect(unknown.status).toBe(2);
      for (const bad of ["--atoll-disk=disk", "--atoll-disk==x"]) {
        const r = runArtefact(target, exe, [bad]);
        expect(r.stderr, bad).toBe(`atoll: ${bad}: expected --atoll-disk=NAME=PATH\n`);
        expect(r.status, bad).toBe(2);
      }
    });
  });
}
