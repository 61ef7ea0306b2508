import { Console } from "atoll/console";
import { Timers, Timer, TimerHandler } from "atoll/timer";
import { seconds } from "atoll/time";

/** Says hello on every tick; stops its timer after the fourth. */
class Greeter extends TimerHandler {
  private count: i32 = 0;

  constructor(private out: Console) {
    super();
  }

  onTimer(timer: Timer, now: i64): void {
    this.out.log("hello from atoll");
    if (++this.count == 4) timer.cancel();
  }
}

/** Prints "hello from atoll" four times, one second apart. */
export function start(out: Console, timers: Timers): void {
  timers.every(seconds(1), new Greeter(out), 0);
}
