// Enforces the layering of docs/architecture.md ("Directory map") on the
// files a compile read: applications and lib/ never import drivers, and only
// drivers/ may declare the privileged imports of the ABI (everything but the
// everywhere group of docs/abi.md).
import path from "node:path";
import { readFileSync } from "node:fs";
import { repoRoot } from "../paths.ts";

/** The ABI's everywhere group: the only imports allowed outside drivers/. */
const EVERYWHERE = new Set(["console_write", "clock_monotonic", "clock_wall", "exit", "abort", "random_seed", "args", "yield"]);

/** One layering violation, as "FILE:LINE: message". */
export function layerViolations(files: string[], generatedEntry: string): string[] {
  const drivers = path.join(repoRoot, "drivers") + path.sep;
  const out: string[] = [];
  for (const file of files) {
    if (file === generatedEntry || file.startsWith(drivers)) continue;
    const shown = path.relative(process.cwd(), file);
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      if (/from\s+["']atoll-drivers\//.test(line) || /import\s+["']atoll-drivers\//.test(line)) {
        out.push(`${shown}:${i + 1}: imports a driver; applications and lib/ use the device interfaces of lib/, and config.ts chooses the driver`);
      }
      const ext = /@external\(\s*["']atoll["']\s*,\s*["'](\w+)["']/.exec(line);
      if (ext && !EVERYWHERE.has(ext[1]!)) {
        out.push(`${shown}:${i + 1}: declares the privileged ABI import '${ext[1]}', which only drivers/ may use (docs/abi.md)`);
      }
    });
  }
  return out;
}
