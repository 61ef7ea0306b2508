// Facts about the virtual machine the kvm runtime runs on: the PVH start
// state, x86-64 architectural constants, and the PC devices it drives. Each
// group names its source.

/** hvm_start_info (Xen include/public/arch-x86/hvm/start_info.h), little-endian. */
export const START_INFO = {
  magic: 0, // u32 = MAGIC
  cmdline: 24, // u64 physical address of a NUL-terminated string, or 0
  memmap: 40, // u64 physical address of the memory map (version >= 1)
  memmapEntries: 48, // u32
  MAGIC: 0x336ec578,
} as const;

/** One memory map entry (hvm_memmap_table_entry): addr u64, size u64, type u32, reserved u32. */
export const MEMMAP_ENTRY = { addr: 0, size: 8, type: 16, bytes: 24, RAM: 1 } as const;

/** Control register and EFER bits (Intel SDM Vol 3A 2.5 "Control Registers", 2.2.1 "Extended Feature Enable Register"). */
export const CR0_PE = 1 << 0, CR0_MP = 1 << 1, CR0_EM = 1 << 2, CR0_WP = 1 << 16, CR0_PG = 0x8000_0000;
export const CR4_PAE = 1 << 5, CR4_OSFXSR = 1 << 9, CR4_OSXMMEXCPT = 1 << 10;
export const MSR_EFER = 0xc000_0080, EFER_LME = 1 << 8, EFER_NXE = 1 << 11;

/** Paging entry bits (SDM Vol 3A 4.5 "4-Level Paging", tables 4-15 to 4-20). */
export const PTE = { P: 1, RW: 2, PWT: 8, PCD: 16, A: 0x20, D: 0x40, PS: 0x80 } as const;
/** Bit 63, execute-disable; only valid when EFER.NXE is set (else reserved). */
export const PTE_NX = 1n << 63n;
/** Bits 51:12 of an entry: the physical address of the next table or the page. */
export const PTE_ADDR = 0x000f_ffff_ffff_f000n;

/** CPUID bits (SDM Vol 2A "CPUID"). */
export const CPUID = {
  /** Leaf 1, ECX bit 30. */
  rdrand: 30,
  /** Leaf 0x80000001, EDX bit 20. */
  nx: 20,
} as const;

/**
 * kvmclock (Linux Documentation/virt/kvm/x86/msr.rst and cpuid.rst): leaf
 * 0x40000000 returns "KVMKVMKVM\0\0\0" in ebx, ecx, edx; leaf 0x40000001 eax
 * bit 3 is KVM_FEATURE_CLOCKSOURCE2; writing the physical address of a
 * pvclock_vcpu_time_info (| 1 to enable) to MSR_KVM_SYSTEM_TIME_NEW starts it.
 */
export const KVM = {
  signature: [0x4b4d564b, 0x564b4d56, 0x0000004d] as const,
  featureClocksource2: 3,
  msrSystemTimeNew: 0x4b56_4d01,
} as const;
/** pvclock_vcpu_time_info: version u32 @0, tsc_timestamp u64 @8, system_time u64 @16, tsc_to_system_mul u32 @24, tsc_shift i8 @28. */
export const PVCLOCK = { version: 0, mul: 24, shift: 28, bytes: 32 } as const;

/** Local APIC, xAPIC mode, at its reset base (SDM Vol 3A 10.4.1, table 10-1). */
export const LAPIC = {
  base: 0xfee0_0000,
  eoi: 0xb0,
  svr: 0xf0,
  /** Bits 31:24: this CPU's APIC ID (the destination of IOAPIC entries and MSIs). */
  id: 0x20,
  lvtTimer: 0x320,
  initialCount: 0x380,
  divide: 0x3e0,
  /** Divide configuration 1011b: divide by 1 (SDM Vol 3A figure 10-10). */
  divideBy1: 0xb,
} as const;
/** The timer's interrupt vector and the spurious vector (its low four bits must be 1s on older APICs). */
export const TIMER_VECTOR = 0x20, SPURIOUS_VECTOR = 0xff;

/**
 * The I/O APIC (Intel 82093AA datasheet, 3.2 and 3.2.4; QEMU's and KVM's
 * model, at this base on microvm, pc and q35): an indirect register file
 * (select at +0, window at +0x10), the version register (bits 23:16: the
 * last redirection entry's index), and one 64-bit redirection entry per
 * input at registers 0x10 + 2 n (low half) and 0x11 + 2 n (high half:
 * bits 31:24, the destination APIC ID). Low-half bits: 7:0 vector, 10:8
 * delivery mode (0 fixed), 11 destination mode (0 physical), 13 polarity
 * (0 active high), 15 trigger mode (1 level), 16 mask.
 */
export const IOAPIC = { base: 0xfec0_0000, select: 0x00, window: 0x10, version: 0x01, redirection: 0x10, level: 1 << 15 } as const;
/** Device handles 0..63 (the event loop's bits) and their vectors DEVICE_VECTOR + handle: above the timer's priority class, below the spurious vector. */
export const DEVICE_VECTOR = 0x30, DEVICE_HANDLES = 64;
/** An MSI's message (SDM Vol 3A 10.11.1-2): address 0xfee00000 | destination APIC ID << 12; data = the vector, fixed delivery, edge-triggered. */
export const MSI_ADDRESS = 0xfee0_0000;

/** COM1, a 16550 UART (PC16550D datasheet): THR/DLL at +0, IER/DLM +1, FCR +2, LCR +3, MCR +4, LSR +5 (bit 5: THR empty). */
export const COM1 = 0x3f8;
/** LSR bit 6, transmitter empty: the holding and shift registers are both empty (the byte has left). */
export const LSR_TEMT = 0x40;

/** The 8254 PIT: channel 0 data, command port, input clock. */
export const PIT = { ch0: 0x40, command: 0x43, hz: 1_193_182 } as const;

/** The legacy 8259 PICs' data ports (masked: the runtime uses the local APIC only). */
export const PIC_MASTER_DATA = 0x21, PIC_SLAVE_DATA = 0xa1;

/** The MC146818 CMOS RTC: index and data ports, registers. */
export const CMOS = { index: 0x70, data: 0x71, seconds: 0, minutes: 2, hours: 4, day: 7, month: 8, year: 9, statusA: 0x0a, statusB: 0x0b } as const;

/** QEMU's isa-debug-exit: a write of v to the port exits QEMU with (v << 1) | 1. */
export const DEBUG_EXIT_PORT = 0xf4;
/** The i8042 command port; 0xfe pulses the reset line (Firecracker exits on it). */
export const I8042_COMMAND = 0x64, I8042_RESET = 0xfe;
