// The `atoll` command: a table of commands, each with its flags and help.
import type { FlagSpec, Parsed } from "./options.ts";
import { parseArgs } from "./options.ts";
import { UserError, isSystemError } from "../errors.ts";
import { targets, defaultTarget } from "../targets.ts";
import { suggest } from "../config/validate.ts";
import { configureCommand } from "./commands/configure.ts";
import { buildCommand } from "./commands/build.ts";
import { runCommand } from "./commands/run.ts";
import { cleanCommand } from "./commands/clean.ts";
import { describeCommand } from "./commands/describe.ts";
import { newCommand } from "./commands/new.ts";
import { CompileError } from "../compile/asc.ts";

interface Command {
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpec[];
  run: (p: Parsed) => Promise<number>;
}

const help: FlagSpec = { name: "help", short: "h", value: false, help: "show this help" };
const target: FlagSpec = { name: "target", short: "t", value: true, help: `target: ${targets.map((t) => t.name).join(", ")} (default: the last configured, else ${defaultTarget()})` };

const net: FlagSpec = { name: "net", value: true, repeat: true, help: "the backend of network device NAME of config.ts: tap:IFNAME (a Linux tap that exists; tap:IFNAME,create creates it when it does not), user (QEMU's user networking, kvm only) or none (a device connected to nothing); NAME= may be left out when there is one; repeatable" };
const forward: FlagSpec = { name: "forward", value: true, repeat: true, help: "with --net user: forward host port HOSTPORT to the unikernel's GUESTPORT, [tcp:|udp:]HOSTPORT:GUESTPORT (TCP by default); repeatable" };
const machine: FlagSpec = { name: "machine", value: true, help: "kvm: the QEMU machine, microvm (the default; virtio-mmio devices) or q35 (virtio-pci devices)" };
const disk: FlagSpec = { name: "disk", value: true, repeat: true, help: "attach the file PATH as block device NAME of config.ts (created with its size when missing); repeatable" };

const commands: Command[] = [
  { name: "configure", usage: "atoll configure [-t TARGET] [DIR]", summary: "evaluate DIR/config.ts and write _build/TARGET/main.ts", flags: [target, help], run: configureCommand },
  { name: "build", usage: "atoll build [-t TARGET] [--force] [DIR]", summary: "compile and link the artefact (configures first when needed)", flags: [target, { name: "force", value: false, help: "rebuild even when up to date" }, help], run: buildCommand },
  { name: "run", usage: "atoll run [-t TARGET] [--disk NAME=PATH]... [--net [NAME=]BACKEND]... [--forward HOSTPORT:GUESTPORT]... [--machine microvm|q35] [--dry-run] [DIR] [-- RUNTIME-ARGS]", summary: "build when needed, then run the unikernel", flags: [target, disk, net, forward, machine, { name: "dry-run", value: false, help: "build when needed, then print the command that would run it (kvm: the QEMU command line)" }, help], run: runCommand },
  { name: "clean", usage: "atoll clean [DIR]", summary: "remove _build/ and dist/", flags: [help], run: cleanCommand },
  { name: "describe", usage: "atoll describe [-t TARGET] [DIR]", summary: "show the devices and how they are wired on the target", flags: [target, help], run: describeCommand },
  { name: "new", usage: "atoll new NAME", summary: "create a working application in the folder NAME", flags: [help], run: newCommand },
];

function mainHelp(): string {
  return [
    "atoll: build AssemblyScript applications into unikernels",
    "",
    "usage: atoll COMMAND [options] [DIR]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    "",
    "targets:",
    ...targets.map((t) => `  ${t.name.padEnd(10)} ${t.summary}${t.unavailable ? " (not available yet)" : ""}`),
    "",
    "'atoll COMMAND --help' describes a command. DIR defaults to the current folder.",
  ].join("\n");
}

function commandHelp(c: Command): string {
  return [`usage: ${c.usage}`, "", c.summary, "", "options:", ...c.flags.map((f) => `  ${(f.short ? `-${f.short}, ` : "    ") + "--" + f.name + (f.value ? " VALUE" : "")}`.padEnd(24) + f.help)].join("\n");
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(mainHelp() + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write("atoll 0.1.0 (ABI 1)\n");
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  try {
    if (!cmd) throw new UserError(`unknown command '${name}'${suggest(name, commands.map((c) => c.name))}; commands: ${commands.map((c) => c.name).join(", ")}`, 2);
    const parsed = parseArgs(cmd.name, rest, cmd.flags);
    if (parsed.flags.has("help")) {
      process.stdout.write(commandHelp(cmd) + "\n");
      return 0;
    }
    return await cmd.run(parsed);
  } catch (e) {
    if (e instanceof UserError) {
      // One prefix for every error: the command it came from, when there is one.
      process.stderr.write(`${cmd ? `atoll ${cmd.name}` : "atoll"}: ${e.message}\n`);
      return e.status;
    }
    if (e instanceof CompileError) {
      process.stderr.write(`${e.message}\natoll: compile failed\n`);
      return 1;
    }
    // A file the host refused where no check foresaw it: Node's message names the errno, the call and the path; a stack would add nothing.
    if (isSystemError(e)) {
      process.stderr.write(`${cmd ? `atoll ${cmd.name}` : "atoll"}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
