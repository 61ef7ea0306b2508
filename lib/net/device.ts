// The network device interface. Drivers come with the networking issue
// (drivers/unix tap, drivers/virtio net); the stack in lib/net codes against
// this contract.

/** The outcome of a transmit. */
export enum NetResult {
  Ok = 0,
  /** The frame is larger than MTU + Ethernet header. */
  TooBig = 1,
  /** The device's transmit queue is full; retry after the next event. */
  Busy = 2,
  /** The device or the host reported a failure. */
  DeviceError = 3,
}

/** Receives frames from a network device. */
export abstract class FrameHandler {
  /** Called with one Ethernet frame; the bytes are only valid until it returns. */
  abstract onFrame(frame: Uint8Array): void;
}

/** An Ethernet device. */
export abstract class NetDevice {
  /** The name given to the device in config.ts. */
  abstract get name(): string;
  /** The device's MAC address, 6 bytes. */
  abstract get mac(): Uint8Array;
  /** Largest payload of one frame, without the 14-byte Ethernet header. */
  abstract get mtu(): u32;
  /** Sends one Ethernet frame; the device copies it or is done with it on return. */
  abstract transmit(frame: Uint8Array): NetResult;
  /** Sets the handler of received frames. */
  abstract listen(handler: FrameHandler): void;
}
