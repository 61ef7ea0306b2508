// lib/block.ts's BlockDevice on virtio-blk (virtio 1.2 §5.2), over either
// transport. One request at a time: a header (type, sector), the data, and a
// status byte the device writes, as one descriptor chain; the driver then
// polls the used ring (lib/block is synchronous; the queue asks the device
// not to interrupt).
//
// Which device is which: each config.ts block device NAME is the virtio-blk
// device whose ID (VIRTIO_BLK_T_GET_ID, §5.2.6: QEMU's `serial=`,
// Firecracker's drive_id, libvirt's <serial>) is NAME. `atoll run -t kvm`
// passes serial=NAME.
//
// lib/block.ts's guarantees:
// - a sector is written whole or not at all: the device writes a request's
//   sectors at their own offsets (QEMU: one pwritev on the image file); a
//   sector never straddles a host page, and a killed QEMU's completed
//   writes are in the host's page cache.
// - flush returns once completed writes are stable: VIRTIO_BLK_T_FLUSH
//   (QEMU: fdatasync on the image). A writable device without
//   VIRTIO_BLK_F_FLUSH is refused at start-up, since nothing could make
//   its writes durable.
// - no reordering: one request is in flight at a time, and each call waits
//   for its completion before returning.
import { BlockDevice, BlockResult, checkTransfer } from "atoll/block";
import { AbiConsole } from "atoll/console";
import { clock_monotonic } from "atoll/abi";
import { exit, EXIT_USAGE } from "atoll/exit";
import { allocDma, physical } from "./dma";
import { virtioDevices, unusableDevices } from "./discover";
import { Transport, DeviceType, bit } from "./transport";
import { Virtqueue } from "./virtqueue";

/** Feature bits (§5.2.3). */
const enum BlkFeature {
  SizeMax = 1,
  SegMax = 2,
  ReadOnly = 5,
  BlkSize = 6,
  Flush = 9,
}
/** Request types (§5.2.6). */
const enum ReqType {
  In = 0,
  Out = 1,
  Flush = 4,
  GetId = 8,
}
/** The status byte's values (§5.2.6); the driver presets it to a value the device never writes. */
const STATUS_OK: u8 = 0;
const STATUS_PENDING: u8 = 0xff;
/** Configuration offsets (§5.2.4). */
const CONFIG_CAPACITY: u32 = 0;
const CONFIG_SIZE_MAX: u32 = 8;
const CONFIG_SEG_MAX: u32 = 12;
const CONFIG_BLK_SIZE: u32 = 20;
/** Bytes of a device ID (§5.2.6: VIRTIO_BLK_ID_BYTES). */
const ID_BYTES: i32 = 20;
/** Data bytes per request: larger transfers become several requests, in order. */
const MAX_REQUEST: u32 = 1 << 20;
/** How long a request may take before the device is declared broken. */
const TIMEOUT_NS: i64 = 30_000_000_000;

/** A virtio-blk device. */
export class VirtioBlock extends BlockDevice {
  private _name: string = "";
  private _readOnly: bool;
  /** 16-byte request header and 1-byte status, in DMA memory. */
  private header: usize;
  private status: usize;
  /** Set after a request timed out: the device still owns descriptors, so no more requests. */
  private broken: bool = false;
  /** Claimed by a config.ts device. */
  claimed: bool = false;
  /** The device's ID (GET_ID), "" when it has none. */
  id: string = "";

  constructor(readonly transport: Transport, private queue: Virtqueue, readonly features: u64,
    private _sectorSize: u32, private _sectorCount: u64, private segMax: u32, private sizeMax: u32) {
    super();
    this._readOnly = (features & bit(BlkFeature.ReadOnly)) != 0;
    this.header = allocDma(16, 16);
    this.status = allocDma(1, 1);
    queue.suppressInterrupts(true);
  }

  get name(): string { return this._name; }
  get sectorSize(): u32 { return this._sectorSize; }
  get sectorCount(): u64 { return this._sectorCount; }
  get readOnly(): bool { return this._readOnly; }
  /** True when the device offers VIRTIO_BLK_F_RO. */
  get deviceReadOnly(): bool { return (this.features & bit(BlkFeature.ReadOnly)) != 0; }
  /** True when the device offers VIRTIO_BLK_F_FLUSH. */
  get canFlush(): bool { return (this.features & bit(BlkFeature.Flush)) != 0; }

  /** Gives the device its config.ts name and mode. */
  claim(name: string, readOnly: bool): void {
    this._name = name;
    this._readOnly = readOnly || this.deviceReadOnly;
    this.claimed = true;
  }

  read(sector: u64, buf: Uint8Array): BlockResult {
    const r = checkTransfer(this, sector, buf);
    if (r != BlockResult.Ok) return r;
    return this.transfer(ReqType.In, sector, buf);
  }

  write(sector: u64, buf: Uint8Array): BlockResult {
    const r = checkTransfer(this, sector, buf);
    if (r != BlockResult.Ok) return r;
    if (this._readOnly) return BlockResult.ReadOnly;
    return this.transfer(ReqType.Out, sector, buf);
  }

  flush(): BlockResult {
    if (this._readOnly) return BlockResult.ReadOnly;
    return this.request(ReqType.Flush, 0, 0, 0, false);
  }

  /** Reads the device's ID into `id` (GET_ID); "" when it has none or refuses. */
  readId(): void {
    const buf = allocDma(ID_BYTES, 1);
    if (this.request(ReqType.GetId, 0, buf, ID_BYTES, true) != BlockResult.Ok) return;
    let n = 0;
    while (n < ID_BYTES && load<u8>(buf + <usize>n) != 0) n++;
    this.id = String.UTF8.decodeUnsafe(buf, <usize>n);
  }

  /** `buf` to or from the sectors from `sector`, in requests of at most MAX_REQUEST bytes. */
  private transfer(type: u32, sector: u64, buf: Uint8Array): BlockResult {
    const perSector = <u64>(this._sectorSize >> 9); // virtio sectors are 512 bytes whatever blk_size is (§5.2.6)
    let done: u32 = 0;
    const total = <u32>buf.length;
    while (done < total) {
      const n = min(total - done, MAX_REQUEST);
      const at = sector * perSector + <u64>(done >> 9);
      const r = this.request(type, at, buf.dataStart + <usize>done, n, type == ReqType.In);
      if (r != BlockResult.Ok) return r;
      done += n;
    }
    return BlockResult.Ok;
  }

  /** One request: header, `len` data bytes at `data` (split by size_max), status; waits for its completion. */
  private request(type: u32, sector: u64, data: usize, len: u32, deviceWrites: bool): BlockResult {
    if (this.broken) return BlockResult.DeviceError;
    store<u32>(this.header, type);
    store<u32>(this.header, 0, 4);
    store<u64>(this.header, sector, 8);
    store<u8>(this.status, STATUS_PENDING);
    // initDevice checked that a MAX_REQUEST transfer fits in seg_max segments of size_max.
    if ((len + this.sizeMax - 1) / this.sizeMax > this.segMax) return BlockResult.DeviceError;
    const q = this.queue;
    q.stage(physical(this.header), 16, false);
    for (let off: u32 = 0; off < len; ) {
      const n = min(len - off, this.sizeMax);
      q.stage(physical(data + <usize>off), n, deviceWrites);
      off += n;
    }
    q.stage(physical(this.status), 1, true);
    if (q.submit() < 0) return BlockResult.DeviceError; // never with one request in flight: the chain fits the queue
    q.kick();
    // Poll the used ring; the clock read is also what keeps the load inside the loop.
    const deadline = clock_monotonic() + TIMEOUT_NS;
    while (!q.pollUsed()) {
      if (clock_monotonic() > deadline) {
        this.broken = true;
        return BlockResult.DeviceError;
      }
    }
    return load<u8>(this.status) == STATUS_OK ? BlockResult.Ok : BlockResult.DeviceError;
  }
}

/** Every virtio-blk device, initialised once with its ID read. */
let devices: VirtioBlock[] | null = null;
/** Why a device could not be initialised, for the error when no device matches. */
let failures: string[] = [];

function initDevice(t: Transport): VirtioBlock | null {
  t.begin();
  const wanted = bit(BlkFeature.SizeMax) | bit(BlkFeature.SegMax) | bit(BlkFeature.ReadOnly) | bit(BlkFeature.BlkSize) | bit(BlkFeature.Flush);
  const features = t.negotiate(wanted, 0);
  if (features == u64.MAX_VALUE) {
    failures.push(t.location + ": it did not accept the features (VERSION_1)");
    return null;
  }
  const q = new Virtqueue(t, 0, 128);
  if (!q.ok) {
    t.fail();
    failures.push(t.location + ": request queue 0 unusable (error " + (<i32>q.error).toString() + ")");
    return null;
  }
  let sectorSize: u32 = 512;
  if ((features & bit(BlkFeature.BlkSize)) != 0) {
    const s = t.config32(CONFIG_BLK_SIZE);
    if (s > 512 && s <= 65536 && (s & (s - 1)) == 0) sectorSize = s;
  }
  // seg_max counts data segments; the header and status take two more descriptors (§5.2.4).
  let segMax: u32 = <u32>q.size - 2;
  if ((features & bit(BlkFeature.SegMax)) != 0) segMax = min(segMax, max<u32>(t.config32(CONFIG_SEG_MAX), 1));
  let sizeMax: u32 = MAX_REQUEST;
  if ((features & bit(BlkFeature.SizeMax)) != 0) sizeMax = max<u32>(t.config32(CONFIG_SIZE_MAX) & ~511, 512);
  if ((MAX_REQUEST + sizeMax - 1) / sizeMax > segMax) {
    t.fail();
    failures.push(t.location + ": a 1 MiB request needs more segments than seg_max " + segMax.toString());
    return null;
  }
  const capacity = t.config64(CONFIG_CAPACITY); // in 512-byte sectors, whatever blk_size is
  t.driverOk();
  const d = new VirtioBlock(t, q, features, sectorSize, capacity / <u64>(sectorSize >> 9), segMax, sizeMax);
  d.readId();
  return d;
}

function allDevices(): VirtioBlock[] {
  let list = devices;
  if (list === null) {
    list = [];
    const ts = virtioDevices(DeviceType.Block);
    for (let i = 0; i < ts.length; i++) {
      const d = initDevice(ts[i]);
      if (d !== null) list.push(d);
    }
    devices = list;
  }
  return list;
}

/** Ends the unikernel at start-up with status 2, as drivers/host/block.ts does for a device with no file. */
function refuse(message: string): void {
  new AbiConsole().write("error: block device " + message + "\n");
  exit(EXIT_USAGE);
}

/**
 * The virtio-blk device whose ID is `name` (see the top of this file), for
 * config.ts's block device `name`. A missing device, a read-only device
 * config.ts declares writable, or a writable one without flush ends the
 * unikernel at start-up with status 2 and a message saying what to pass.
 */
export function openVirtioBlock(name: string, readOnly: bool): VirtioBlock {
  const list = allDevices();
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (d.claimed || d.id != name) continue;
    if (!readOnly && d.deviceReadOnly) {
      refuse("'" + name + "' (" + d.transport.location + ") is read-only (VIRTIO_BLK_F_RO), but config.ts declares it writable; add readOnly: true or attach a writable disk");
    }
    if (!readOnly && !d.canFlush) {
      refuse("'" + name + "' (" + d.transport.location + ") offers no flush (VIRTIO_BLK_F_FLUSH), so its writes could never be made durable; declare it readOnly: true or give the VM a device with a flush");
    }
    d.claim(name, readOnly);
    return d;
  }
  let seen = "";
  for (let i = 0; i < list.length; i++) seen += (seen.length > 0 ? ", " : "") + "'" + list[i].id + "' (" + list[i].transport.location + ")";
  let why = "'" + name + "' has no virtio-blk device with ID (serial) '" + name + "'; run with 'atoll run -t kvm --disk " + name + "=PATH'";
  why += seen.length > 0 ? "; the VM's virtio-blk devices: " + seen : "; the VM has no usable virtio-blk device";
  for (let i = 0; i < failures.length; i++) why += "; " + failures[i];
  const unusable = unusableDevices();
  for (let i = 0; i < unusable.length; i++) why += "; unusable: " + unusable[i];
  refuse(why);
  return changetype<VirtioBlock>(0);
}
