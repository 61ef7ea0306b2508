// Differential test: the same program on node (V8) and on unix (tools/aot +
// the Linux runtime) must print the same bytes and exit with the same status.
// Each program is copied to a fresh folder so these builds never race with
// the other suites' builds of the same examples.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";

const work = mkdtempSync(path.join(tmpdir(), "atoll-diff-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a program folder (its config.ts and sources, not its build output). */
function copy(from: string): string {
  const to = path.join(work, path.basename(from));
  cpSync(from, to, { recursive: true, filter: (src) => !/(^|\/)(_build|dist)$/.test(src) });
  return to;
}

/** Standard error without the CLI's own progress lines. */
const ownLines = (s: string): string[] => s.split("\n").filter((l) => l !== "" && !l.startsWith("atoll: "));

function both(dir: string, args: string[]): void {
  const node = atoll(["run", "-t", "node", dir, "--", ...args]);
  const unix = atoll(["run", "-t", "unix", dir, "--", ...args]);
  expect(unix.stdout, "standard output").toBe(node.stdout);
  expect(unix.status, `exit status (node stderr: ${ownLines(node.stderr).join(" / ")})`).toBe(node.status);
  // Trap reports on node add " at FILE:LINE" from the source map; the rest is the same.
  const n = ownLines(node.stderr), u = ownLines(unix.stderr);
  expect(u.length).toBe(n.length);
  u.forEach((line, i) => expect(n[i]!.startsWith(line), `"${n[i]}" starts with "${line}"`).toBe(true));
}

const fixtures = readdirSync(path.join(root, "test", "fixtures", "diff")).sort();

describe("node and unix agree", () => {
  it.each(fixtures)("test/fixtures/diff/%s", (name) => {
    both(copy(path.join(root, "test", "fixtures", "diff", name)), []);
  });

  it("examples/hello", () => {
    both(copy(path.join(root, "examples", "hello")), []);
  });

  it.each(["memory", "unreachable", "divide", "recurse", "abort", "none"])("examples/trap --kind=%s", (kind) => {
    const dir = path.join(work, "trap");
    if (readdirSync(work).indexOf("trap") < 0) copy(path.join(root, "examples", "trap"));
    both(dir, [`--kind=${kind}`]);
  });
});
