// Every parse in lib/net/wire returns one of these instead of trapping: a
// view's checkLen and a Repr's parse accept any bytes, of any length, and
// report what is wrong with them. Getters and setters of a view assume
// checkLen returned WireError.None; they do not check bounds again.

/** Why a packet was rejected. */
export enum WireError {
  None = 0,
  /** The buffer is shorter than the header, or than the length the header claims. */
  Truncated = 1,
  /** A length field contradicts the format (header length below its minimum, say). */
  BadLength = 2,
  /** The checksum does not match the contents. */
  BadChecksum = 3,
  /** A version or address-family field has a value this stack does not speak. */
  BadVersion = 4,
  /** Well-formed, but a kind of message this stack does not handle. */
  Unsupported = 5,
  /** A field holds a value the format forbids. */
  Malformed = 6,
}

/** A sentence for logs and test failures. */
export function wireErrorText(e: WireError): string {
  switch (e) {
    case WireError.None: return "no error";
    case WireError.Truncated: return "packet truncated: shorter than its header or its length field";
    case WireError.BadLength: return "length field inconsistent with the format";
    case WireError.BadChecksum: return "checksum mismatch";
    case WireError.BadVersion: return "unsupported version or address family";
    case WireError.Unsupported: return "message type not handled";
    case WireError.Malformed: return "field value forbidden by the format";
  }
  return "unknown wire error";
}
