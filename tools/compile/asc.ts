// Compiles an AssemblyScript entry file to wasm with asc's API. The library
// OS is not installed as a package: imports of `atoll/...` and
// `atoll-drivers/...` are mapped onto lib/ and drivers/ through asc's
// readFile hook, so every module sees one copy of each lib file wherever the
// application lives. The hook also records which files were read, which is
// what decides later whether a build is up to date.
import asc from "assemblyscript/asc";
import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";

/** Result of one asc compilation. */
export interface AscOutput {
  wasm: Uint8Array;
  /** Source map (JSON text) of the wasm; its `sources` use `~lib/atoll/...` for lib/. */
  sourceMap: string;
  /** Absolute paths of the project files asc read (stdlib files excluded). */
  inputs: string[];
}

/** A compilation that failed: `message` carries asc's diagnostics. */
export class CompileError extends Error {}

/** The virtual folder asc searches for packages, mapped to real folders. */
const VIRTUAL = "/__atoll_packages__";
const PACKAGES: Record<string, string> = {
  atoll: path.join(repoRoot, "lib"),
  "atoll-drivers": path.join(repoRoot, "drivers"),
};

/** Maps a path asc asks for onto a real file, or null when it is not ours. */
export function mapVirtual(file: string): string {
  if (!file.startsWith(VIRTUAL + "/")) return file;
  const rest = file.slice(VIRTUAL.length + 1);
  const slash = rest.indexOf("/");
  const pkg = slash < 0 ? rest : rest.slice(0, slash);
  const real = PACKAGES[pkg];
  return real === undefined ? file : path.join(real, slash < 0 ? "" : rest.slice(slash + 1));
}

/** Compiles `entry` (an absolute path) with the options of the repo's asconfig.json. */
export async function compileAssemblyScript(entry: string, extraArgs: string[] = []): Promise<AscOutput> {
  const baseDir = path.dirname(entry);
  const inputs = new Set<string>();
  const outputs = new Map<string, Uint8Array | string>();
  const stderr: string[] = [];
  const args = [
    path.basename(entry),
    "--baseDir", baseDir,
    "--config", path.join(repoRoot, "asconfig.json"),
    // Absolute: asc resolves a relative --path against the current folder,
    // not --baseDir, which found lib/ only at some checkout depths.
    "--path", VIRTUAL,
    "--outFile", "out.wasm",
    "--noColors",
    ...extraArgs,
  ];
  const { error } = await asc.main(args, {
    readFile(name: string, dir: string): string | null {
      const wanted = path.resolve(baseDir, dir, name); // dir is asc's baseDir or a folder below it
      const real = mapVirtual(wanted);
      try {
        const text = readFileSync(real, "utf8");
        if (!name.endsWith("asconfig.json")) inputs.add(real);
        return text;
      } catch {
        return null;
      }
    },
    writeFile(name: string, contents: Uint8Array | string): void {
      outputs.set(path.basename(name), contents);
    },
    listFiles(): string[] {
      return [];
    },
    stdout: { write: (s: string | Uint8Array) => { stderr.push(String(s)); return true; } },
    stderr: { write: (s: string | Uint8Array) => { stderr.push(String(s)); return true; } },
  } as unknown as Parameters<typeof asc.main>[1]);
  if (error) {
    const text = stderr.join("").trim();
    throw new CompileError(text.length > 0 ? rewriteVirtualPaths(text) : error.message);
  }
  const wasm = outputs.get("out.wasm");
  const map = outputs.get("out.wasm.map");
  if (!(wasm instanceof Uint8Array)) throw new CompileError("asc produced no wasm output");
  return { wasm, sourceMap: typeof map === "string" ? map : map ? new TextDecoder().decode(map) : "", inputs: [...inputs].sort() };
}

/** Replaces `~lib/atoll/x.ts` in diagnostics with the real path a person can open. */
function rewriteVirtualPaths(text: string): string {
  return text
    .replace(/~lib\/atoll-drivers\//g, path.relative(process.cwd(), PACKAGES["atoll-drivers"]!) + "/")
    .replace(/~lib\/atoll\//g, path.relative(process.cwd(), PACKAGES.atoll!) + "/");
}
