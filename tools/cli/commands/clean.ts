import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { appDir } from "./app-dir.ts";
import { UserError } from "../../errors.ts";

/** `atoll clean [DIR]`: removes what configure and build wrote (_build/ and dist/). */
export async function cleanCommand(p: Parsed): Promise<number> {
  const dir = appDir("clean", p);
  if (!existsSync(path.join(dir, "config.ts"))) throw new UserError(`${dir} has no config.ts; refusing to delete anything there`);
  const report = new Report();
  for (const sub of ["_build", "dist"]) {
    const p2 = path.join(dir, sub);
    if (!existsSync(p2)) continue;
    rmSync(p2, { recursive: true, force: true });
    report.say(`removed ${path.relative(process.cwd(), p2) || p2}`);
  }
  return 0;
}
