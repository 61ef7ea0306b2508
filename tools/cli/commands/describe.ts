import path from "node:path";
import type { Parsed } from "../options.ts";
import { loadConfig } from "../../config/load.ts";
import { runtimeArgs, wireDevices } from "../../configure/generate.ts";
import { findTarget } from "../../targets.ts";
import { chooseTarget } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";

/** `atoll describe [-t TARGET] [DIR]`: the device graph on a target. */
export async function describeCommand(p: Parsed): Promise<number> {
  const dir = appDir("describe", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  const config = await loadConfig(dir);
  const u = config.unikernel;
  const wired = wireDevices(config, target);
  const args = runtimeArgs(config, wired);
  const lines = [
    `${u.name}  (${path.relative(process.cwd(), config.file)})`,
    `  target   ${target} → ${path.join(path.relative(process.cwd(), config.dir), findTarget(target)!.artefact(u.name))}`,
    `  main     ${u.main}: start(${wired.map((w) => w.type).join(", ")})`,
    `  devices`,
    ...u.devices.map((d, i) => `    ${i}  ${("name" in d ? `${d.kind} '${d.name}'` : d.kind).padEnd(16)} ${wired[i]!.type.padEnd(8)} ← ${wired[i]!.impl}`),
    `  runtime arguments${Object.keys(args).length === 0 ? "  none" : ""}`,
    ...Object.entries(args).map(([k, a]) => `    --${k}=${a.type === "int" ? "N" : a.type === "bool" ? "true|false" : "VALUE"}  ${a.doc} (default ${JSON.stringify(a.default)})`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
