// The Linux x86-64 facts the runtime is built on: system call numbers, flag
// values and the layout of the kernel structures it reads or fills.
// Sources: arch/x86/entry/syscalls/syscall_64.tbl (numbers),
// arch/x86/include/uapi/asm/stat.h, include/uapi/asm-generic/fcntl.h,
// include/uapi/asm-generic/{mman-common,errno-base,errno}.h,
// arch/x86/include/uapi/asm/{signal,sigcontext}.h,
// include/uapi/asm-generic/siginfo.h, include/uapi/linux/time.h,
// and the x86-64 psABI for the initial process stack (argc, argv, NULL, envp).

/** System call numbers (syscall_64.tbl). Arguments go in rdi, rsi, rdx, r10, r8, r9; rcx and r11 are clobbered. */
export const SYS = {
  read: 0,
  write: 1,
  open: 2,
  close: 3,
  fstat: 5,
  poll: 7,
  mmap: 9,
  mprotect: 10,
  madvise: 28,
  rt_sigaction: 13,
  rt_sigreturn: 15,
  ioctl: 16,
  pread64: 17,
  pwrite64: 18,
  fdatasync: 75,
  sigaltstack: 131,
  socket: 41,
  clock_gettime: 228,
  clock_nanosleep: 230,
  exit_group: 231,
  ppoll: 271,
  getrandom: 318,
} as const;

/** Errors come back as -errno in rax; values from -4095 to -1 are errors. */
export const MAX_ERRNO = 4095;
export const EINTR = 4;
export const EAGAIN = 11;
export const ENODEV = 19;

/** open flags (asm-generic/fcntl.h). */
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NONBLOCK = 0x800;
export const O_CLOEXEC = 0x80000;
/** struct stat on x86-64 (asm/stat.h): st_mode (u32) at 24, st_size (i64) at 48, 144 bytes; S_IFMT and S_IFREG (linux/stat.h). */
export const STAT = { mode: 24, size: 48, bytes: 144 } as const;
export const S_IFMT = 0xf000;
export const S_IFREG = 0x8000;

/** mmap/mprotect (mman-common.h). */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_STACK = 0x20000;
/** madvise advice (mman-common.h): back the range with transparent huge pages where the kernel can. */
export const MADV_HUGEPAGE = 14;

/** Signals (asm/signal.h). */
export const SIGILL = 4;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;
/** sa_flags (asm/signal.h, asm-generic/signal-defs.h). */
export const SA_SIGINFO = 0x4;
export const SA_RESTORER = 0x04000000;
export const SA_ONSTACK = 0x08000000;
/** si_code of SIGFPE for an integer divide fault (siginfo.h); x86 raises it for both #DE causes. */
export const FPE_INTDIV = 1;

/** struct sigaction as the kernel reads it on x86-64: handler, flags, restorer, mask (8 bytes: _NSIG / 8). */
export const SIGACTION = { handler: 0, flags: 8, restorer: 16, mask: 24, size: 32, maskBytes: 8 } as const;
/** stack_t: ss_sp, ss_flags (int, padded), ss_size. */
export const STACK_T = { sp: 0, flags: 8, size: 16, bytes: 24 } as const;
/** siginfo_t: si_signo, si_errno, si_code (ints), then the union; si_addr is its first field, at 16. */
export const SIGINFO = { code: 8, addr: 16 } as const;
/**
 * ucontext_t: uc_flags (8), uc_link (8), uc_stack (stack_t, 24), then
 * uc_mcontext whose first member is gregs[23] (asm/sigcontext.h, struct
 * sigcontext_64: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, ...).
 */
const GREGS = 40;
export const UCONTEXT = {
  rdi: GREGS + 8 * 8,
  rsi: GREGS + 8 * 9,
  rbp: GREGS + 8 * 10,
  rax: GREGS + 8 * 13,
  rsp: GREGS + 8 * 15,
  rip: GREGS + 8 * 16,
} as const;

/** Clocks and clock_nanosleep flags (linux/time.h). */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const TIMER_ABSTIME = 1;

/** struct pollfd: int fd, short events, short revents; POLLOUT (asm-generic/poll.h). */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLFD = { fd: 0, events: 4, revents: 6, size: 8 } as const;

/**
 * The tun/tap driver (include/uapi/linux/if_tun.h, include/uapi/linux/if.h):
 * TUNSETIFF is _IOW('T', 202, int) = 0x400454ca; IFF_TAP 0x0002, IFF_NO_PI
 * 0x1000; struct ifreq is 40 bytes on x86-64: ifr_name[IFNAMSIZ = 16], then
 * the union whose ifr_flags (short) is at 16.
 */
export const TUNSETIFF = 0x400454ca;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFREQ = { name: 0, flags: 16, bytes: 40, nameSize: 16 } as const;
/**
 * Whether an interface exists: SIOCGIFINDEX (include/uapi/linux/sockios.h)
 * on any socket fills ifr_ifindex (at 16) or fails with ENODEV. An AF_UNIX
 * datagram socket (linux/socket.h, linux/net.h) is the cheapest to open; it
 * passes the ioctl on to the interface layer of the caller's namespace.
 */
export const SIOCGIFINDEX = 0x8933;
export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0x80000;
export const EBADF = 9;
