// Outcomes of the store's operations, one small type per operation (as
// smoltcp's SendError/RecvError): a code to branch on and a message that
// names the device, the structure and the sector, and says what to do.

/** Why open failed. */
export enum OpenError {
  None = 0,
  /** The device holds something that is not a kv store; it was left alone. */
  NotAStore = 1,
  /** A kv store this code cannot use: newer format, other sector size or limits, shrunk device. */
  Unsupported = 2,
  /** The device has too few sectors for a store. */
  TooSmall = 3,
  /** A blank device that cannot be formatted because it is read-only. */
  ReadOnly = 4,
  /** A checksum failed where no redundant copy could stand in; nothing was changed. */
  Corrupt = 5,
  /** The device reported an error. */
  DeviceError = 6,
}

/** Why get failed. */
export enum GetError {
  None = 0,
  NotFound = 1,
  InvalidKey = 2,
  /** The value's sectors fail their checksums; no bytes are returned. */
  Corrupt = 3,
  DeviceError = 4,
}

/** Why set failed. In every case the key keeps its previous value. */
export enum SetError {
  None = 0,
  InvalidKey = 1,
  ValueTooLarge = 2,
  /** Even after compaction the live data would not fit in half the device. */
  Full = 3,
  ReadOnly = 4,
  /** Compaction met a damaged sector while copying another key's value. */
  Corrupt = 5,
  /** The device failed during the write: the outcome is unknown until the store is reopened. */
  DeviceError = 6,
  /** An earlier device error stopped the store; reopen it. */
  Stopped = 7,
}

/** Why delete failed. In every case but DeviceError the key keeps its value. */
export enum DeleteError {
  None = 0,
  NotFound = 1,
  InvalidKey = 2,
  ReadOnly = 3,
  Corrupt = 4,
  /** The device failed during the write: the outcome is unknown until the store is reopened. */
  DeviceError = 5,
  Stopped = 6,
}

/** Why list failed. */
export enum ListError {
  None = 0,
  InvalidPrefix = 1,
}

/** The outcome of get: `value` is a fresh array the caller owns, or null on error. */
export class GetResult {
  constructor(readonly value: Uint8Array | null, readonly error: GetError, readonly message: string) {}
  get ok(): bool { return this.error == GetError.None; }
}

/** The outcome of set: when ok, the value is on stable storage. */
export class SetResult {
  constructor(readonly error: SetError, readonly message: string) {}
  get ok(): bool { return this.error == SetError.None; }
}

/** The outcome of delete: when ok, the deletion is on stable storage. */
export class DeleteResult {
  constructor(readonly error: DeleteError, readonly message: string) {}
  get ok(): bool { return this.error == DeleteError.None; }
}

/** The outcome of list: the matching keys in code point order. */
export class ListResult {
  constructor(readonly keys: string[], readonly error: ListError, readonly message: string) {}
  get ok(): bool { return this.error == ListError.None; }
}

/** What went wrong below the operations (reading, writing, scanning). */
export enum FaultKind {
  None = 0,
  Corrupt = 1,
  Device = 2,
  /** The live data would not fit in half the device. */
  Full = 3,
}

/** A low-level failure, before it is turned into an operation's error. */
export class Fault {
  constructor(readonly kind: FaultKind, readonly message: string) {}
  get ok(): bool { return this.kind == FaultKind.None; }
  static none(): Fault { return new Fault(FaultKind.None, ""); }
}
