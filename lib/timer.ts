// Timers are kept in a binary min-heap ordered by (deadline, sequence number):
// equal deadlines fire in the order the timers were armed, so ordering is
// deterministic. Each timer knows its place in the heap (lib/indexed-heap.ts),
// so cancelling takes it out at once (O(log n)): a cancelled timer holds
// nothing alive. (An earlier version only marked it and left it in the heap
// until its deadline, and its handler kept a closed connection's buffers
// for a minute.)

import { IndexedHeap } from "./indexed-heap";

/** What a timer calls when it fires. */
export abstract class TimerHandler {
  /** Called when `timer` fires at monotonic time `now` (ns). */
  abstract onTimer(timer: Timer, now: i64): void;
}

/** One timer; `cancel` stops it, `Timers.rearm` starts it again. */
export class Timer {
  /** Next monotonic instant (ns) at which it fires. */
  deadline: i64;
  /** Period in ns for a repeating timer, 0 for a one-shot. */
  readonly period: i64;
  /** Arming order; breaks ties between equal deadlines. */
  seq: u64;
  /** Its place in the owner's heap; -1 when not armed. */
  heapIndex: i32 = -1;

  constructor(deadline: i64, period: i64, seq: u64, readonly handler: TimerHandler, private owner: Timers) {
    this.deadline = deadline;
    this.period = period;
    this.seq = seq;
  }

  /** Stops the timer; it will not fire again. Cancelling twice is harmless. */
  cancel(): void { this.owner.remove(this); }

  /** True while the timer may still fire. */
  get active(): bool { return this.heapIndex >= 0; }

  /** True once it was cancelled or, for a one-shot, fired. */
  get cancelled(): bool { return this.heapIndex < 0; }

  /** Fires before `other`: an earlier deadline, or the same one armed earlier. */
  heapBefore(other: Timer): bool {
    return this.deadline < other.deadline || (this.deadline == other.deadline && this.seq < other.seq);
  }
}

/** The timer queue of one event loop. */
export class Timers {
  private heap: IndexedHeap<Timer> = new IndexedHeap<Timer>();
  private nextSeq: u64 = 0;

  constructor(private now: () => i64) {}

  /** Timers armed and not cancelled nor spent. */
  get live(): i32 { return this.heap.length; }

  /** Fires `handler` once, `delay` ns from now. */
  after(delay: i64, handler: TimerHandler): Timer {
    return this.arm(this.now() + max<i64>(delay, 0), 0, handler);
  }

  /** Fires `handler` every `period` ns, first after `first` ns (default: one period). */
  every(period: i64, handler: TimerHandler, first: i64 = -1): Timer {
    assert(period > 0, "timer period must be positive");
    const delay = first < 0 ? period : first;
    return this.arm(this.now() + delay, period, handler);
  }

  /** Fires `handler` once at the monotonic instant `deadline`. */
  at(deadline: i64, handler: TimerHandler): Timer {
    return this.arm(deadline, 0, handler);
  }

  /**
   * Moves `t` (armed, cancelled or spent) to fire at `deadline`, as if armed
   * anew: a connection's deadline timer is moved rather than replaced, so
   * no timer or handler is allocated per event.
   */
  rearm(t: Timer, deadline: i64): void {
    t.deadline = deadline;
    t.seq = this.nextSeq++;
    if (t.heapIndex < 0) this.heap.push(t);
    else this.heap.update(t);
  }

  /** The earliest deadline of a live timer, or -1 when there is none. */
  nextDeadline(): i64 {
    return this.heap.length > 0 ? this.heap.top.deadline : -1;
  }

  /** Fires every timer due at `now`, in deadline order; returns how many fired. */
  runDue(now: i64): i32 {
    let fired = 0;
    while (this.heap.length > 0) {
      const t = this.heap.top;
      if (t.deadline > now) break;
      if (t.period > 0) {
        // Re-arm from the old deadline, not from now, so a periodic timer
        // does not drift; skip whole periods missed while the loop was busy.
        let next = t.deadline + t.period;
        if (next <= now) next += ((now - next) / t.period + 1) * t.period;
        t.deadline = next;
        t.seq = this.nextSeq++;
        this.heap.update(t);
      } else {
        this.heap.remove(t);
      }
      fired++;
      t.handler.onTimer(t, now);
    }
    return fired;
  }

  /** Takes `t` out of the heap; nothing when it is not in it. */
  remove(t: Timer): void { this.heap.remove(t); }

  private arm(deadline: i64, period: i64, handler: TimerHandler): Timer {
    const t = new Timer(deadline, period, this.nextSeq++, handler, this);
    this.heap.push(t);
    return t;
  }
}
