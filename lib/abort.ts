import { abi_abort } from "./abi";

// The compiler routes AssemblyScript's `abort` (failed assertions, explicit
// aborts, runtime errors such as an index out of range) here with
// `--use abort=...` (asconfig.json), so the module imports the ABI's `abort`
// instead of the "env" one asc would otherwise ask the host for.

/** AssemblyScript's abort hook: reports through the ABI and never returns. */
export function atollAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const msg = String.UTF8.encode(message != null ? message : "abort");
  const file = String.UTF8.encode(fileName != null ? fileName : "");
  abi_abort(changetype<usize>(msg), <usize>msg.byteLength, changetype<usize>(file), <usize>file.byteLength, line, column);
  unreachable();
}
