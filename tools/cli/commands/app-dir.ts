import type { Parsed } from "../options.ts";
import { UserError } from "../../errors.ts";

/** The one application folder a command takes (default: the current folder). */
export function appDir(command: string, p: Parsed): string {
  if (p.positional.length > 1) throw new UserError(`takes one application folder, got ${p.positional.length}: ${p.positional.join(" ")}`, 2);
  if (p.positional[0] === "") throw new UserError("the application folder is an empty string; give a folder, or none for the current one", 2);
  return p.positional[0] ?? ".";
}
