// Errors that are the user's to fix (a typo, a missing file, a wrong flag):
// the CLI prints their message alone, without a stack, and exits with `status`.

/** An error a person can act on; `status` is the CLI's exit status for it. */
export class UserError extends Error {
  constructor(message: string, readonly status: number = 1) {
    super(message);
  }
}
