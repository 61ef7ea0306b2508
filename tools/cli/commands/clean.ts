import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { appDir } from "./app-dir.ts";
import { UserError } from "../../errors.ts";
import { buildRoot } from "../../configure/configure.ts";
import { LOCK_NAME } from "../../build/lock.ts";
import { withAppLock } from "../target-choice.ts";

/** `atoll clean [DIR]`: removes what configure and build wrote (_build/ and dist/), holding the build lock. */
export async function cleanCommand(p: Parsed): Promise<number> {
  const dir = appDir("clean", p);
  if (!existsSync(path.join(dir, "config.ts"))) throw new UserError(`${dir} has no config.ts; refusing to delete anything there`);
  const report = new Report();
  const buildDir = buildRoot(dir);
  const shown = (p2: string): string => path.relative(process.cwd(), p2) || p2;
  const dist = path.join(dir, "dist");
  const removed = [buildDir, dist].filter((d) => existsSync(d));
  await withAppLock(dir, "cleaning", report, () => {
    // Everything but the lock (and its takeover guard), which a waiter may be watching.
    for (const name of readdirSync(buildDir)) {
      if (!name.startsWith(LOCK_NAME)) rmSync(path.join(buildDir, name), { recursive: true, force: true });
    }
    rmSync(dist, { recursive: true, force: true });
  });
  try {
    rmdirSync(buildDir);
  } catch { /* a waiting command has taken the lock and is filling it again */ }
  for (const d of removed) report.say(`removed ${shown(d)}`);
  return 0;
}
