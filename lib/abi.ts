// The "everywhere" half of the platform ABI (docs/abi.md): the only imports
// lib/ may use. The privileged half lives in drivers/<platform>/.

/** Writes `len` UTF-8 bytes at `ptr` to the console. */
@external("atoll", "console_write")
export declare function console_write(ptr: usize, len: usize): void;

/** Monotonic time in nanoseconds. */
@external("atoll", "clock_monotonic")
export declare function clock_monotonic(): i64;

/** Wall-clock time in nanoseconds since the Unix epoch. */
@external("atoll", "clock_wall")
export declare function clock_wall(): i64;

/** Ends the unikernel with `status`; does not return. */
@external("atoll", "exit")
export declare function abi_exit(status: i32): void;

/** Reports a fatal error with its source position; does not return. */
@external("atoll", "abort")
export declare function abi_abort(msg: usize, msgLen: usize, file: usize, fileLen: usize, line: u32, column: u32): void;

/** Fills `len` bytes at `ptr` with host entropy. */
@external("atoll", "random_seed")
export declare function random_seed(ptr: usize, len: usize): void;

/** Copies the NUL-terminated runtime arguments to `ptr`; returns the bytes they need. */
@external("atoll", "args")
export declare function abi_args(ptr: usize, cap: usize): usize;

/** Blocks until `deadline` or a device event; returns the ready set. */
@external("atoll", "yield")
export declare function abi_yield(deadline: i64): u64;

/** The version of docs/abi.md this library implements. */
export const ABI_VERSION: i32 = 1;
