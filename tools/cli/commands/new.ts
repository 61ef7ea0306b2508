import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { UserError } from "../../errors.ts";

const configTemplate = (name: string): string => `import { unikernel, device, arg } from "atoll/config";

// The unikernel: its devices are passed to start() in unikernel.ts, in order.
export default unikernel({
  name: ${JSON.stringify(name)},
  main: "unikernel.ts",
  devices: [device.console(), device.timers(), device.args()],
  args: {
    who: arg.string("world", "whom to greet"),
    times: arg.int(3, "how many greetings"),
  },
});
`;

const mainTemplate = `import { Console } from "atoll/console";
import { Timers, Timer, TimerHandler } from "atoll/timer";
import { ms } from "atoll/time";
import { Args } from "atoll/args";

/** Greets once every half second, as often as --times says. */
class Greeter extends TimerHandler {
  private count: i64 = 0;

  constructor(private out: Console, private who: string, private times: i64) {
    super();
  }

  onTimer(timer: Timer, now: i64): void {
    this.count++;
    this.out.log("hello, " + this.who + " (" + this.count.toString() + "/" + this.times.toString() + ")");
    if (this.count >= this.times) timer.cancel();
  }
}

/** Called once the devices of config.ts are ready. */
export function start(out: Console, timers: Timers, args: Args): void {
  const times = args.int("times");
  if (times <= 0) return;
  timers.every(ms(500), new Greeter(out, args.string("who"), times), 0);
}
`;

/** \`atoll new NAME\`: writes a working application into the folder NAME. */
export async function newCommand(p: Parsed): Promise<number> {
  if (p.positional.length !== 1) throw new UserError("give the name of the application folder to create, e.g. 'atoll new demo'", 2);
  const dir = p.positional[0]!;
  const name = path.basename(path.resolve(dir));
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw new UserError(`'${name}' is not a valid name: use letters, digits, '-' and '_'`, 2);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UserError(`${dir} exists and is not empty`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "config.ts"), configTemplate(name));
  writeFileSync(path.join(dir, "unikernel.ts"), mainTemplate);
  writeFileSync(path.join(dir, ".gitignore"), "_build/\ndist/\n");
  const report = new Report();
  report.say(`wrote ${path.join(dir, "config.ts")}, ${path.join(dir, "unikernel.ts")} and ${path.join(dir, ".gitignore")}`);
  report.say(`next: 'atoll run ${dir}' (runtime arguments after --, e.g. 'atoll run ${dir} -- --who=you --times=2')`);
  return 0;
}
