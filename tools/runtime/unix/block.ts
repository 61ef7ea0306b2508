// Runtime options and the host block calls of docs/abi.md on raw system
// calls: split_args takes the --atoll- options out of argv at start-up (so
// `args` never sees them), block_open finds a --atoll-disk=NAME=PATH and
// opens PATH, block_read/block_write are pread64/pwrite64 loops, block_flush
// is fdatasync.
//
// lib/block.ts's guarantees on this platform: a transfer is one pwrite64 at
// a sector-aligned offset, repeated only for the rest after a short count
// (which the kernel returns at page, so sector, boundaries); a killed process
// leaves each sector old or new, and after power loss each 512-byte sector of
// the file lies in one device sector (file blocks are aligned), which the
// disk writes atomically. block_flush is fdatasync, issued after every
// earlier write has returned: one thread, synchronous calls.
import {
  type Gpr, type Label, type Mem, al, dl, r8d, rbp, eax, ebp, ebx, ecx, edi, edx, esi, imm, mem, r12, r12d, r13, r13d, r14, r15, r8, r9, r10, r11, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, deviceEntry, type Ctx } from "./context.ts";
import { emitOptionScan } from "./option-scan.ts";
import { MAX_NETS, NET_OPTION, NS } from "./net.ts";
import { EINTR, MAX_ERRNO, O_CLOEXEC, O_RDONLY, O_RDWR, STAT, S_IFMT, S_IFREG, SYS } from "./linux.ts";

/** The block calls this file defines. */
export const BLOCK_FUNCTIONS = ["block_open", "block_info", "block_read", "block_write", "block_flush"] as const;

/** Result codes (docs/abi.md). */
const OK = 0, OUT_OF_RANGE = 1, UNALIGNED = 2, READ_ONLY = 3, IO_ERROR = 4, BAD_HANDLE = 5;
const NOT_ATTACHED = -1, CANNOT_OPEN = -2;
/** Runtime arguments: status for bad ones (docs/abi.md, exit). */
const EXIT_USAGE = 2;
/** At most this many --atoll-disk options and open devices. */
export const MAX_DISKS = 16;
/** A device table entry: fd (u32), flags (u32, bit 0 read-only), sector count (u64). */
const ENTRY = { fd: 0, flags: 4, sectors: 8, size: 16 } as const;

const PREFIX = "--atoll-";
const DISK = "--atoll-disk=";

const S = {
  opts: "atoll_rt:opts",
  optsCount: "atoll_rt:opts:count",
  disks: "atoll_rt:disks",
  disksCount: "atoll_rt:disks:count",
  startsWith: "atoll_rt:starts_with",
  strlen: "atoll_rt:strlen",
  writeCStr: "atoll_rt:write_cstr",
} as const;

/** The symbol _start calls, with argc/argv saved, before anything else. */
export const SPLIT_ARGS = "atoll_rt:split_args";

/** The stack slot of argument `i` of `n` after `pushed` pushes. */
const arg = (i: number, n: number, pushed: number, size?: 32 | 64): Mem => mem(rsp, { disp: 8 * pushed + 8 + 8 * (n - 1 - i) }, size);

/** Jumps to `oob` unless [ptr, ptr + len) is inside the live linear memory; clobbers r8, r9. */
function checkRange(c: Ctx, ptr: Gpr, len: Gpr, oob: Label): void {
  const { a } = c;
  a.lea(r8, mem(ptr, { index: len }));
  a.mov(r9, c.at(N.memoryPages));
  a.shl(r9, imm(16));
  a.cmp(r8, r9);
  a.jcc("a", oob, "near");
}

export function emitBlock(c: Ctx): void {
  const { a, b } = c;
  b.bss(S.opts, 8 * MAX_DISKS);
  b.bss(S.optsCount, 8);
  b.bss(S.disks, ENTRY.size * MAX_DISKS);
  b.bss(S.disksCount, 8);

  // starts_with(str, prefix, len) -> eax 1 when the NUL-terminated str begins with the len bytes of prefix.
  b.func(S.startsWith);
  {
    const loop = a.newLabel("loop"), yes = a.newLabel("yes"), no = a.newLabel("no");
    a.xor(ecx, ecx);
    a.bind(loop);
    a.cmp(rcx, rdx); a.jcc("e", yes);
    a.movzx(eax, mem(rdi, { index: rcx }, 8));
    a.cmp(al, mem(rsi, { index: rcx }, 8)); a.jcc("ne", no); // a NUL in str differs from every prefix byte
    a.add(rcx, imm(1));
    a.jmp(loop);
    a.bind(yes); a.mov(eax, imm(1)); a.ret();
    a.bind(no); a.xor(eax, eax); a.ret();
  }

  // strlen(str) -> rax.
  b.func(S.strlen);
  {
    const loop = a.newLabel("loop"), done = a.newLabel("done");
    a.mov(rax, rdi);
    a.bind(loop);
    a.cmp(mem(rax, {}, 8), imm(0)); a.jcc("e", done);
    a.add(rax, imm(1)); a.jmp(loop);
    a.bind(done);
    a.sub(rax, rdi);
    a.ret();
  }

  // write_cstr(fd, str): a NUL-terminated string.
  b.func(S.writeCStr);
  a.push(rbx); a.push(r12);
  a.mov(ebx, edi); a.mov(r12, rsi);
  a.mov(rdi, rsi); a.call(sym(S.strlen));
  a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, rax); a.call(sym(N.writeAll));
  a.pop(r12); a.pop(rbx);
  a.ret();

  emitSplitArgs(c);
  emitOpen(c);
  emitInfo(c);
  emitTransfer(c, "block_read", SYS.pread64);
  emitTransfer(c, "block_write", SYS.pwrite64);
  emitFlush(c);
}


// split_args: argv[1..] without the --atoll- options, compacted in place
// (NULL after the last one kept, argc updated); each --atoll-disk= option
// recorded in `opts`. A bad option ends the process with status 2.
function emitSplitArgs(c: Ctx): void {
  const { a, b } = c;
  b.func(SPLIT_ARGS);
  const loop = a.newLabel("loop"), runtime = a.newLabel("runtime"), find = a.newLabel("find"), found = a.newLabel("found");
  const done = a.newLabel("done"), unknown = a.newLabel("unknown"), malformed = a.newLabel("malformed"), tooMany = a.newLabel("too_many");
  const none = a.newLabel("none");
  a.cmp(c.at(N.argc, 64), imm(0)); a.jcc("e", none, "near"); // execve with an empty argv: nothing to split
  a.push(rbx); a.push(r12); a.push(r13);
  a.mov(r12, c.at(N.argv)); a.add(r12, imm(8)); // read
  a.mov(r13, r12); // write
  a.bind(loop);
  a.mov(rbx, mem(r12)); a.test(rbx, rbx); a.jcc("z", done, "near");
  a.add(r12, imm(8));
  const prefix = c.str(PREFIX), disk = c.str(DISK);
  a.mov(rdi, rbx); a.lea(rsi, c.at(prefix.name)); a.mov(edx, imm(prefix.length)); a.call(sym(S.startsWith));
  a.test(eax, eax); a.jcc("nz", runtime);
  a.mov(mem(r13), rbx); a.add(r13, imm(8));
  a.jmp(loop);
  a.bind(runtime);
  const net = c.str(NET_OPTION), notNet = a.newLabel("not_net"), netName = a.newLabel("net_name"), netFound = a.newLabel("net_found");
  const netMalformed = a.newLabel("net_malformed"), netTooMany = a.newLabel("net_too_many");
  a.mov(rdi, rbx); a.lea(rsi, c.at(net.name)); a.mov(edx, imm(net.length)); a.call(sym(S.startsWith));
  a.test(eax, eax); a.jcc("z", notNet, "near");
  // --atoll-net=NAME=BACKEND: NAME non-empty; the backend is checked by net_open.
  a.lea(rcx, mem(rbx, { disp: net.length }));
  a.cmp(mem(rcx, {}, 8), imm(0x3d)); a.jcc("e", netMalformed, "near");
  a.bind(netName);
  a.movzx(eax, mem(rcx, {}, 8));
  a.test(eax, eax); a.jcc("z", netMalformed, "near");
  a.cmp(eax, imm(0x3d)); a.jcc("e", netFound);
  a.add(rcx, imm(1)); a.jmp(netName);
  a.bind(netFound);
  a.mov(rax, c.at(NS.optsCount));
  a.cmp(rax, imm(MAX_NETS)); a.jcc("ae", netTooMany, "near");
  a.lea(rcx, c.at(NS.opts)); a.mov(mem(rcx, { index: rax, scale: 8 }), rbx);
  a.add(rax, imm(1)); a.mov(c.at(NS.optsCount), rax);
  a.jmp(loop, "near");
  a.bind(notNet);
  a.mov(rdi, rbx); a.lea(rsi, c.at(disk.name)); a.mov(edx, imm(disk.length)); a.call(sym(S.startsWith));
  a.test(eax, eax); a.jcc("z", unknown, "near");
  a.lea(rcx, mem(rbx, { disp: disk.length }));
  a.cmp(mem(rcx, {}, 8), imm(0x3d)); a.jcc("e", malformed, "near"); // an empty NAME
  a.bind(find);
  a.movzx(eax, mem(rcx, {}, 8));
  a.test(eax, eax); a.jcc("z", malformed, "near");
  a.cmp(eax, imm(0x3d)); a.jcc("e", found);
  a.add(rcx, imm(1)); a.jmp(find);
  a.bind(found);
  a.mov(rax, c.at(S.optsCount));
  a.cmp(rax, imm(MAX_DISKS)); a.jcc("ae", tooMany, "near");
  a.lea(rcx, c.at(S.opts)); a.mov(mem(rcx, { index: rax, scale: 8 }), rbx);
  a.add(rax, imm(1)); a.mov(c.at(S.optsCount), rax);
  a.jmp(loop, "near");
  a.bind(done);
  a.mov(mem(r13, {}, 64), imm(0));
  a.mov(rax, r13); a.sub(rax, c.at(N.argv)); a.shr(rax, imm(3)); a.mov(c.at(N.argc), rax);
  a.pop(r13); a.pop(r12); a.pop(rbx);
  a.bind(none);
  a.ret();

  const fail = (label: Label, before: string, after: string | null): void => {
    a.bind(label);
    c.writeStr(2, before);
    if (after !== null) {
      a.mov(edi, imm(2)); a.mov(rsi, rbx); a.call(sym(S.writeCStr));
      c.writeStr(2, after);
    }
    a.mov(edi, imm(EXIT_USAGE)); a.mov(eax, imm(SYS.exit_group));
    a.syscall();
  };
  fail(unknown, "atoll: unknown runtime option ", "; the runtime knows --atoll-disk=NAME=PATH\n");
  fail(netMalformed, "atoll: ", ": expected --atoll-net=NAME=tap:IFNAME[,create] or --atoll-net=NAME=none\n");
  fail(netTooMany, `atoll: more than ${MAX_NETS} --atoll-net options\n`, null);
  fail(malformed, "atoll: ", ": expected --atoll-disk=NAME=PATH\n");
  fail(tooMany, `atoll: more than ${MAX_DISKS} --atoll-disk options\n`, null);
}

// block_open(name, name_len, read_only) -> handle, -1 (not attached) or -2 (cannot open, reported).
function emitOpen(c: Ctx): void {
  const { a, b } = c;
  b.func(N.import("block_open"));
  const oob = a.newLabel("oob");
  const notAttached = a.newLabel("not_attached"), found = a.newLabel("found"), out = a.newLabel("out");
  const openFailed = a.newLabel("open_failed"), statFailed = a.newLabel("stat_failed"), notRegular = a.newLabel("not_regular"), tooMany = a.newLabel("too_many");
  a.mov(esi, arg(0, 3, 0, 32)); a.mov(edx, arg(1, 3, 0, 32));
  checkRange(c, rsi, rdx, oob);
  const pushed = 5;
  a.push(rbx); a.push(rbp); a.push(r12); a.push(r13); a.push(r14);
  a.mov(r12d, arg(0, 3, pushed, 32)); a.add(r12, r15); // the name
  a.mov(r13d, arg(1, 3, pushed, 32)); // its length
  emitOptionScan(c, S.opts, c.at(S.optsCount), DISK.length, found, notAttached); // r14: the path

  a.bind(found);
  a.cmp(c.at(S.disksCount, 64), imm(MAX_DISKS)); a.jcc("ae", tooMany, "near");
  a.mov(ebp, arg(2, 3, pushed, 32)); // read_only
  a.mov(esi, imm(O_RDWR | O_CLOEXEC)); a.mov(ecx, imm(O_RDONLY | O_CLOEXEC));
  a.test(ebp, ebp); a.cmovcc("nz", esi, ecx);
  a.mov(eax, imm(SYS.open)); a.mov(rdi, r14); a.xor(edx, edx);
  a.syscall();
  a.cmp(rax, imm(-MAX_ERRNO)); a.jcc("ae", openFailed, "near");
  a.mov(rbx, rax); // the fd
  a.sub(rsp, imm(STAT.bytes));
  a.mov(eax, imm(SYS.fstat)); a.mov(edi, ebx); a.mov(rsi, rsp);
  a.syscall();
  a.cmp(rax, imm(-MAX_ERRNO)); a.jcc("ae", statFailed, "near");
  a.mov(eax, mem(rsp, { disp: STAT.mode }, 32)); a.and(eax, imm(S_IFMT));
  a.cmp(eax, imm(S_IFREG)); a.jcc("ne", notRegular, "near");
  a.mov(rcx, mem(rsp, { disp: STAT.size })); a.shr(rcx, imm(9));
  a.add(rsp, imm(STAT.bytes));
  a.mov(rax, c.at(S.disksCount));
  a.mov(rdx, rax); a.shl(rdx, imm(4));
  a.lea(rdi, c.at(S.disks)); a.add(rdi, rdx);
  a.mov(mem(rdi, { disp: ENTRY.fd }, 32), ebx);
  a.xor(edx, edx); a.test(ebp, ebp); a.setcc("nz", dl);
  a.mov(mem(rdi, { disp: ENTRY.flags }, 32), edx);
  a.mov(mem(rdi, { disp: ENTRY.sectors }), rcx);
  a.lea(rcx, mem(rax, { disp: 1 })); a.mov(c.at(S.disksCount), rcx);
  a.bind(out);
  a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbp); a.pop(rbx);
  a.ret();
  a.bind(notAttached);
  a.mov(eax, imm(NOT_ATTACHED)); a.jmp(out);

  /** "atoll: disk 'NAME': " then the rest; returns -2. `errno` in rbx when given. */
  const report = (label: Label, middle: string, tail: "errno" | string): void => {
    a.bind(label);
    c.writeStr(2, "atoll: disk '");
    a.mov(edi, imm(2)); a.mov(rsi, r12); a.mov(rdx, r13); a.call(sym(N.writeAll));
    c.writeStr(2, middle);
    a.mov(edi, imm(2)); a.mov(rsi, r14); a.call(sym(S.writeCStr));
    if (tail === "errno") {
      c.writeStr(2, ": ");
      a.mov(rsi, rbx); a.neg(rsi); a.mov(edi, imm(2)); a.call(sym(N.writeErrno));
      c.writeStr(2, "\n");
    } else {
      c.writeStr(2, tail);
    }
    a.mov(eax, imm(CANNOT_OPEN)); a.jmp(out, "near");
  };
  const openReport = a.newLabel("open_report"), regularReport = a.newLabel("regular_report");
  a.bind(openFailed);
  a.mov(rbx, rax); a.jmp(openReport);
  a.bind(statFailed); // close the fd, keep fstat's errno
  a.add(rsp, imm(STAT.bytes));
  a.mov(rdi, rbx); a.mov(rbx, rax);
  a.mov(eax, imm(SYS.close)); a.syscall();
  a.jmp(openReport);
  a.bind(notRegular);
  a.add(rsp, imm(STAT.bytes));
  a.mov(edi, ebx); a.mov(eax, imm(SYS.close)); a.syscall();
  a.jmp(regularReport);
  report(openReport, "': cannot open ", "errno");
  report(regularReport, "': ", " is not a regular file\n");
  report(tooMany, "': cannot open ", `: more than ${MAX_DISKS} disks are open\n`);
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}


/** rcx = the table entry of the handle in eax, or a jump to `bad`. */
function entry(c: Ctx, bad: Label): void {
  deviceEntry(c, S.disksCount, S.disks, bad);
}

function ret(c: Ctx, label: Label, code: number): void {
  c.a.bind(label);
  c.a.mov(eax, imm(code));
  c.a.ret();
}

// block_info(handle, info): sector count u64, sector size u32, flags u32.
function emitInfo(c: Ctx): void {
  const { a, b } = c;
  b.func(N.import("block_info"));
  const bad = a.newLabel("bad"), oob = a.newLabel("oob");
  a.mov(eax, arg(0, 2, 0, 32));
  entry(c, bad);
  a.mov(esi, arg(1, 2, 0, 32)); a.mov(edx, imm(16));
  checkRange(c, rsi, rdx, oob);
  a.mov(rax, mem(rcx, { disp: ENTRY.sectors })); a.mov(mem(r15, { index: rsi }), rax);
  a.mov(mem(r15, { index: rsi, disp: 8 }, 32), imm(512));
  a.mov(eax, mem(rcx, { disp: ENTRY.flags }, 32)); a.mov(mem(r15, { index: rsi, disp: 12 }, 32), eax);
  a.xor(eax, eax);
  a.ret();
  ret(c, bad, BAD_HANDLE);
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}

// block_read / block_write(handle, sector, ptr, len): checks in the ABI's
// order, then pread64/pwrite64 until every byte moved.
function emitTransfer(c: Ctx, name: "block_read" | "block_write", nr: number): void {
  const { a, b } = c;
  b.func(N.import(name));
  const bad = a.newLabel("bad"), unaligned = a.newLabel("unaligned"), range = a.newLabel("range"), readOnly = a.newLabel("read_only");
  const oob = a.newLabel("oob"), loop = a.newLabel("loop"), ok = a.newLabel("ok"), ioError = a.newLabel("io_error"), done = a.newLabel("done");
  a.mov(eax, arg(0, 4, 0, 32));
  entry(c, bad);
  a.mov(edx, arg(3, 4, 0, 32));
  a.test(edx, imm(511)); a.jcc("nz", unaligned, "near");
  a.mov(r10, arg(1, 4, 0)); // sector, as u64: a negative one is past any end
  a.mov(r11, mem(rcx, { disp: ENTRY.sectors }));
  a.cmp(r10, r11); a.jcc("a", range, "near");
  a.sub(r11, r10);
  a.mov(rax, rdx); a.shr(rax, imm(9));
  a.cmp(rax, r11); a.jcc("a", range, "near");
  if (name === "block_write") {
    a.cmp(mem(rcx, { disp: ENTRY.flags }, 32), imm(0)); a.jcc("ne", readOnly, "near");
  }
  a.mov(esi, arg(2, 4, 0, 32));
  checkRange(c, rsi, rdx, oob);
  a.push(rbx); a.push(r12); a.push(r13); a.push(r14);
  a.mov(ebx, mem(rcx, { disp: ENTRY.fd }, 32));
  a.lea(r12, mem(r15, { index: rsi })); // where
  a.mov(r13, rdx); // bytes left
  a.mov(r14, r10); a.shl(r14, imm(9)); // file offset
  a.bind(loop);
  a.test(r13, r13); a.jcc("z", ok);
  a.mov(eax, imm(nr)); a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, r13); a.mov(r10, r14);
  a.syscall();
  a.cmp(rax, imm(-EINTR)); a.jcc("e", loop);
  a.test(rax, rax); a.jcc("le", ioError); // an error, or end of file: the file shrank
  a.add(r12, rax); a.add(r14, rax); a.sub(r13, rax);
  a.jmp(loop);
  a.bind(ok);
  a.mov(eax, imm(OK));
  a.bind(done);
  a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbx);
  a.ret();
  a.bind(ioError);
  a.mov(eax, imm(IO_ERROR)); a.jmp(done);
  ret(c, bad, BAD_HANDLE);
  ret(c, unaligned, UNALIGNED);
  ret(c, range, OUT_OF_RANGE);
  ret(c, readOnly, READ_ONLY);
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}

// block_flush(handle): fdatasync, again after EINTR.
function emitFlush(c: Ctx): void {
  const { a, b } = c;
  b.func(N.import("block_flush"));
  const bad = a.newLabel("bad"), readOnly = a.newLabel("read_only"), again = a.newLabel("again"), ioError = a.newLabel("io_error");
  a.mov(eax, arg(0, 1, 0, 32));
  entry(c, bad);
  a.cmp(mem(rcx, { disp: ENTRY.flags }, 32), imm(0)); a.jcc("ne", readOnly);
  a.mov(r8d, mem(rcx, { disp: ENTRY.fd }, 32));
  a.bind(again);
  a.mov(eax, imm(SYS.fdatasync)); a.mov(edi, r8d);
  a.syscall();
  a.cmp(rax, imm(-EINTR)); a.jcc("e", again);
  a.test(rax, rax); a.jcc("nz", ioError);
  a.ret();
  ret(c, bad, BAD_HANDLE);
  ret(c, readOnly, READ_ONLY);
  ret(c, ioError, IO_ERROR);
}
