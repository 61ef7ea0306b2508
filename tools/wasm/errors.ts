// The one error type of the decoder and the validator.
//
// A person reading the message must be able to find the problem with a hex
// dump and the module's name section, so the message always names the
// section, the function (index and, when the name section has it, name) and
// the byte offset in the module.

/** Where in a module a problem was found. */
export interface Where {
  /** Section name as a person says it: "type section", "code section", "module header". */
  section: string;
  /** Byte offset in the module. */
  offset: number;
  /** Index in the function index space (imports first), for problems inside a function body. */
  funcIndex?: number;
  /** The function's name from the name section, when known. */
  funcName?: string;
}

/** Prefix of every reason that rejects a module only because it uses a feature Atoll leaves out. */
export const UNSUPPORTED = "unsupported feature: ";

export class WasmError extends Error {
  readonly section: string;
  readonly offset: number;
  readonly funcIndex: number | undefined;
  readonly funcName: string | undefined;
  /** The message without the location: "type mismatch: i32.add expects [i32 i32], got [i32 f64]". */
  readonly reason: string;

  constructor(reason: string, where: Where) {
    super(formatMessage(reason, where));
    this.name = "WasmError";
    this.reason = reason;
    this.section = where.section;
    this.offset = where.offset;
    this.funcIndex = where.funcIndex;
    this.funcName = where.funcName;
  }

  /** True when the module may well be valid WebAssembly but uses a feature outside Atoll's set. */
  get unsupported(): boolean {
    return this.reason.startsWith(UNSUPPORTED);
  }
}

function formatMessage(reason: string, w: Where): string {
  let at = w.section;
  if (w.funcIndex !== undefined) {
    at += `, function ${w.funcIndex}`;
    if (w.funcName !== undefined) at += ` ($${w.funcName})`;
  }
  return `${at}, offset 0x${w.offset.toString(16)}: ${reason}`;
}

export function unsupported(feature: string): string {
  return UNSUPPORTED + feature;
}

export function hex(n: number): string {
  return "0x" + n.toString(16).padStart(2, "0");
}
