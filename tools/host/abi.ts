// The platform ABI (docs/abi.md) implemented with Node's APIs.
import { writeSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { EXIT_ABORT } from "./exit-codes.ts";
import { blockImports } from "./block.ts";
import type { HostSockets } from "./sockets.ts";

/** Thrown through the module's frames to end it with `status`. */
export class Exit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** What the ABI needs from its surroundings; tests replace the streams and the clock. */
export interface HostEnv {
  memory(): WebAssembly.Memory;
  /** The module's arguments (runtime options already taken out). */
  args: string[];
  /** Block devices attached with --atoll-disk: name -> host file. */
  disks?: Map<string, string>;
  stdout(bytes: Uint8Array): void;
  stderr(text: string): void;
  /** Monotonic nanoseconds. */
  monotonic(): bigint;
  /** Maps a source path compiled into the module to one a person can open. */
  sourcePath(path: string): string;
  /** The host-socket service (node target); without it the sock_* calls are not offered. */
  sockets?: HostSockets;
}

/** Standard output and error of this process, written synchronously so nothing is lost at exit. */
export const processStreams = {
  stdout: (bytes: Uint8Array): void => {
    let off = 0;
    while (off < bytes.length) off += writeSync(1, bytes, off, bytes.length - off);
  },
  stderr: (text: string): void => {
    writeSync(2, text);
  },
};

/** The `atoll` import object. */
export function atollImports(env: HostEnv): Record<string, (...a: never[]) => unknown> {
  const bytes = (ptr: number, len: number): Uint8Array => new Uint8Array(env.memory().buffer, ptr >>> 0, len >>> 0);
  const text = (ptr: number, len: number): string => Buffer.from(bytes(ptr, len)).toString("utf8");
  const argBytes = Buffer.concat(env.args.map((a) => Buffer.from(a + "\0", "utf8")));
  const wallBase = BigInt(Math.round(performance.timeOrigin * 1e6));
  return {
    console_write: (ptr: number, len: number): void => {
      env.stdout(bytes(ptr, len).slice());
    },
    clock_monotonic: (): bigint => env.monotonic(),
    clock_wall: (): bigint => wallBase + BigInt(Math.round(performance.now() * 1e6)),
    exit: (status: number): never => {
      throw new Exit(status);
    },
    abort: (msg: number, msgLen: number, file: number, fileLen: number, line: number, column: number): never => {
      env.stderr(`abort: ${text(msg, msgLen)} at ${env.sourcePath(text(file, fileLen))}:${line}:${column}\n`);
      throw new Exit(EXIT_ABORT);
    },
    random_seed: (ptr: number, len: number): void => {
      randomFillSync(bytes(ptr, len));
    },
    args: (ptr: number, cap: number): number => {
      bytes(ptr, Math.min(cap >>> 0, argBytes.length)).set(argBytes.subarray(0, Math.min(cap >>> 0, argBytes.length)));
      return argBytes.length;
    },
    // Node drives the module with atoll_step and never blocks: a poll.
    yield: (_deadline: bigint): bigint => 0n,
    ...blockImports({ memory: env.memory, disks: env.disks ?? new Map(), stderr: env.stderr }),
    ...(env.sockets?.imports() ?? {}),
  };
}
