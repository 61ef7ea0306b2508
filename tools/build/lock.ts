// The lock on an application's build folder (_build/.lock): concurrent
// `atoll configure`, `build`, `run` and `clean` of one application take turns
// at bringing _build/ and dist/ up to date, so two of them never compile at
// once and the second finds the first one's artefact current. The lock is a
// file created with O_EXCL that names its owner; a waiter polls it and says
// once whom it waits for. A lock whose owner has died (SIGKILL, a crash, a
// power cut) is taken over. The owner releases it on every way out: return,
// exception, process.exit, SIGINT, SIGTERM and SIGHUP.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import type { Report } from "../report.ts";

/** The lock's file name inside _build/. */
export const LOCK_NAME = ".lock";

/** How often a waiter looks at the lock again. */
const POLL_MS = 100;
/**
 * How long a lock file may stay unreadable before it counts as abandoned: its
 * creator writes its owner right after creating it, so an empty or garbled
 * lock older than this was left by a process that died in between.
 */
const UNREADABLE_GRACE_MS = 2000;
/** The takeover guard is held for a few system calls; one older than this was left by a process that died holding it. */
const GUARD_STALE_MS = 1000;
/** Signals whose default action ends the process without 'exit' handlers: the lock is released first, then the signal raised again. */
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Who holds a lock, as its file records. */
interface Owner {
  pid: number;
  /** The process's start time (/proc/PID/stat field 22), so that a pid the kernel handed to another process does not keep the lock. */
  start?: string;
  /** What it is doing, for whoever waits. */
  what?: string;
}

/** A held lock. */
export interface BuildLock {
  /** Releases it; later calls do nothing. */
  release(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined off Linux or when the process is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces; fields 3.. follow its last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Whether the lock's owner still runs. */
function alive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: it exists, as another user's process.
    if (errno(e) === "ESRCH") return false;
  }
  const now = startTime(owner.pid);
  return owner.start === undefined || now === undefined || now === owner.start;
}

/** The owner a lock file names, or null when it names none (being written, or garbled). */
function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Partial<Owner> | number;
    const pid = typeof o === "number" ? o : o.pid;
    // pid 0 and negative pids name process groups for kill(2): never a lock's owner.
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) return null;
    return typeof o === "number" ? { pid } : { pid, start: typeof o.start === "string" ? o.start : undefined, what: typeof o.what === "string" ? o.what : undefined };
  } catch {
    return null;
  }
}

/** The lock file's text and age, or null when there is none. */
function readLock(file: string): { text: string; ageMs: number } | null {
  try {
    const ageMs = Date.now() - statSync(file).mtimeMs;
    return { text: readFileSync(file, "utf8"), ageMs };
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    throw e;
  }
}

/** Creates the lock file with `text` if there is none; false when another holds it. */
function tryCreate(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx");
  } catch (e) {
    if (errno(e) === "EEXIST") return false;
    if (errno(e) !== "ENOENT") throw e;
    // The build folder went away under us (removed by hand): make it again.
    mkdirSync(path.dirname(file), { recursive: true });
    return false;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes a lock found abandoned, if it still holds `staleText`. Removing a
 * file only if it holds something is two steps, so they run under a guard
 * file (also O_EXCL): of two waiters that both saw the dead owner, the second
 * finds the first one's new lock and leaves it.
 */
function takeOver(file: string, staleText: string): boolean {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, "wx");
  } catch (e) {
    if (errno(e) !== "EEXIST") throw e;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch { /* its holder finished meanwhile */ }
    return false;
  }
  try {
    if (readLock(file)?.text !== staleText) return false;
    unlinkSync(file);
    return true;
  } finally {
    closeSync(fd);
    try { unlinkSync(guard); } catch { /* removed as stale by another waiter */ }
  }
}

/** How a lock's owner is named in messages. */
function describe(owner: Owner | null): string {
  if (owner === null) return "a process that has not said who it is yet";
  return `process ${owner.pid}${owner.what ? ` (${owner.what})` : ""}`;
}

/** Takes the lock of `buildDir` (an application's _build/), waiting while a live process holds it. `what` tells waiters what this process does. */
export async function lockBuildDir(buildDir: string, what: string, report: Report): Promise<BuildLock> {
  mkdirSync(buildDir, { recursive: true });
  const file = path.join(buildDir, LOCK_NAME);
  const shown = path.relative(process.cwd(), buildDir) || buildDir;
  const mine = JSON.stringify({ pid: process.pid, start: startTime(process.pid), what }) + "\n";
  let said = false;
  while (!tryCreate(file, mine)) {
    const current = readLock(file);
    if (current === null) continue; // released between the two looks
    const owner = parseOwner(current.text);
    const abandoned = owner === null ? current.ageMs > UNREADABLE_GRACE_MS : !alive(owner);
    if (abandoned) {
      if (takeOver(file, current.text)) report.say(`took over the lock on ${shown} from ${owner === null ? "an unreadable lock file" : `process ${owner.pid}, which is gone`}`);
      else await sleep(10);
      continue;
    }
    if (!said) {
      report.say(`waiting for the lock on ${shown}, held by ${describe(owner)}`);
      said = true;
    }
    await sleep(POLL_MS);
  }
  return hold(file, mine);
}

/** Releases of the locks this process holds. */
const held = new Set<() => void>();

function releaseAll(): void {
  for (const release of [...held]) release();
}

/**
 * Releases every held lock, then lets the signal end the process as it would
 * have without this listener (unless another listener, such as `atoll run`
 * forwarding it to the unikernel, takes care of it).
 */
function onSignal(sig: NodeJS.Signals): void {
  releaseAll();
  if (process.listenerCount(sig) > 1) return;
  process.off(sig, onSignal);
  process.kill(process.pid, sig);
}

let armed = false;

/**
 * Installs the listeners once for the life of the process, not per lock: a
 * signal that arrives during a long synchronous step (asc) is dispatched
 * only when the event loop next polls, which may be after the lock was
 * released; a listener removed with the lock would drop it, and a Ctrl-C
 * during a build would go unheeded.
 */
function arm(): void {
  if (armed) return;
  armed = true;
  process.on("exit", releaseAll);
  for (const sig of SIGNALS) process.on(sig, onSignal);
}

/** Records a lock just taken, to be released on every way out of the process. */
function hold(file: string, mine: string): BuildLock {
  const release = (): void => {
    if (!held.delete(release)) return;
    // Only our own: never remove a lock another process has since taken.
    if (readLock(file)?.text === mine) {
      try { unlinkSync(file); } catch { /* removed meanwhile */ }
    }
  };
  held.add(release);
  arm();
  return { release };
}

/** Runs `fn` holding the lock of `buildDir`; releases it however `fn` ends. */
export async function withBuildLock<T>(buildDir: string, what: string, report: Report, fn: () => Promise<T> | T): Promise<T> {
  const lock = await lockBuildDir(buildDir, what, report);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
