// The kvm console when the host reads slowly: docs/abi.md says console_write
// returns once the bytes are handed to the host, so output written before
// the unikernel acts (here: exit, which isa-debug-exit carries out on the
// spot) must all arrive. QEMU's standard output is a socket whose reader
// (this test) stops reading: QEMU's writes fail with EAGAIN once its buffer
// is full, and its 16550 keeps the byte for a retry. The hand-made module
// (test/unix/fake-module.ts, scenario argsexit) prints its arguments and
// exits 7; their length is chosen around the point where the buffer fills.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFakeKvmImage } from "./fake-image.ts";
import { guestStatus, qemuCommand } from "../../tools/build/kvm.ts";

// TCG: the point is QEMU's serial model, and TCG boots fastest here.
const accel = "tcg";

const dir = mkdtempSync(path.join(tmpdir(), "atoll-kvm-flow-"));
const image = path.join(dir, "fake.kvm");
writeFakeKvmImage(image);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { out: string; status: number | null; heldBack: boolean }

/**
 * Boots with arguments that print `total` bytes, its standard output a socket
 * nobody reads until QEMU exits or `holdMs` passes; then reads it all.
 * `heldBack`: QEMU was still running after holdMs (the guest waited for the reader).
 */
async function bootUnread(total: number, holdMs = 400): Promise<Run & { expected: string }> {
  const filler = "x".repeat(total - "argsexit\0".length - 1);
  const expected = `argsexit\0${filler}\0`;
  const sock = path.join(dir, `out-${total}.sock`);
  let conn: net.Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (c) => { conn = c; });
  await new Promise<void>((r) => server.listen(sock, r));
  const client = net.connect(sock);
  await new Promise<void>((r) => client.once("connect", () => r()));
  while (!conn) await new Promise((r) => setTimeout(r, 2));
  const [cmd, argv] = qemuCommand(image, "32M", ["argsexit", filler], accel);
  const child = spawn(cmd, argv, { stdio: ["ignore", client, "pipe"] });
  client.destroy(); // QEMU has its own copy of the socket
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const heldBack = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), holdMs))]);
  let out = "";
  const ended = new Promise<void>((r) => conn!.once("end", () => r()));
  conn.setEncoding("latin1").on("data", (d: string) => { out += d; });
  conn.resume();
  const code = await exited;
  await ended;
  server.close();
  expect(stderr).toBe("");
  return { out, status: code === null ? null : guestStatus(code), heldBack, expected };
}

describe("kvm console: a slow reader loses nothing and sees output before what follows it (TCG)", () => {
  it("around the length at which QEMU's output socket fills, every byte arrives before the exit", async () => {
    // The shortest output that holds the guest back: QEMU's socket took all
    // shorter ones (about 278 one-byte writes on Linux 6.x), whatever the kernel.
    let lo = 16, hi = 2048; // lo fits, hi is held back
    expect((await bootUnread(lo)).heldBack, "a short line is not held back").toBe(false);
    expect((await bootUnread(hi)).heldBack, "2 KiB unread holds the guest back").toBe(true);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((await bootUnread(mid)).heldBack) hi = mid; else lo = mid;
    }
    // Around it, and past it by the bytes a 16550 can hold (its holding
    // register and shift register): each run's output arrives whole.
    for (let total = hi - 3; total <= hi + 3; total++) {
      const r = await bootUnread(total);
      expect(r.status, `${total} bytes`).toBe(7);
      expect(r.out.length, `${total} bytes: ${r.out.length} arrived (held back: ${r.heldBack})`).toBe(total);
      expect(r.out).toBe(r.expected);
    }
  }, 120_000);
});
