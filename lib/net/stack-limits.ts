// The bounds of one network stack: how many connections it keeps and how
// much memory their buffers may take, so a flood of connections or of data
// fills these, not the heap. config.ts sets them (device.stack's options);
// `atoll configure` derives the defaults from the unikernel's memory
// (tools/configure/stack-limits.ts).

import { MemoryBudget } from "../budget";

/** Limits of one stack; the defaults bound nothing (tests, hand-made stacks). */
export class StackLimits {
  /** TCP connections at once, TIME-WAIT excluded: beyond it a listener turns new ones away (after asking its application to shed one) and connect fails. */
  maxConnections: i32 = i32.MAX_VALUE;
  /** Connections kept in TIME-WAIT; beyond it the oldest ends early (as Linux's tcp_max_tw_buckets). */
  maxTimeWait: i32 = i32.MAX_VALUE;
  /** Each direction's buffer of one connection, at most (TcpConfig.sendBuffer and recvBuffer). */
  connectionBuffer: i32 = 64 * 1024;
  /** The bytes every connection's buffers may take together: TCP's, and the application's per-connection buffers (TcpConn.budget). */
  readonly budget: MemoryBudget;

  constructor(bufferBytes: i64 = i64.MAX_VALUE) {
    this.budget = new MemoryBudget(bufferBytes);
  }
}

/** The limits the generated main.ts passes to a stack (`atoll configure` fills in config.ts's values). */
export function stackLimits(maxConnections: i32, maxTimeWait: i32, bufferBytes: i64, connectionBuffer: i32): StackLimits {
  const l = new StackLimits(bufferBytes);
  l.maxConnections = maxConnections;
  l.maxTimeWait = maxTimeWait;
  l.connectionBuffer = connectionBuffer;
  return l;
}
