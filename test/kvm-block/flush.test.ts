// What QEMU does on the host for drivers/virtio/block.ts, under strace: the
// kv workload's writes reach the image file as whole 512-byte sectors at
// their own offsets, nothing is written to the read-only image (not even
// opened for writing), and an fdatasync of the image returns between the
// last write and each acknowledgement the unikernel prints — lib/block.ts's
// flush made good on the host, which SIGKILLs (crash.test.ts) cannot show.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { disks } from "../block/fixture.ts";
import { accel, buildImage, command, fixtureDisks } from "./qemu.ts";
import { joinResumed } from "../helpers/strace.ts";

describe(`virtio-blk on the host side, QEMU (${accel.toUpperCase()}) under strace`, () => {
  it("writes whole sectors, never the read-only image, and fdatasyncs before every acknowledgement", () => {
    const image = buildImage("test/fixtures/block", "blocktest");
    const d = disks();
    const trace = path.join(d.dir, "trace.txt");
    const [qemu, argv] = command(image, { machine: "microvm", disks: fixtureDisks(d.disk, d.ro) }, ["--mode=crash", "--ops=200"]);
    const r = spawnSync("strace", ["-f", "-qq", "-o", trace, "-e", "trace=openat,pwrite64,pwritev,pwritev2,fdatasync,fsync,writev,write", "-e", "signal=none", qemu, ...argv], { encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").filter((l) => l.startsWith("ack ")).length).toBe(200);
    const diskFds = new Set<number>();
    let dirty = false, dirtyAtLineStart = false, line = "", acks = 0, writes = 0, syncs = 0, roOpens = 0;
    const problems: string[] = [];
    for (const l of joinResumed(readFileSync(trace, "utf8").split("\n"))) {
      // strace pads " = RESULT" out to a column, and a resumed call's short
      // line ("<... openat resumed>)") is padded with many spaces: hence " += ".
      const open = /openat\(AT_FDCWD, "([^"]+)", ([A-Z_|]+).*\) += (\d+)$/.exec(l);
      if (open) {
        if (open[1] === d.disk && open[2]!.includes("O_RDWR")) diskFds.add(Number(open[3]));
        if (open[1] === d.ro) roOpens++;
        if (open[1] === d.ro && !open[2]!.includes("O_RDONLY")) problems.push(`the read-only image opened for writing: ${l}`);
        continue;
      }
      const pw = /pwrite(?:64|v2?)\((\d+), .*, (\d+)(?:, \w+)?\) += (-?\d+)$/.exec(l);
      if (pw) {
        const [fd, off, ret] = [Number(pw[1]), Number(pw[2]), Number(pw[3])];
        if (!diskFds.has(fd)) continue;
        writes++;
        if (off % 512 !== 0 || ret <= 0 || ret % 512 !== 0) problems.push(`not whole sectors at a sector's offset: ${l}`);
        dirty = true;
        continue;
      }
      const sync = /f(?:data)?sync\((\d+)\) += 0$/.exec(l);
      if (sync && diskFds.has(Number(sync[1]))) {
        syncs++;
        dirty = false;
        continue;
      }
      const out = /writev?\(1, (?:\[\{iov_base=)?("(?:[^"\\]|\\.)*")/.exec(l);
      if (out) {
        for (const ch of JSON.parse(out[1]!) as string) {
          if (line === "") dirtyAtLineStart = dirty; // the guest prints an ack only after its flush completed
          if (ch !== "\n") { line += ch; continue; }
          if (line.startsWith("ack ")) {
            acks++;
            if (dirtyAtLineStart) problems.push(`"${line}" printed with writes not yet fdatasynced`);
          }
          line = "";
        }
      }
    }
    expect(diskFds.size).toBeGreaterThan(0);
    expect(roOpens, "the read-only image's openat was not seen, so its flags went unchecked").toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(acks).toBe(200);
    expect(writes).toBeGreaterThan(160); // deletes of absent keys write nothing
    expect(syncs).toBeGreaterThan(160);
    process.stderr.write(`strace of QEMU: ${writes} sector writes, ${syncs} fdatasyncs, ${acks} acknowledgements, each after a sync\n`);
  }, 180_000);
});
