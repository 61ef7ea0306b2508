import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { UserError, errnoText } from "../../errors.ts";
import { APP_NAME } from "../../config/schema.ts";

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

/** Each rule of APP_NAME that a name can break, as what is wrong with it (null: kept). */
const NAME_RULES: ((name: string) => string | null)[] = [
  (n) => (n.length === 0 ? "it is empty" : null),
  (n) => (n.length > APP_NAME.maxLength ? `it is ${n.length} characters long` : null),
  (n) => (/^[A-Za-z0-9]/.test(n) ? null : `it starts with ${shown(n[0]!)}`),
  (n) => {
    const bad = /[^A-Za-z0-9_-]/.exec(n);
    return bad === null ? null : `it contains ${shown(bad[0])}`;
  },
];

/** A character as an error message shows it: blanks named, others quoted. */
function shown(ch: string): string {
  return ({ " ": "a space", "\t": "a tab", "\n": "a newline" } as Record<string, string>)[ch] ?? `'${ch}'`;
}

/** Throws a usage error unless `name` (the last part of the folder `dir`) is a valid application name. */
function checkName(name: string, dir: string): void {
  if (APP_NAME.pattern.test(name)) return;
  const problem = NAME_RULES.map((rule) => rule(name)).find((p) => p !== null) ?? "it breaks the rule";
  const whose = dir === name ? "" : ` (the last part of ${dir})`;
  throw new UserError(`invalid application name '${name}'${whose}: ${problem}; a name is ${APP_NAME.hint}, e.g. 'atoll new demo'`, 2);
}

/** Creates `dir` and the folders above it that are missing, one at a time (Node's recursive mkdir never returns for a path under /proc). */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
}

/** \`atoll new NAME\`: writes a working application into the folder NAME. */
export async function newCommand(p: Parsed): Promise<number> {
  // After `--` too, so that `atoll new -- -x` is told what is wrong with '-x'.
  const given = [...p.positional, ...p.rest];
  if (given.length !== 1) throw new UserError(`give the name of the application folder to create, e.g. 'atoll new demo'${given.length > 1 ? `; got ${given.length}: ${given.join(" ")}` : ""}`, 2);
  const dir = given[0]!;
  const name = dir === "" ? "" : path.basename(path.resolve(dir));
  checkName(name, dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`${dir} exists and is not a folder; give a new name, or an empty folder`, 2);
    if (readdirSync(dir).length > 0) throw new UserError(`${dir} exists and is not empty; give a new name, or an empty folder`, 2);
  }
  const files = { "config.ts": configTemplate(name), "unikernel.ts": mainTemplate, ".gitignore": "_build/\ndist/\n" };
  try {
    makeFolder(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  } catch (e) {
    const why = errnoText(e);
    if (why === null) throw e;
    throw new UserError(`cannot create ${dir}: ${why}`);
  }
  const report = new Report();
  report.say(`wrote ${Object.keys(files).map((f) => path.join(dir, f)).join(", ").replace(/, ([^,]*)$/, " and $1")}`);
  report.say(`next: 'atoll run ${dir}' (runtime arguments after --, e.g. 'atoll run ${dir} -- --who=you --times=2')`);
  return 0;
}
