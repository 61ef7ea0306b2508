// The "everywhere" imports of docs/abi.md, as `import:atoll.NAME`, called
// with the convention of docs/aot.md: arguments pushed in order, 8 bytes
// each, so on entry argument i of n is at [rsp + 8 + 8 * (n - 1 - i)]; i32
// arguments are read as 32 bits (their upper half is unspecified); the result
// in rax; rbx, rbp and r12-r15 preserved (r15 is the base of linear memory).
//
// A (ptr, len) range outside the live linear memory is trap 5 raised in the
// calling function, exactly as if the module had touched it itself.
import {
  type Gpr, type Label, type Mem, cl, eax, ecx, edi, edx, esi, imm, imm64, mem, r10d, r12, r15, r8, r8d, r9, r9d, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, EINTR, POLLFD, POLLIN, SYS, TIMER_ABSTIME } from "./linux.ts";
import { MAX_NETS, NET_ENTRY, NS } from "./net.ts";

/** The exit status of abort (docs/abi.md). */
export const EXIT_ABORT = 101;

/** The functions this runtime defines, by ABI name. */
export const ABI_FUNCTIONS = ["console_write", "clock_monotonic", "clock_wall", "exit", "abort", "random_seed", "args", "yield"] as const;

/** The stack slot of argument `i` of `n` at entry (before anything is pushed). */
const arg = (i: number, n: number, size?: 32 | 64): Mem => mem(rsp, { disp: 8 + 8 * (n - 1 - i) }, size);

/** Jumps to `oob` unless [ptr, ptr + len) is inside the live linear memory; clobbers r8, r9. */
function checkRange(c: Ctx, ptr: Gpr, len: Gpr, oob: Label): void {
  const { a } = c;
  a.lea(r8, mem(ptr, { index: len }));
  a.mov(r9, c.at(N.memoryPages));
  a.shl(r9, imm(16));
  a.cmp(r8, r9);
  a.jcc("a", oob);
}

/** trap 5 in the caller: [rsp] must still be the return address into it. */
function bindOutOfBounds(c: Ctx, oob: Label): void {
  c.a.bind(oob);
  c.a.mov(edi, imm(5));
  c.a.jmp(sym(N.trap));
}

export function emitAbi(c: Ctx): void {
  const { a, b } = c;

  // console_write(ptr, len): write(1) until every byte is out.
  b.func(N.import("console_write"));
  {
    const oob = a.newLabel("oob");
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    checkRange(c, rsi, rdx, oob);
    a.add(rsi, r15);
    a.mov(edi, imm(1));
    a.call(sym(N.writeAll));
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // clock_monotonic() / clock_wall(): clock_gettime, seconds * 1e9 + nanoseconds.
  for (const [name, clock] of [["clock_monotonic", CLOCK_MONOTONIC], ["clock_wall", CLOCK_REALTIME]] as const) {
    b.func(N.import(name));
    a.sub(rsp, imm(24));
    a.mov(eax, imm(SYS.clock_gettime)); a.mov(edi, imm(clock)); a.mov(rsi, rsp);
    a.syscall();
    a.imul(rax, mem(rsp), imm(1_000_000_000));
    a.add(rax, mem(rsp, { disp: 8 }));
    a.add(rsp, imm(24));
    a.ret();
  }

  // exit(status): exit_group.
  b.func(N.import("exit"));
  a.mov(edi, arg(0, 1, 32));
  a.mov(eax, imm(SYS.exit_group));
  a.syscall();

  // abort(msg, msg_len, file, file_len, line, column): one line on fd 2, status 101.
  b.func(N.import("abort"));
  {
    const oob = a.newLabel("oob");
    a.mov(esi, arg(0, 6, 32)); a.mov(edx, arg(1, 6, 32));
    checkRange(c, rsi, rdx, oob);
    a.mov(esi, arg(2, 6, 32)); a.mov(edx, arg(3, 6, 32));
    checkRange(c, rsi, rdx, oob);
    a.mov(rbx, rsp); // it never returns: callee-saved registers are free
    a.and(rsp, imm(-16));
    c.writeStr(2, "abort: ");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 5 }, 32)); a.add(rsi, r15); a.mov(edx, mem(rbx, { disp: 8 + 8 * 4 }, 32));
    a.call(sym(N.writeAll));
    c.writeStr(2, " at ");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 3 }, 32)); a.add(rsi, r15); a.mov(edx, mem(rbx, { disp: 8 + 8 * 2 }, 32));
    a.call(sym(N.writePath));
    c.writeStr(2, ":");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 1 }, 32));
    a.call(sym(N.writeDec));
    c.writeStr(2, ":");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 }, 32));
    a.call(sym(N.writeDec));
    c.writeStr(2, "\n");
    a.mov(edi, imm(EXIT_ABORT)); a.mov(eax, imm(SYS.exit_group));
    a.syscall();
    bindOutOfBounds(c, oob);
  }

  // random_seed(ptr, len): getrandom until filled (it may return less than asked).
  b.func(N.import("random_seed"));
  {
    const oob = a.newLabel("oob"), loop = a.newLabel("loop"), done = a.newLabel("done"), failed = a.newLabel("failed");
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    checkRange(c, rsi, rdx, oob);
    a.push(rbx); a.push(r12);
    a.lea(rbx, mem(r15, { index: rsi })); a.mov(r12, rdx);
    a.bind(loop);
    a.test(r12, r12); a.jcc("z", done);
    a.mov(rdi, rbx); a.mov(rsi, r12); a.xor(edx, edx); a.mov(eax, imm(SYS.getrandom));
    a.syscall();
    a.cmp(rax, imm(-EINTR)); a.jcc("e", loop);
    a.test(rax, rax); a.jcc("le", failed);
    a.add(rbx, rax); a.sub(r12, rax);
    a.jmp(loop);
    a.bind(done);
    a.pop(r12); a.pop(rbx);
    a.ret();
    a.bind(failed); // no entropy: the ABI lets the runtime end the unikernel instead
    a.mov(rbx, rax);
    a.and(rsp, imm(-16));
    c.writeStr(2, "atoll runtime: getrandom failed: ");
    a.mov(rsi, rbx); a.neg(rsi); a.mov(edi, imm(2)); a.call(sym(N.writeErrno));
    c.writeStr(2, "\n");
    a.mov(edi, imm(EXIT_ABORT)); a.mov(eax, imm(SYS.exit_group));
    a.syscall();
    bindOutOfBounds(c, oob);
  }

  // args(ptr, cap) -> size: argv[1..], each followed by NUL; copies at most cap bytes.
  b.func(N.import("args"));
  {
    const oob = a.newLabel("oob"), outer = a.newLabel("outer"), inner = a.newLabel("inner"), sized = a.newLabel("sized");
    const copyOuter = a.newLabel("copy_outer"), copyInner = a.newLabel("copy_inner"), done = a.newLabel("done");
    // Pass 1: the size, in rax. argc may be 0 (execve with an empty argv).
    a.xor(eax, eax);
    a.mov(rcx, c.at(N.argc));
    a.test(rcx, rcx); a.jcc("z", sized);
    a.mov(rdi, c.at(N.argv)); a.add(rdi, imm(8));
    a.bind(outer);
    a.mov(rsi, mem(rdi));
    a.test(rsi, rsi); a.jcc("z", sized);
    a.bind(inner);
    a.add(rax, imm(1));
    a.movzx(ecx, mem(rsi, {}, 8));
    a.add(rsi, imm(1));
    a.test(ecx, ecx); a.jcc("nz", inner);
    a.add(rdi, imm(8));
    a.jmp(outer);
    // Pass 2: copy min(cap, size) bytes.
    a.bind(sized);
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    a.cmp(rdx, rax); a.cmovcc("a", rdx, rax);
    checkRange(c, rsi, rdx, oob);
    a.test(rdx, rdx); a.jcc("z", done);
    a.lea(rdi, mem(r15, { index: rsi }));
    a.mov(r8, c.at(N.argv)); a.add(r8, imm(8));
    a.bind(copyOuter);
    a.mov(rsi, mem(r8)); a.add(r8, imm(8));
    a.bind(copyInner);
    a.movzx(ecx, mem(rsi, {}, 8));
    a.mov(mem(rdi), cl);
    a.add(rsi, imm(1)); a.add(rdi, imm(1));
    a.sub(rdx, imm(1)); a.jcc("z", done);
    a.test(ecx, ecx); a.jcc("nz", copyInner);
    a.jmp(copyOuter);
    a.bind(done);
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // yield(deadline) -> ready set. With no network device open it only
  // sleeps: clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until the
  // deadline, again after a signal; a deadline in the past returns at once,
  // and so does i64.MAX ("wake me on a device event"): with no device nothing
  // can ever happen, and sleeping forever would hang the process silently.
  // With devices open (net.ts) it is ppoll(POLLIN) over their fds with the
  // time left as the timeout (none for i64.MAX: it blocks until a frame
  // comes); bit n of the result is set when device n has something to read.
  // A signal ends the wait early with an empty set: the loop just turns again.
  b.func(N.import("yield"));
  {
    const now = a.newLabel("now"), again = a.newLabel("again"), polling = a.newLabel("polling");
    a.cmp(c.at(NS.netsCount, 64), imm(0)); a.jcc("ne", polling, "near");
    a.mov(rax, arg(0, 1));
    a.mov(rcx, imm64(0x7fff_ffff_ffff_ffffn));
    a.cmp(rax, rcx); a.jcc("e", now);
    a.test(rax, rax); a.jcc("le", now);
    a.sub(rsp, imm(24));
    a.xor(edx, edx); a.mov(ecx, imm(1_000_000_000)); a.div(rcx);
    a.mov(mem(rsp), rax); a.mov(mem(rsp, { disp: 8 }), rdx); // struct timespec { tv_sec, tv_nsec }
    a.bind(again);
    a.mov(eax, imm(SYS.clock_nanosleep)); a.mov(edi, imm(CLOCK_MONOTONIC)); a.mov(esi, imm(TIMER_ABSTIME));
    a.mov(rdx, rsp); a.xor(r10d, r10d);
    a.syscall();
    a.cmp(rax, imm(-EINTR)); a.jcc("e", again);
    a.add(rsp, imm(24));
    a.bind(now);
    a.xor(eax, eax);
    a.ret();

    // The ppoll path. Frame: pollfd[MAX_NETS] at 0, the timeout at FDS, clock_gettime's result at FDS + 16.
    const FDS = POLLFD.size * MAX_NETS, FRAME = FDS + 32 + 8;
    const fill = a.newLabel("fill"), filled = a.newLabel("filled"), forever = a.newLabel("forever"), call = a.newLabel("call");
    const future = a.newLabel("future"), scan = a.newLabel("scan"), skip = a.newLabel("skip"), done = a.newLabel("done");
    a.bind(polling);
    a.sub(rsp, imm(FRAME));
    a.xor(ecx, ecx);
    a.lea(rsi, c.at(NS.nets));
    a.bind(fill);
    a.cmp(rcx, c.at(NS.netsCount)); a.jcc("ae", filled);
    a.mov(rdx, rcx); a.shl(rdx, imm(4));
    a.mov(eax, mem(rsi, { index: rdx, disp: NET_ENTRY.fd }, 32));
    a.mov(mem(rsp, { index: rcx, scale: 8, disp: POLLFD.fd }, 32), eax);
    a.mov(mem(rsp, { index: rcx, scale: 8, disp: POLLFD.events }, 32), imm(POLLIN)); // events = POLLIN, revents = 0
    a.add(rcx, imm(1)); a.jmp(fill);
    a.bind(filled);
    a.mov(rax, mem(rsp, { disp: FRAME + 8 })); // the deadline
    a.mov(rcx, imm64(0x7fff_ffff_ffff_ffffn));
    a.cmp(rax, rcx); a.jcc("e", forever);
    a.mov(r9, rax);
    a.mov(eax, imm(SYS.clock_gettime)); a.mov(edi, imm(CLOCK_MONOTONIC)); a.lea(rsi, mem(rsp, { disp: FDS + 16 }));
    a.syscall();
    a.imul(rax, mem(rsp, { disp: FDS + 16 }), imm(1_000_000_000));
    a.add(rax, mem(rsp, { disp: FDS + 24 }));
    a.sub(r9, rax); // time left
    a.jcc("g", future);
    a.xor(r9d, r9d);
    a.bind(future);
    a.mov(rax, r9);
    a.xor(edx, edx); a.mov(ecx, imm(1_000_000_000)); a.div(rcx);
    a.mov(mem(rsp, { disp: FDS }), rax); a.mov(mem(rsp, { disp: FDS + 8 }), rdx);
    a.lea(rdx, mem(rsp, { disp: FDS }));
    a.jmp(call);
    a.bind(forever);
    a.xor(edx, edx); // no timeout
    a.bind(call);
    a.mov(eax, imm(SYS.ppoll)); a.mov(rdi, rsp); a.mov(rsi, c.at(NS.netsCount)); a.xor(r10d, r10d); a.xor(r8d, r8d);
    a.syscall();
    a.xor(r9d, r9d); // the ready set
    a.test(rax, rax); a.jcc("le", done); // timeout, EINTR, or an error: nothing is ready
    a.xor(ecx, ecx);
    a.bind(scan);
    a.cmp(rcx, c.at(NS.netsCount)); a.jcc("ae", done);
    a.cmp(mem(rsp, { index: rcx, scale: 8, disp: POLLFD.revents }, 16), imm(0)); a.jcc("e", skip);
    a.mov(eax, imm(1)); a.shl(rax, cl); a.or(r9, rax);
    a.bind(skip);
    a.add(rcx, imm(1)); a.jmp(scan);
    a.bind(done);
    a.mov(rax, r9);
    a.add(rsp, imm(FRAME));
    a.ret();
  }
}
