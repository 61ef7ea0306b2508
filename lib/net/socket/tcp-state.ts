// The states of a TCP connection (RFC 9293 §3.3.2, Figure 5), and the
// errors a connection and its operations report.

export enum TcpState {
  Closed = 0,
  Listen = 1,
  SynSent = 2,
  SynReceived = 3,
  Established = 4,
  FinWait1 = 5,
  FinWait2 = 6,
  CloseWait = 7,
  Closing = 8,
  LastAck = 9,
  TimeWait = 10,
}

/** The RFC's name of a state. */
export function tcpStateName(s: TcpState): string {
  switch (s) {
    case TcpState.Closed: return "CLOSED";
    case TcpState.Listen: return "LISTEN";
    case TcpState.SynSent: return "SYN-SENT";
    case TcpState.SynReceived: return "SYN-RECEIVED";
    case TcpState.Established: return "ESTABLISHED";
    case TcpState.FinWait1: return "FIN-WAIT-1";
    case TcpState.FinWait2: return "FIN-WAIT-2";
    case TcpState.CloseWait: return "CLOSE-WAIT";
    case TcpState.Closing: return "CLOSING";
    case TcpState.LastAck: return "LAST-ACK";
    case TcpState.TimeWait: return "TIME-WAIT";
  }
  return "?";
}

/** True once both SYNs are acknowledged (RFC 9293 §3.3.2, "synchronized states"). */
export function isSynchronized(s: TcpState): bool {
  return s >= TcpState.Established;
}

/** How a connection ended, or why an operation failed. */
export enum TcpError {
  None = 0,
  /** The peer answered the SYN with a RST: nothing listens on that port. */
  Refused = 1,
  /** The peer reset the connection. */
  Reset = 2,
  /** Retransmissions or keep-alive probes went unanswered. */
  TimedOut = 3,
  /** The application aborted the connection. */
  Aborted = 4,
  /** Add the socket to an interface's SocketSet first. */
  NotInSet = 5,
  /** The socket is not closed: it is connecting, connected or listening already. */
  InUse = 6,
  /** The local port is taken by another listener, or the 4-tuple by another connection. */
  AddressInUse = 7,
  /** No free ephemeral port for that destination (all 16384 are in use). */
  NoFreePort = 8,
  /** The address or port is 0. */
  Unaddressable = 9,
  /** The interface has no route to the destination. */
  NoRoute = 10,
  /** The connection is not open for this operation (not established, or write side closed). */
  NotConnected = 11,
  /** The stack holds as many connections as its limits allow (StackLimits.maxConnections). */
  TooManyConnections = 12,
}

export function tcpErrorText(e: TcpError): string {
  switch (e) {
    case TcpError.None: return "no error";
    case TcpError.Refused: return "connection refused: the peer answered with a reset";
    case TcpError.Reset: return "connection reset by the peer";
    case TcpError.TimedOut: return "connection timed out: the peer stopped answering";
    case TcpError.Aborted: return "connection aborted locally";
    case TcpError.NotInSet: return "socket not added to an interface's socket set";
    case TcpError.InUse: return "socket already open; use a new one or wait for it to close";
    case TcpError.AddressInUse: return "port or connection already in use";
    case TcpError.NoFreePort: return "no free ephemeral port for that destination";
    case TcpError.Unaddressable: return "address or port is 0";
    case TcpError.NoRoute: return "no route to the destination";
    case TcpError.NotConnected: return "connection not open for sending";
    case TcpError.TooManyConnections: return "too many connections: the stack is at its limit (device.stack's maxConnections in config.ts)";
  }
  return "unknown TCP error";
}
