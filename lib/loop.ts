import { abi_yield, clock_monotonic } from "./abi";
import { Timers } from "./timer";
import { FOREVER } from "./time";

/** A device that raises events: the loop calls `poll` when its bit is ready. */
export abstract class EventSource {
  /** Handles whatever the device has pending; must not block. */
  abstract poll(now: i64): void;
  /** True while it waits for input that should keep the unikernel alive. */
  abstract get waiting(): bool;
}

/** The event loop: one thread, no preemption, driven by timers and device events. */
export class Loop {
  readonly timers: Timers = new Timers(clock_monotonic);
  private sources: Array<EventSource | null> = [];
  private stopped: bool = false;

  /** Registers `source` as device handle `handle` (its bit in the ready set). */
  attach(handle: i32, source: EventSource): void {
    assert(handle >= 0 && handle < 64, "device handle out of range 0..63");
    while (this.sources.length <= handle) this.sources.push(null);
    this.sources[handle] = source;
  }

  /** Makes the loop finish at the end of the current turn. */
  stop(): void { this.stopped = true; }

  /** One turn: ready devices, then due timers; returns the next deadline, FOREVER, or -1 when done. */
  step(ready: u64): i64 {
    let now = clock_monotonic();
    for (let i = 0; ready != 0 && i < this.sources.length; i++) {
      if ((ready & (<u64>1 << i)) == 0) continue;
      ready &= ~(<u64>1 << i);
      const s = this.sources[i];
      if (s != null) s.poll(now);
    }
    now = clock_monotonic();
    this.timers.runDue(now);
    if (this.stopped) return -1;
    const next = this.timers.nextDeadline();
    if (next >= 0) return next;
    return this.anyWaiting() ? FOREVER : -1;
  }

  /** Runs to completion, sleeping in the runtime's `yield` between turns. */
  run(): void {
    let ready: u64 = 0;
    while (true) {
      const deadline = this.step(ready);
      if (deadline < 0) return;
      ready = abi_yield(deadline);
    }
  }

  private anyWaiting(): bool {
    for (let i = 0; i < this.sources.length; i++) {
      const s = this.sources[i];
      if (s != null && s.waiting) return true;
    }
    return false;
  }
}

/** The unikernel's one event loop. */
export const loop = new Loop();
