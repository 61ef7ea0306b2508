import { abi_exit } from "./abi";

/** Status for bad runtime arguments (docs/abi.md). */
export const EXIT_USAGE: i32 = 2;

/** Ends the unikernel now with `status` (0-99 are the application's). */
export function exit(status: i32): void {
  abi_exit(status);
  unreachable();
}
