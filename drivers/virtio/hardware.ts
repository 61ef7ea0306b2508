// The kvm runtime's privileged calls (docs/abi.md, "kvm: hardware
// primitives"), declared once for every virtio file. Only drivers/ may import
// these; the build rejects an application that does.

/** Reads an 8-bit I/O port. */
@external("atoll", "io_in8") export declare function io_in8(port: i32): i32;
/** Reads a 16-bit I/O port. */
@external("atoll", "io_in16") export declare function io_in16(port: i32): i32;
/** Reads a 32-bit I/O port. */
@external("atoll", "io_in32") export declare function io_in32(port: i32): i32;
/** Writes an 8-bit I/O port. */
@external("atoll", "io_out8") export declare function io_out8(port: i32, value: i32): void;
/** Writes a 16-bit I/O port. */
@external("atoll", "io_out16") export declare function io_out16(port: i32, value: i32): void;
/** Writes a 32-bit I/O port. */
@external("atoll", "io_out32") export declare function io_out32(port: i32, value: i32): void;
/** One 8-bit uncached read of device memory in [0xc0000000, 4 GiB). */
@external("atoll", "mmio_read8") export declare function mmio_read8(addr: u64): i32;
/** One 16-bit uncached read of device memory. */
@external("atoll", "mmio_read16") export declare function mmio_read16(addr: u64): i32;
/** One 32-bit uncached read of device memory. */
@external("atoll", "mmio_read32") export declare function mmio_read32(addr: u64): i32;
/** One 64-bit uncached read of device memory. */
@external("atoll", "mmio_read64") export declare function mmio_read64(addr: u64): i64;
/** One 8-bit uncached write of device memory. */
@external("atoll", "mmio_write8") export declare function mmio_write8(addr: u64, value: i32): void;
/** One 16-bit uncached write of device memory. */
@external("atoll", "mmio_write16") export declare function mmio_write16(addr: u64, value: i32): void;
/** One 32-bit uncached write of device memory. */
@external("atoll", "mmio_write32") export declare function mmio_write32(addr: u64, value: i32): void;
/** One 64-bit uncached write of device memory. */
@external("atoll", "mmio_write64") export declare function mmio_write64(addr: u64, value: i64): void;
/** The physical address of linear memory offset 0 (linear memory is physically contiguous). */
@external("atoll", "dma_base") export declare function dma_base(): u64;
/** Halts until an interrupt or the monotonic `deadline`; returns the pending device set, left pending for yield. */
@external("atoll", "irq_wait") export declare function irq_wait(deadline: i64): i64;
/** Routes I/O APIC input `gsi` to a new device handle (the event loop's bit) and returns it; < 0 when it cannot (docs/abi.md). */
@external("atoll", "irq_attach") export declare function irq_attach(gsi: i32): i32;
/** A new device handle for MSIs: writes the message (address u64, data u32) at `out` and returns the handle; < 0 when none is left. */
@external("atoll", "irq_attach_msi") export declare function irq_attach_msi(out: usize): i32;
