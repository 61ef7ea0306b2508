// `atoll run --disk NAME=PATH`: checks each against the block devices of
// config.ts, creates a missing file with the device's size, and turns it into
// the runtime option --atoll-disk=NAME=/absolute/PATH (docs/abi.md) on node
// and unix, or a virtio-blk device on kvm (tools/build/qemu-block.ts).
import { closeSync, existsSync, openSync, ftruncateSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load.ts";
import { parseSize, suggest } from "../config/validate.ts";
import { UserError, errnoText } from "../errors.ts";
import type { BlockAttachment } from "../build/qemu-block.ts";

/** The runtime options for the `--disk` values given (node, unix); [] when there are none. */
export async function diskOptions(appDir: string, values: string[]): Promise<string[]> {
  return (await diskAttachments(appDir, values)).map((d) => `--atoll-disk=${d.name}=${d.file}`);
}

/**
 * The `--disk` values given, checked against config.ts's block devices (each
 * missing file created with its device's size), in config.ts's order; [] when
 * there are none. `maxNameBytes` bounds the device names (kvm: the 20 bytes
 * of a virtio-blk ID, which carries the name).
 */
export async function diskAttachments(appDir: string, values: string[], maxNameBytes = Infinity): Promise<BlockAttachment[]> {
  if (values.length === 0) return [];
  const config = await loadConfig(appDir);
  const blocks = config.unikernel.devices.flatMap((d) => (d.kind === "block" ? [d] : []));
  const shown = path.relative(process.cwd(), config.file) || config.file;
  const seen = new Set<string>();
  const out: BlockAttachment[] = [];
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0 || eq === v.length - 1) throw new UserError(`--disk ${v}: expected NAME=PATH, e.g. --disk data=disk.img`, 2);
    const name = v.slice(0, eq);
    const file = path.resolve(v.slice(eq + 1));
    const dev = blocks.find((b) => b.name === name);
    if (!dev) {
      const names = blocks.map((b) => b.name);
      const known = names.length === 0 ? `it declares no block device` : `its block devices: ${names.join(", ")}`;
      throw new UserError(`--disk ${v}: ${shown} has no block device '${name}'${suggest(name, names)}; ${known}`, 2);
    }
    if (seen.has(name)) throw new UserError(`--disk ${name}=... given twice`, 2);
    seen.add(name);
    if (Buffer.byteLength(name) > maxNameBytes) throw new UserError(`--disk ${v}: on the kvm target a block device's name is its virtio-blk ID, at most ${maxNameBytes} bytes; shorten '${name}' in ${shown}`, 2);
    if (!existsSync(file)) create(file, name, dev.size, dev.readOnly === true, shown);
    out.push({ name, file, readOnly: dev.readOnly === true });
  }
  const order = blocks.map((b) => b.name);
  return out.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}

/** Creates `file` as `size` bytes of zeros (sparse). */
function create(file: string, name: string, size: string | undefined, readOnly: boolean, shown: string): void {
  if (readOnly) throw new UserError(`${file} does not exist, and block device '${name}' is read-only: there is nothing to read`);
  const bytes = size === undefined ? null : parseSize(size);
  if (bytes === null) throw new UserError(`${file} does not exist, and ${shown} gives block device '${name}' no size to create it with; add one (device.block("${name}", { size: "1M" })) or create the file`);
  if (!existsSync(path.dirname(file))) throw new UserError(`cannot create ${file}: no folder ${path.dirname(file)}`);
  try {
    const fd = openSync(file, "wx");
    try {
      ftruncateSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const why = errnoText(e);
    if (why === null) throw e;
    throw new UserError(`cannot create ${file} for block device '${name}': ${why}`);
  }
  process.stderr.write(`atoll: created ${path.relative(process.cwd(), file) || file} (${size}) for block device '${name}'\n`);
}
