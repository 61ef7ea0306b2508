// lib/block.ts's BlockDevice over the host block calls of docs/abi.md, for
// the node and unix targets: a device is a host file attached with
// --atoll-disk=NAME=PATH. One driver serves both because both runtimes
// implement the same five calls with the same contract; only what is behind
// them differs (Node's fs on node, raw pread64/pwrite64/fdatasync on unix).
//
// The guarantees lib/block.ts asks for are the runtime's (docs/abi.md,
// block_write and block_flush): each call here is exactly one ABI call, so
// the driver adds no reordering and no splitting of its own.
import { BlockDevice, BlockResult, checkTransfer } from "atoll/block";
import { AbiConsole } from "atoll/console";
import { exit, EXIT_USAGE } from "atoll/exit";

@external("atoll", "block_open")
declare function block_open(name: usize, nameLen: usize, readOnly: i32): i32;
@external("atoll", "block_info")
declare function block_info(handle: i32, info: usize): i32;
@external("atoll", "block_read")
declare function block_read(handle: i32, sector: u64, ptr: usize, len: usize): i32;
@external("atoll", "block_write")
declare function block_write(handle: i32, sector: u64, ptr: usize, len: usize): i32;
@external("atoll", "block_flush")
declare function block_flush(handle: i32): i32;

/** block_open's result when no file is attached under the name. */
const NOT_ATTACHED: i32 = -1;
/** The ABI's BAD_HANDLE; codes 0-4 are BlockResult's. */
const BAD_HANDLE: i32 = 5;

/** A host file as a block device. */
export class HostBlock extends BlockDevice {
  constructor(private _name: string, private handle: i32, private _sectorSize: u32, private _sectorCount: u64, private _readOnly: bool) {
    super();
  }

  get name(): string { return this._name; }
  get sectorSize(): u32 { return this._sectorSize; }
  get sectorCount(): u64 { return this._sectorCount; }
  get readOnly(): bool { return this._readOnly; }

  read(sector: u64, buf: Uint8Array): BlockResult {
    const r = checkTransfer(this, sector, buf);
    if (r != BlockResult.Ok) return r;
    return result(block_read(this.handle, sector, buf.dataStart, <usize>buf.length));
  }

  write(sector: u64, buf: Uint8Array): BlockResult {
    const r = checkTransfer(this, sector, buf);
    if (r != BlockResult.Ok) return r;
    if (this._readOnly) return BlockResult.ReadOnly;
    return result(block_write(this.handle, sector, buf.dataStart, <usize>buf.length));
  }

  flush(): BlockResult {
    if (this._readOnly) return BlockResult.ReadOnly;
    return result(block_flush(this.handle));
  }
}

function result(code: i32): BlockResult {
  if (code < 0 || code >= BAD_HANDLE) return BlockResult.DeviceError;
  return <BlockResult>code;
}

/**
 * Opens the device `name` of config.ts. A device with no file attached, or
 * one the host cannot open, ends the unikernel at start-up with status 2 and
 * a message saying what to pass.
 */
export function openHostBlock(name: string, readOnly: bool): HostBlock {
  const utf8 = String.UTF8.encode(name);
  const handle = block_open(changetype<usize>(utf8), <usize>utf8.byteLength, readOnly ? 1 : 0);
  if (handle < 0) {
    const out = new AbiConsole();
    if (handle == NOT_ATTACHED) {
      out.write("error: block device '" + name + "' has no file attached; run with 'atoll run --disk " + name +
        "=PATH' (the artefact itself takes --atoll-disk=" + name + "=PATH)\n");
    } else {
      out.write("error: block device '" + name + "' cannot be opened (the runtime said why above)\n");
    }
    exit(EXIT_USAGE);
  }
  const info = new DataView(new ArrayBuffer(16));
  if (block_info(handle, info.dataStart) != 0) {
    new AbiConsole().write("error: block device '" + name + "': the runtime has no information on it\n");
    exit(EXIT_USAGE);
  }
  return new HostBlock(name, handle, info.getUint32(8, true), info.getUint64(0, true), (info.getUint32(12, true) & 1) != 0);
}
