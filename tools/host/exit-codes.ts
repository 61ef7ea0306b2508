// The runtime's own exit statuses (docs/abi.md, `exit`).

/** Bad runtime arguments. */
export const EXIT_USAGE = 2;
/** The module called `abort`. */
export const EXIT_ABORT = 101;
/** The module trapped. */
export const EXIT_TRAP = 102;
