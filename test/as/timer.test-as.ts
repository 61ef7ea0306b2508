// lib/timer.ts against a plain model: random arming, cancelling and
// re-arming of thousands of timers, with a fake clock; every firing must
// come in (deadline, arming order) order, exactly the live ones must fire,
// and a cancelled timer must leave the heap at once.
import { Timers, Timer, TimerHandler } from "atoll/timer";

let fakeNow: i64 = 0;
function clock(): i64 { return fakeNow; }

let fired: i32[] = [];

class Mark extends TimerHandler {
  constructor(readonly id: i32) { super(); }
  onTimer(timer: Timer, now: i64): void { fired.push(this.id); }
}

/** The model: one entry per timer id, its deadline and arming order; -1 when not armed. */
class Model {
  deadline: i64[] = [];
  seq: i64[] = [];
  next: i64 = 0;
  arm(id: i32, at: i64): void {
    while (this.deadline.length <= id) { this.deadline.push(-1); this.seq.push(-1); }
    this.deadline[id] = at;
    this.seq[id] = this.next++;
  }
  cancel(id: i32): void { this.deadline[id] = -1; }
  live(): i32 {
    let n = 0;
    for (let i = 0; i < this.deadline.length; i++) if (this.deadline[i] >= 0) n++;
    return n;
  }
  /** Ids due at `now`, in firing order, disarming them. */
  due(now: i64): i32[] {
    const out: i32[] = [];
    while (true) {
      let best = -1;
      for (let i = 0; i < this.deadline.length; i++) {
        const d = this.deadline[i];
        if (d < 0 || d > now) continue;
        if (best < 0 || d < this.deadline[best] || (d == this.deadline[best] && this.seq[i] < this.seq[best])) best = i;
      }
      if (best < 0) return out;
      out.push(best);
      this.deadline[best] = -1;
    }
  }
}

let rng: u32 = 12345;
function rand(n: i32): i32 {
  rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
  return <i32>(rng % <u32>n);
}

export function test_random_arm_cancel_rearm_fire_in_order(): void {
  fakeNow = 0;
  fired = [];
  const timers = new Timers(clock);
  const model = new Model();
  const all: Timer[] = [];
  for (let step = 0; step < 4000; step++) {
    const op = rand(10);
    if (op < 4 || all.length == 0) {
      const id = all.length;
      const at = fakeNow + <i64>rand(50);
      all.push(timers.at(at, new Mark(id)));
      model.arm(id, at);
    } else if (op < 6) {
      const id = rand(all.length);
      all[id].cancel();
      model.cancel(id);
    } else if (op < 8) {
      const id = rand(all.length);
      const at = fakeNow + <i64>rand(50);
      timers.rearm(all[id], at);
      model.arm(id, at);
    } else {
      fakeNow += <i64>rand(20);
      fired = [];
      timers.runDue(fakeNow);
      const want = model.due(fakeNow);
      assert(fired.length == want.length, "fired " + fired.length.toString() + ", model " + want.length.toString() + " at step " + step.toString());
      for (let i = 0; i < want.length; i++) assert(fired[i] == want[i], "order differs at step " + step.toString());
    }
    assert(timers.live == model.live(), "live " + timers.live.toString() + " vs " + model.live().toString());
  }
}

export function test_cancel_leaves_the_heap_at_once(): void {
  fakeNow = 0;
  const timers = new Timers(clock);
  const far: Timer[] = [];
  for (let i = 0; i < 1000; i++) far.push(timers.after(60_000_000_000, new Mark(i)));
  const near = timers.after(5, new Mark(-1));
  assert(timers.live == 1001);
  for (let i = 0; i < far.length; i++) far[i].cancel();
  // Nothing of the cancelled ones is left to hold their handlers.
  assert(timers.live == 1, "live " + timers.live.toString());
  assert(timers.nextDeadline() == 5);
  for (let i = 0; i < far.length; i++) assert(!far[i].active && far[i].cancelled);
  near.cancel();
  near.cancel();
  assert(timers.live == 0 && timers.nextDeadline() == -1);
}

class Periodic extends TimerHandler {
  count: i32 = 0;
  onTimer(timer: Timer, now: i64): void {
    this.count++;
    if (this.count == 3) timer.cancel();
  }
}

export function test_periodic_cancelled_from_its_handler(): void {
  fakeNow = 0;
  const timers = new Timers(clock);
  const p = new Periodic();
  timers.every(10, p);
  for (let t: i64 = 10; t <= 100; t += 10) {
    fakeNow = t;
    timers.runDue(t);
  }
  assert(p.count == 3, "fired " + p.count.toString());
  assert(timers.live == 0);
}

class Rearming extends TimerHandler {
  count: i32 = 0;
  constructor(private timers: Timers) { super(); }
  onTimer(timer: Timer, now: i64): void {
    this.count++;
    if (this.count < 5) this.timers.rearm(timer, now + 7);
  }
}

export function test_one_shot_rearmed_from_its_handler(): void {
  fakeNow = 0;
  const timers = new Timers(clock);
  const r = new Rearming(timers);
  timers.after(7, r);
  for (let t: i64 = 1; t <= 100; t++) {
    fakeNow = t;
    timers.runDue(t);
  }
  assert(r.count == 5, "fired " + r.count.toString());
  assert(timers.live == 0);
}
