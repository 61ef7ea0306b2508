// Evaluates an application's config.ts and returns its checked description.
// esbuild strips the types and bundles the DSL in; the result is imported
// from a data: URL with an inline source map, so an exception thrown while
// evaluating it points at a line of config.ts.
import { build, type Message } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Unikernel } from "./dsl.ts";
import { unikernelSchema } from "./schema.ts";
import { validate } from "./validate.ts";
import { lineOfKey } from "./locate.ts";
import { UserError } from "../errors.ts";
import { repoRoot } from "../paths.ts";

/** A checked configuration and where it came from. */
export interface LoadedConfig {
  unikernel: Unikernel;
  /** Absolute path of the application folder. */
  dir: string;
  /** Absolute path of config.ts. */
  file: string;
  /** Absolute path of the main AssemblyScript file. */
  mainFile: string;
}

/** Loads DIR/config.ts; every problem is a UserError naming the file, the line and the field. */
export async function loadConfig(dir: string): Promise<LoadedConfig> {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, "config.ts");
  const shown = path.relative(process.cwd(), file) || file;
  if (!existsSync(absDir)) throw new UserError(`${dir}: no such directory`);
  if (!existsSync(file)) throw new UserError(`${shown}: not found; an application folder needs a config.ts (see 'atoll new')`);
  const source = readFileSync(file, "utf8");

  let code: string;
  try {
    const out = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      sourcemap: "inline",
      logLevel: "silent",
      alias: { "atoll/config": path.join(repoRoot, "tools", "config", "dsl.ts") },
    });
    code = out.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw e;
    throw new UserError(errors.map((m) => `${shown}:${m.location?.line ?? 0}:${(m.location?.column ?? 0) + 1}: ${m.text}`).join("\n"));
  }

  let exported: unknown;
  try {
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as { default?: unknown };
    exported = mod.default;
  } catch (e) {
    throw new UserError(`${shown}:${errorLine(e, source)}: ${(e as Error).message}`);
  }
  if (exported === undefined) {
    throw new UserError(`${shown}: has no default export; end it with 'export default unikernel({ ... })'`);
  }

  const problems = validate(exported, unikernelSchema);
  if (problems.length > 0) {
    throw new UserError(problems.map((p) => {
      const field = p.path.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").slice(1);
      return `${shown}:${lineOfKey(source, p.key) || 1}: ${field || "config"}: ${p.message}`;
    }).join("\n"));
  }
  const unikernel = exported as Unikernel;
  const mainFile = path.resolve(absDir, unikernel.main);
  if (!existsSync(mainFile)) {
    throw new UserError(`${shown}:${lineOfKey(source, "main") || 1}: main: ${unikernel.main} not found in ${path.relative(process.cwd(), absDir) || "."}`);
  }
  return { unikernel, dir: absDir, file, mainFile };
}

/** The config.ts line an evaluation error points at, from its source-mapped stack. */
function errorLine(e: unknown, source: string): number {
  const stack = (e as Error)?.stack ?? "";
  const m = /config\.ts:(\d+):\d+/.exec(stack);
  if (m) return Number(m[1]);
  const name = /(\w+) is not (?:defined|a function)/.exec(String((e as Error)?.message))?.[1];
  if (name) {
    const i = source.search(new RegExp(`\\b${name}\\b`));
    if (i >= 0) return source.slice(0, i).split("\n").length;
  }
  return 1;
}
