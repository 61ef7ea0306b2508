// The plan: what `atoll configure` decides and `atoll build` and `atoll run`
// read (plan.json in _build/<target>/). A type of its own, so that the files
// that write and read it need not import each other.
import type { TargetName } from "../targets.ts";
import type { Embed } from "./embed.ts";

/** Everything `atoll build` needs, written by configure as plan.json. */
export interface Plan {
  target: TargetName;
  name: string;
  appDir: string;
  configFile: string;
  buildDir: string;
  /** The generated main.ts. */
  entry: string;
  /** Absolute path of the artefact. */
  artefact: string;
  /** Bytes of memory the unikernel asks for. */
  memory: string;
  /** The most 64 KiB pages linear memory may grow to (config.ts `memory`, when given: memory-limit.ts); none: wasm32's limit. */
  maxMemoryPages?: number;
  /** The kvRo devices, whose generated files every build refreshes. */
  embeds?: Embed[];
  /** configureVersion() of the atoll that wrote the plan: another one configures again. */
  configuredBy?: string;
}
