// The block device interface: drivers/host/block.ts implements it on node and
// unix (a host file), drivers/virtio/block.ts on kvm; this fixes the contract
// they and lib/kv code against.

/** The outcome of a block operation: errors are values, never traps. */
export enum BlockResult {
  Ok = 0,
  /** The sector range reaches past the end of the device. */
  OutOfRange = 1,
  /** The buffer's length is not a whole number of sectors. */
  Unaligned = 2,
  /** A write or flush on a read-only device. */
  ReadOnly = 3,
  /** The device or the host reported a failure; the data is in an unknown state. */
  DeviceError = 4,
}

/**
 * A block device: fixed-size sectors, synchronous I/O into caller-owned buffers.
 * Every driver MUST guarantee what lib/kv's crash safety rests on: a sector
 * is written whole or not at all (power lost during a multi-sector write
 * leaves each of its sectors either old or new), and `flush` returns only
 * after every write completed before it is on stable storage.
 */
export abstract class BlockDevice {
  /** The name given to the device in config.ts. */
  abstract get name(): string;
  /** Bytes per sector, a power of two, at least 512. */
  abstract get sectorSize(): u32;
  /** Number of sectors. */
  abstract get sectorCount(): u64;
  /** True when writes and flushes fail with ReadOnly. */
  abstract get readOnly(): bool;
  /** Reads `buf.length / sectorSize` sectors from `sector` into `buf`; on error `buf` is unspecified. */
  abstract read(sector: u64, buf: Uint8Array): BlockResult;
  /** Writes `buf` to the sectors from `sector`; durable only after `flush`. */
  abstract write(sector: u64, buf: Uint8Array): BlockResult;
  /** Returns once every completed write is on stable storage. */
  abstract flush(): BlockResult;
}

/** The argument rules of read and write, in the contract's order (alignment, then range): Ok, Unaligned or OutOfRange, for drivers to check before any I/O. */
export function checkTransfer(dev: BlockDevice, sector: u64, buf: Uint8Array): BlockResult {
  const size = <u64>dev.sectorSize;
  if (<u64>buf.length % size != 0) return BlockResult.Unaligned;
  const count = <u64>buf.length / size;
  const total = dev.sectorCount;
  if (sector > total || count > total - sector) return BlockResult.OutOfRange;
  return BlockResult.Ok;
}
