// Robustness of the kvm network path (virtio-net driver, lib/net above it):
// examples/ping on QEMU's UDP socket backend (-netdev socket: each Ethernet
// frame is one datagram between QEMU and this test), fed 10,000
// random and mutated frames — runts, oversized frames QEMU must drop,
// ARP and ICMP with flipped bytes or cut short — with a clean ping every
// 500 frames that must still be answered. The test answers the guest's
// ARP requests for the peer address itself. Seeded: the seed is printed,
// and ATOLL_FUZZ_SEED replays a run. Under TCG unless ATOLL_QEMU_ACCEL
// says otherwise (ping.test.ts gives the reason).
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { qemuCommand } from "../../tools/build/kvm.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const FRAMES = 10000;
const CHECK_EVERY = 500;
const GUEST_MAC = Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]); // QEMU's default for the first NIC
const PEER_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const GUEST_IP = Buffer.from([10, 0, 0, 2]);
const PEER_IP = Buffer.from([10, 0, 0, 1]);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UDP port on 127.0.0.1 that was free a moment ago, for QEMU's end of the socket backend. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((res) => s.bind(0, "127.0.0.1", () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** The Internet checksum (RFC 1071) of `b`. */
function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ethernet(dst: Buffer, type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(14);
  dst.copy(h, 0); PEER_MAC.copy(h, 6); h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

function arp(op: number, targetMac: Buffer): Buffer {
  const a = Buffer.alloc(28);
  a.writeUInt16BE(1, 0); a.writeUInt16BE(0x0800, 2); a[4] = 6; a[5] = 4; a.writeUInt16BE(op, 6);
  PEER_MAC.copy(a, 8); PEER_IP.copy(a, 14); targetMac.copy(a, 18); GUEST_IP.copy(a, 24);
  return ethernet(op === 1 ? Buffer.alloc(6, 0xff) : GUEST_MAC, 0x0806, a);
}

/** An ICMP echo request (RFC 792) from the peer to the guest. */
function echoRequest(id: number, seq: number, data: Buffer): Buffer {
  const icmp = Buffer.concat([Buffer.alloc(8), data]);
  icmp[0] = 8; icmp.writeUInt16BE(id, 4); icmp.writeUInt16BE(seq, 6);
  icmp.writeUInt16BE(checksum(icmp), 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; ip.writeUInt16BE(20 + icmp.length, 2); ip.writeUInt16BE(seq, 4); ip[8] = 64; ip[9] = 1;
  PEER_IP.copy(ip, 12); GUEST_IP.copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  return ethernet(GUEST_MAC, 0x0800, Buffer.concat([ip, icmp]));
}

/** One hostile frame: random bytes, or a valid ARP or ICMP frame with bytes flipped, cut short or padded out. */
function hostile(r: () => number, n: number): Buffer {
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    const len = Math.floor(r() * r() * 9000) + 1; // mostly short, sometimes past the 1514-byte frame and the 2048-byte buffer
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(r() * 256);
    if (r() < 0.5 && len >= 6) GUEST_MAC.copy(b, 0);
    return b;
  }
  let f = kind === 1 ? arp(r() < 0.5 ? 1 : 2, GUEST_MAC) : echoRequest(0xbad, n & 0xffff, Buffer.alloc(Math.floor(r() * 1400), n & 0xff));
  const flips = 1 + Math.floor(r() * 4);
  for (let i = 0; i < flips; i++) f[Math.floor(r() * f.length)] = Math.floor(r() * 256);
  if (kind === 3) f = f.subarray(0, 1 + Math.floor(r() * (f.length - 1))); // never empty: QEMU takes a 0-byte datagram for the end of the socket backend
  return f;
}

describe(`kvm network robustness: examples/ping under ${FRAMES} hostile frames (${accel.toUpperCase()})`, () => {
  it("keeps answering a clean ping every 500 frames, and neither traps nor exits", async () => {
    const built = atoll(["build", "-t", "kvm", "examples/ping"]);
    expect(built.status, built.stderr).toBe(0);
    const seed = Number(process.env["ATOLL_FUZZ_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
    process.stderr.write(`kvm-net fuzz: seed ${seed} (ATOLL_FUZZ_SEED=${seed} replays it)\n`);
    const r = rng(seed);

    const sock: Socket = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", () => res()));
    const ours = sock.address().port;
    const qemuPort = await freeUdpPort();
    const replies = new Set<number>();
    sock.on("message", (m) => {
      if (m.length >= 42 && m.readUInt16BE(12) === 0x0806 && m.readUInt16BE(20) === 1 && m.subarray(38, 42).equals(PEER_IP)) {
        sock.send(arp(2, m.subarray(6, 12)), qemuPort, "127.0.0.1"); // the guest asks who 10.0.0.1 is
      } else if (m.length >= 42 && m.readUInt16BE(12) === 0x0800 && m[23] === 1 && m[34] === 0 && m.readUInt16BE(38) === 0x600d) {
        replies.add(m.readUInt16BE(40)); // an echo reply to a clean ping: its sequence number
      }
    });

    const image = path.join(root, "examples/ping/dist/ping.kvm");
    const [qemu, args] = qemuCommand(image, "32M", ["--ipv4=10.0.0.2/24"], accel,
      ["-global", "virtio-mmio.force-legacy=false", "-netdev", `socket,id=n0,udp=127.0.0.1:${ours},localaddr=127.0.0.1:${qemuPort}`, "-device", "virtio-net-device,netdev=n0"]);
    const vm = spawn(qemu, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    vm.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    vm.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    const send = (f: Buffer): Promise<void> => new Promise((res) => sock.send(f, qemuPort, "127.0.0.1", () => res()));
    /** Sends a clean ping with `seq` until its reply comes, for up to 5 s. */
    const clean = async (seq: number): Promise<boolean> => {
      for (let t = 0; t < 25 && !replies.has(seq); t++) {
        await send(echoRequest(0x600d, seq, Buffer.from("atoll fuzz check")));
        await new Promise((res) => setTimeout(res, 200));
      }
      return replies.has(seq);
    };
    try {
      const deadline = Date.now() + 20_000;
      // The whole line: the serial console reaches us a few bytes at a time.
      const started = "ping: net0 52:54:00:12:34:56 10.0.0.2/24, answering ARP and ICMP echo\n";
      while (!out.includes(started) && Date.now() < deadline && vm.exitCode === null) await new Promise((res) => setTimeout(res, 20));
      expect(out).toContain(started);
      expect(await clean(0), `no reply to the first clean ping, before any hostile frame; guest said: ${out}`).toBe(true);
      let checks = 0;
      for (let n = 0; n < FRAMES; n++) {
        await send(hostile(r, n));
        if ((n + 1) % CHECK_EVERY === 0) {
          const seq = (n + 1) / CHECK_EVERY;
          expect(await clean(seq), `no reply to the clean ping after ${n + 1} frames (seed ${seed}); guest said: ${out}`).toBe(true);
          checks++;
        }
      }
      process.stderr.write(`kvm-net fuzz: ${FRAMES} frames, ${checks} clean pings answered\n`);
      expect(checks).toBe(FRAMES / CHECK_EVERY);
      expect(vm.exitCode).toBe(null);
      expect(out).not.toMatch(/trap:|abort:|runtime fault/);
    } finally {
      vm.kill("SIGKILL");
      sock.close();
    }
  }, 180_000);
});
