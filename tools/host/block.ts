// The block calls of docs/abi.md ("unix and node: host devices") on Node's
// synchronous fs API: a device is a file, sector s at byte 512 s.
//
// lib/block.ts's guarantees, and how this meets them: a write is one
// pwrite(2) per call (writeSync with a position, repeated only when the
// kernel returns a short count, which splits at page and so sector
// boundaries), so a killed process leaves each sector old or new; after
// power loss it is the file system's and the disk's sector atomicity. flush
// is fdatasync(2), issued after every earlier write returned: Node's *Sync
// calls run on this thread, in order.
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";

/** Result codes of the block calls (docs/abi.md). */
export const BLOCK = { ok: 0, outOfRange: 1, unaligned: 2, readOnly: 3, ioError: 4, badHandle: 5 } as const;
/** block_open's results when there is no handle. */
export const NOT_ATTACHED = -1;
export const CANNOT_OPEN = -2;

const SECTOR = 512;

interface Disk {
  fd: number;
  sectors: bigint;
  readOnly: boolean;
}

/** What the block calls need from the host. */
export interface BlockEnv {
  memory(): WebAssembly.Memory;
  disks: Map<string, string>;
  stderr(text: string): void;
}

/** The block imports, closing over their own table of open devices. */
export function blockImports(env: BlockEnv): Record<string, (...a: never[]) => unknown> {
  const open: Disk[] = [];
  /** The module's bytes at [ptr, ptr + len); outside its memory, a trap, as on unix. */
  const bytes = (ptr: number, len: number): Uint8Array => {
    const buf = env.memory().buffer;
    if ((ptr >>> 0) + (len >>> 0) > buf.byteLength) throw new WebAssembly.RuntimeError("memory access out of bounds");
    return new Uint8Array(buf, ptr >>> 0, len >>> 0);
  };
  const disk = (h: number): Disk | undefined => open[h];
  /** The checks every transfer makes, in the ABI's order; OK means go ahead. */
  const check = (d: Disk | undefined, sector: bigint, len: number): number => {
    if (d === undefined) return BLOCK.badHandle;
    if (len % SECTOR !== 0) return BLOCK.unaligned;
    if (sector < 0n || sector > d.sectors || BigInt(len / SECTOR) > d.sectors - sector) return BLOCK.outOfRange;
    return BLOCK.ok;
  };
  return {
    block_open: (name: number, nameLen: number, readOnly: number): number => {
      const n = Buffer.from(bytes(name, nameLen)).toString("utf8");
      const file = env.disks.get(n);
      if (file === undefined) return NOT_ATTACHED;
      const ro = readOnly !== 0;
      let fd = -1;
      try {
        fd = openSync(file, ro ? "r" : "r+");
        const st = fstatSync(fd);
        if (!st.isFile()) throw new Error("not a regular file");
        open.push({ fd, sectors: BigInt(Math.floor(st.size / SECTOR)), readOnly: ro });
        return open.length - 1;
      } catch (e) {
        if (fd >= 0) closeSync(fd);
        // Node's "EISDIR: illegal operation on a directory, open '/path'": the errno and its meaning; the path is already said.
        env.stderr(`atoll: disk '${n}': cannot open ${file}: ${(e as Error).message.replace(/, open '.*'$/s, "")}\n`);
        return CANNOT_OPEN;
      }
    },
    block_info: (h: number, info: number): number => {
      const d = disk(h);
      if (d === undefined) return BLOCK.badHandle;
      const v = new DataView(bytes(info, 16).buffer, info >>> 0, 16);
      v.setBigUint64(0, d.sectors, true);
      v.setUint32(8, SECTOR, true);
      v.setUint32(12, d.readOnly ? 1 : 0, true);
      return BLOCK.ok;
    },
    block_read: (h: number, sector: bigint, ptr: number, len: number): number => {
      const d = disk(h);
      const r = check(d, sector, len >>> 0);
      if (r !== BLOCK.ok) return r;
      const buf = bytes(ptr, len);
      try {
        for (let done = 0; done < buf.length;) {
          const n = readSync(d!.fd, buf, done, buf.length - done, Number(sector) * SECTOR + done);
          if (n <= 0) return BLOCK.ioError; // the file shrank under us
          done += n;
        }
      } catch {
        return BLOCK.ioError;
      }
      return BLOCK.ok;
    },
    block_write: (h: number, sector: bigint, ptr: number, len: number): number => {
      const d = disk(h);
      const r = check(d, sector, len >>> 0);
      if (r !== BLOCK.ok) return r;
      if (d!.readOnly) return BLOCK.readOnly;
      const buf = bytes(ptr, len);
      try {
        for (let done = 0; done < buf.length;) {
          const n = writeSync(d!.fd, buf, done, buf.length - done, Number(sector) * SECTOR + done);
          if (n <= 0) return BLOCK.ioError;
          done += n;
        }
      } catch {
        return BLOCK.ioError;
      }
      return BLOCK.ok;
    },
    block_flush: (h: number): number => {
      const d = disk(h);
      if (d === undefined) return BLOCK.badHandle;
      if (d.readOnly) return BLOCK.readOnly;
      try {
        fdatasyncSync(d.fd);
      } catch {
        return BLOCK.ioError;
      }
      return BLOCK.ok;
    },
  };
}
