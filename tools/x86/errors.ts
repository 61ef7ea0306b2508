// The one error type of the assembler. Every throw names the instruction and
// its operands (or the label, or the directive) so that a bug in a code
// generator can be found from the message alone.

/** A request the assembler cannot encode: an operand form that does not exist, an out-of-range value, an unbound label. */
export class AsmError extends Error {
  override name = "AsmError";
}
