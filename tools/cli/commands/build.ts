import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { chooseTarget, ensureBuilt } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";

/** `atoll build [-t TARGET] [--force] [DIR]` */
export async function buildCommand(p: Parsed): Promise<number> {
  const dir = appDir("build", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  await ensureBuilt(dir, target, new Report(), p.flags.has("force"));
  return 0;
}
