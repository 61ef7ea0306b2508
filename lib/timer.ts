// Timers are kept in a binary min-heap ordered by (deadline, sequence number):
// equal deadlines fire in the order the timers were armed, so ordering is
// deterministic. Cancelling marks the timer; the heap drops it lazily when it
// reaches the top, which keeps cancel O(1).

/** What a timer calls when it fires. */
export abstract class TimerHandler {
  /** Called when `timer` fires at monotonic time `now` (ns). */
  abstract onTimer(timer: Timer, now: i64): void;
}

/** One armed timer; `cancel` stops it. */
export class Timer {
  /** Next monotonic instant (ns) at which it fires. */
  deadline: i64;
  /** Period in ns for a repeating timer, 0 for a one-shot. */
  readonly period: i64;
  /** Arming order; breaks ties between equal deadlines. */
  seq: u64;
  cancelled: bool = false;

  constructor(deadline: i64, period: i64, seq: u64, readonly handler: TimerHandler, private owner: Timers) {
    this.deadline = deadline;
    this.period = period;
    this.seq = seq;
  }

  /** Stops the timer; it will not fire again. Cancelling twice is harmless. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.live--;
  }

  /** True while the timer may still fire. */
  get active(): bool { return !this.cancelled; }
}

/** The timer queue of one event loop. */
export class Timers {
  private heap: Timer[] = [];
  private nextSeq: u64 = 0;
  /** Timers armed and not cancelled nor spent. */
  live: i32 = 0;

  constructor(private now: () => i64) {}

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

  /** The earliest deadline of a live timer, or -1 when there is none. */
  nextDeadline(): i64 {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].deadline : -1;
  }

  /** Fires every timer due at `now`, in deadline order; returns how many fired. */
  runDue(now: i64): i32 {
    let fired = 0;
    while (true) {
      this.dropCancelled();
      if (this.heap.length == 0) break;
      const t = this.heap[0];
      if (t.deadline > now) break;
      if (t.period > 0) {
        // Re-arm from the old deadline, not from now, so a periodic timer
        // does not drift; skip whole periods missed while the loop was busy.
        let next = t.deadline + t.period;
        if (next <= now) next += ((now - next) / t.period + 1) * t.period;
        t.deadline = next;
        t.seq = this.nextSeq++;
        this.siftDown(0);
      } else {
        this.pop();
        t.cancelled = true;
        this.live--;
      }
      fired++;
      t.handler.onTimer(t, now);
    }
    return fired;
  }

  private arm(deadline: i64, period: i64, handler: TimerHandler): Timer {
    const t = new Timer(deadline, period, this.nextSeq++, handler, this);
    this.heap.push(t);
    this.siftUp(this.heap.length - 1);
    this.live++;
    return t;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop();
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private static before(a: Timer, b: Timer): bool {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }

  private siftUp(i: i32): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!Timers.before(h[i], h[parent])) break;
      const tmp = h[i]; h[i] = h[parent]; h[parent] = tmp;
      i = parent;
    }
  }

  private siftDown(i: i32): void {
    const h = this.heap;
    const n = h.length;
    while (true) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && Timers.before(h[l], h[m])) m = l;
      if (r < n && Timers.before(h[r], h[m])) m = r;
      if (m == i) break;
      const tmp = h[i]; h[i] = h[m]; h[m] = tmp;
      i = m;
    }
  }
}
