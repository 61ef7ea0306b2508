// Errors that are the user's to fix (a typo, a missing file, a wrong flag):
// the CLI prints their message alone, without a stack, and exits with `status`.

/** An error a person can act on; `status` is the CLI's exit status for it. */
export class UserError extends Error {
  constructor(message: string, readonly status: number = 1) {
    super(message);
  }
}

/** Whether `e` is a failed system call as Node reports one (a code such as ENOENT, and the call). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const x = e as NodeJS.ErrnoException | null;
  return e instanceof Error && typeof x?.code === "string" && typeof x.syscall === "string";
}

/** "ENOTDIR: not a directory" from a Node system error ("ENOTDIR: not a directory, mkdir 'a/b'"), or null for any other error. */
export function errnoText(e: unknown): string | null {
  return isSystemError(e) ? e.message.replace(/, \w+ '.*$/s, "") : null;
}
