// _start: from the kernel's initial process stack to the module's entry
// points. Sets up, in order: argc/argv, the wasm call stack (with a guard
// below it) and atoll_stack_limit, the alternate signal stack and the fault
// handlers, the linear memory reservation (advised to huge pages) and r15;
// then runs the module.
import {
  eax, ebx, edi, edx, esi, imm, imm64, mem, r10d, r12, r13, r15, r8, r9d, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { SPLIT_ARGS } from "./block.ts";
import {
  MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, MAP_STACK, MAX_ERRNO, PROT_NONE, PROT_READ, PROT_WRITE, SA_ONSTACK, SA_RESTORER,
  SA_SIGINFO, SIGACTION, SIGBUS, SIGFPE, SIGILL, SIGSEGV, STACK_T, SYS,
} from "./linux.ts";

/** The ABI version this runtime implements (docs/abi.md). */
export const ABI_VERSION = 1;

/** "abi": the docs/abi.md sequence; "custom": call `atoll_main` (spec harness), exit with its eax. */
export type StartMode = "abi" | "custom";

const FAULT_SIGNALS = [SIGSEGV, SIGBUS, SIGFPE, SIGILL];

export function emitStart(c: Ctx, mode: StartMode): void {
  const { a, b } = c;
  const { stackSize, guardSize, headroom, sigstackSize, reservation } = c.layout;
  b.bss(N.argc, 8);
  b.bss(N.argv, 8);
  b.bss(N.memoryBase, 8);
  b.bss(N.stackGuard, 8);
  b.bss(N.stackTop, 8);
  b.bss(N.stackLimit, 8);
  b.bss(N.sigstack, sigstackSize, 16);

  // struct sigaction for every fault signal: the handler on the alternate
  // stack, the other fault signals blocked while it runs.
  b.roLabel(N.sigaction);
  b.rodata.dq(sym(N.signalHandler));
  b.rodata.dq(SA_SIGINFO | SA_ONSTACK | SA_RESTORER);
  b.rodata.dq(sym(N.restorer));
  b.rodata.dq(FAULT_SIGNALS.reduce((m, s) => m | (1 << (s - 1)), 0));

  /** Jumps to a start_failed call naming `what` when rax holds -errno (>= -4095 as unsigned). */
  const failures: { what: string; label: ReturnType<typeof a.newLabel> }[] = [];
  const check = (what: string): void => {
    const label = a.newLabel("failed");
    failures.push({ what, label });
    a.cmp(rax, imm(-MAX_ERRNO));
    a.jcc("ae", label, "near");
  };
  const mmap = (size: number, prot: number, flags: number): void => {
    a.xor(edi, edi);
    a.mov(rsi, size > 0x7fff_ffff ? imm64(size) : imm(size));
    a.mov(edx, imm(prot));
    a.mov(r10d, imm(flags));
    a.mov(r8, imm(-1));
    a.xor(r9d, r9d);
    a.mov(eax, imm(SYS.mmap));
    a.syscall();
  };

  b.func(N.start);
  // The initial stack (x86-64 psABI, "Initial Stack and Register State"): argc, then argv[0..argc-1], NULL.
  a.mov(rax, mem(rsp)); a.mov(c.at(N.argc), rax);
  a.lea(rax, mem(rsp, { disp: 8 })); a.mov(c.at(N.argv), rax);
  // Runtime options (--atoll-...) out of argv before anything can fail, so a bad one is a usage error.
  a.call(sym(SPLIT_ARGS));

  // The wasm call stack: [guard | headroom | usable], the guard PROT_NONE.
  mmap(guardSize + stackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK);
  check(`mmap of the ${stackSize >> 20} MiB call stack`);
  a.mov(c.at(N.stackGuard), rax);
  a.mov(rdi, rax); a.mov(esi, imm(guardSize)); a.mov(edx, imm(PROT_NONE)); a.mov(eax, imm(SYS.mprotect));
  a.syscall();
  check("mprotect of the stack guard");
  a.mov(rax, c.at(N.stackGuard));
  a.lea(rcx, mem(rax, { disp: guardSize + headroom })); a.mov(c.at(N.stackLimit), rcx);
  a.lea(rsp, mem(rax, { disp: guardSize + stackSize })); a.mov(c.at(N.stackTop), rsp);

  // The alternate signal stack, so a fault on an exhausted stack can be handled.
  a.sub(rsp, imm(32));
  a.lea(rax, c.at(N.sigstack)); a.mov(mem(rsp, { disp: STACK_T.sp }), rax);
  a.mov(mem(rsp, { disp: STACK_T.flags }, 64), imm(0));
  a.mov(mem(rsp, { disp: STACK_T.size }, 64), imm(sigstackSize));
  a.mov(rdi, rsp); a.xor(esi, esi); a.mov(eax, imm(SYS.sigaltstack));
  a.syscall();
  check("sigaltstack");
  a.add(rsp, imm(32));
  for (const sig of FAULT_SIGNALS) {
    a.mov(edi, imm(sig)); a.lea(rsi, c.at(N.sigaction)); a.xor(edx, edx); a.mov(r10d, imm(SIGACTION.maskBytes));
    a.mov(eax, imm(SYS.rt_sigaction));
    a.syscall();
    check(`rt_sigaction of signal ${sig}`);
  }

  // Linear memory: reserve it all with no access, then open the initial pages.
  mmap(reservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
  check("mmap of 8 GiB of address space for linear memory");
  a.mov(c.at(N.memoryBase), rax);
  a.mov(r15, rax);
  // Huge pages where the kernel offers them (THP "madvise", Debian's default): a program that
  // walks megabytes of linear memory at random then misses the TLB once per 2 MiB, not per
  // 4 KiB. Only advice: a kernel without THP says EINVAL, and nothing changes.
  a.mov(rdi, r15); a.mov(rsi, imm64(reservation)); a.mov(edx, imm(MADV_HUGEPAGE)); a.mov(eax, imm(SYS.madvise));
  a.syscall();
  a.mov(rsi, c.at(N.memoryInitial));
  a.mov(c.at(N.memoryPages), rsi);
  const noMemory = a.newLabel("no_memory");
  a.shl(rsi, imm(16)); a.jcc("z", noMemory);
  a.mov(rdi, r15); a.mov(edx, imm(PROT_READ | PROT_WRITE)); a.mov(eax, imm(SYS.mprotect));
  a.syscall();
  check("mprotect of the initial linear memory");
  a.bind(noMemory);

  if (mode === "custom") {
    a.call(sym(N.main));
    a.mov(edi, eax);
  } else {
    const badVersion = a.newLabel("bad_version");
    a.call(sym(N.init));
    a.call(sym(N.export("atoll_abi_version")));
    a.cmp(eax, imm(ABI_VERSION)); a.jcc("ne", badVersion, "near");
    a.call(sym(N.export("_initialize")));
    a.call(sym(N.export("atoll_init")));
    a.call(sym(N.export("atoll_run")));
    a.xor(edi, edi);
    a.mov(eax, imm(SYS.exit_group));
    a.syscall();
    a.bind(badVersion);
    a.mov(ebx, eax);
    a.and(rsp, imm(-16));
    c.writeStr(2, "atoll: the module was built for ABI version ");
    a.mov(edi, imm(2)); a.mov(esi, ebx); a.call(sym(N.writeDec));
    c.writeStr(2, `, this runtime implements version ${ABI_VERSION}; rebuild it\n`);
    a.mov(edi, imm(1));
  }
  a.mov(eax, imm(SYS.exit_group));
  a.syscall();

  for (const f of failures) {
    a.bind(f.label);
    const s = c.str(f.what);
    a.lea(rdi, c.at(s.name)); a.mov(esi, imm(s.length)); a.mov(rdx, rax);
    a.jmp(sym(N.startFailed));
  }

  // start_failed(what, length, -errno): the host refused a resource; exit 1.
  b.func(N.startFailed);
  a.mov(rbx, rdx); a.mov(r12, rdi); a.mov(r13, rsi);
  a.and(rsp, imm(-16));
  c.writeStr(2, "atoll runtime: cannot start: ");
  a.mov(edi, imm(2)); a.mov(rsi, r12); a.mov(rdx, r13); a.call(sym(N.writeAll));
  c.writeStr(2, " failed: ");
  a.mov(rsi, rbx); a.neg(rsi); a.mov(edi, imm(2)); a.call(sym(N.writeErrno));
  c.writeStr(2, "\n");
  a.mov(edi, imm(1)); a.mov(eax, imm(SYS.exit_group));
  a.syscall();
}
