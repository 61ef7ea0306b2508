// The host network calls of docs/abi.md on Linux tap devices: net_open finds
// a --atoll-net=NAME=tap:IFNAME[,create] (recorded by split_args in
// block.ts), checks that IFNAME exists unless ",create" says it may be made,
// opens /dev/net/tun non-blocking and attaches it to IFNAME with TUNSETIFF
// (IFF_TAP | IFF_NO_PI: whole Ethernet frames, no packet-information
// header); net_read/net_write are one read/write each (one frame per call,
// as the tap driver defines); `yield` (abi.ts) ppolls the open devices' fds.
// --atoll-net=NAME=none opens a device with no fd (-1): ppoll skips it, reads
// find nothing and writes are dropped (`atoll run --net none`).
//
// The unikernel's MAC is not the tap's (that one is the host side's): it is a
// random locally administered unicast address drawn at net_open. The MTU is
// Ethernet's 1500.
import { type Label, type Mem, al, r12d, r13d, eax, ebx, ecx, edi, edx, esi, imm, mem, r12, r13, r14, r15, r8, r9, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym } from "../../x86/index.ts";
import { N, deviceEntry, type Ctx } from "./context.ts";
import { emitOptionScan } from "./option-scan.ts";
import {
  AF_UNIX, EAGAIN, EBADF, EINTR, ENODEV, IFF_NO_PI, IFF_TAP, IFREQ, MAX_ERRNO, O_CLOEXEC, O_NONBLOCK, O_RDWR, SIOCGIFINDEX, SOCK_CLOEXEC, SOCK_DGRAM, SYS, TUNSETIFF,
} from "./linux.ts";

/** The network calls this file defines. */
export const NET_FUNCTIONS = ["net_open", "net_info", "net_read", "net_write"] as const;

/** At most this many --atoll-net options and open devices (their handles are ready-set bits). */
export const MAX_NETS = 16;
/** A device table entry: fd (u32), mtu (u32), MAC (6 bytes, padded to 8). */
export const NET_ENTRY = { fd: 0, mtu: 4, mac: 8, size: 16 } as const;
export const NET_OPTION = "--atoll-net=";
const TAP = "tap:";
/** After tap:IFNAME: the tap may be created when it does not exist. */
const CREATE = ",create\0";
const COMMA = 0x2c;
/** block.ts's write_cstr(fd, str). */
const WRITE_CSTR = "atoll_rt:write_cstr";
/** The backend that connects the device to nothing: reads find no frame, writes drop theirs (atoll run --net none). */
const NONE = "none\0";
const MTU = 1500;
const NOT_ATTACHED = -1, CANNOT_OPEN = -2, BAD_HANDLE = 5;

export const NS = {
  opts: "atoll_rt:net_opts",
  optsCount: "atoll_rt:net_opts:count",
  nets: "atoll_rt:nets",
  netsCount: "atoll_rt:nets:count",
} as const;

const arg = (i: number, n: number, pushed: number, size?: 32 | 64): Mem => mem(rsp, { disp: 8 * pushed + 8 + 8 * (n - 1 - i) }, size);

function checkRange(c: Ctx, ptr: typeof rsi, len: typeof rdx, oob: Label): void {
  const { a } = c;
  a.lea(r8, mem(ptr, { index: len }));
  a.mov(r9, c.at(N.memoryPages));
  a.shl(r9, imm(16));
  a.cmp(r8, r9);
  a.jcc("a", oob, "near");
}

export function emitNet(c: Ctx): void {
  const { b } = c;
  b.bss(NS.opts, 8 * MAX_NETS);
  b.bss(NS.optsCount, 8);
  b.bss(NS.nets, NET_ENTRY.size * MAX_NETS);
  b.bss(NS.netsCount, 8);
  emitOpen(c);
  emitInfo(c);
  emitIo(c, "net_read", SYS.read);
  emitIo(c, "net_write", SYS.write);
}

// net_open(name, name_len) -> handle, -1 (not attached) or -2 (cannot open, reported on fd 2).
// The backend is "none", "tap:IFNAME" (IFNAME must exist: TUNSETIFF as root
// would create a new tap, connected to nothing, under a misspelled name) or
// "tap:IFNAME,create" (TUNSETIFF creates it when missing; it lives as long as
// the device is open).
function emitOpen(c: Ctx): void {
  const { a, b } = c;
  b.func(N.import("net_open"));
  const oob = a.newLabel("oob");
  const notAttached = a.newLabel("not_attached"), found = a.newLabel("found"), out = a.newLabel("out"), copy = a.newLabel("copy"), copied = a.newLabel("copied");
  const notTap = a.newLabel("not_tap"), badIfname = a.newLabel("bad_ifname"), badOption = a.newLabel("bad_option"), openFailed = a.newLabel("open_failed"), ioctlFailed = a.newLabel("ioctl_failed");
  const tooMany = a.newLabel("too_many"), report = a.newLabel("report"), tapCheck = a.newLabel("tap_check");
  const notNone = a.newLabel("not_none"), fill = a.newLabel("fill");
  const mustExist = a.newLabel("must_exist"), attach = a.newLabel("attach"), socketFailed = a.newLabel("socket_failed"), noInterface = a.newLabel("no_interface");
  a.mov(esi, arg(0, 2, 0, 32)); a.mov(edx, arg(1, 2, 0, 32));
  checkRange(c, rsi, rdx, oob);
  const pushed = 4;
  a.push(rbx); a.push(r12); a.push(r13); a.push(r14);
  a.mov(r12d, arg(0, 2, pushed, 32)); a.add(r12, r15); // the name
  a.mov(r13d, arg(1, 2, pushed, 32)); // its length
  emitOptionScan(c, NS.opts, c.at(NS.optsCount), NET_OPTION.length, found, notAttached); // r14: the backend: tap:IFNAME

  a.bind(found);
  a.cmp(c.at(NS.netsCount, 64), imm(MAX_NETS)); a.jcc("ae", tooMany, "near");
  // "none": no fd (-1, which ppoll skips).
  a.mov(rdi, r14); matches(c, NONE, notNone);
  a.mov(ebx, imm(-1));
  a.jmp(fill, "near");
  a.bind(notNone);
  // "tap:" then 1-15 bytes of interface name, up to the end or a ','.
  const tap = c.str(TAP);
  a.xor(ecx, ecx);
  a.bind(tapCheck);
  a.cmp(rcx, imm(TAP.length)); a.jcc("e", copy);
  a.movzx(eax, mem(r14, { index: rcx }, 8));
  a.lea(rdx, c.at(tap.name));
  a.cmp(al, mem(rdx, { index: rcx }, 8)); a.jcc("ne", notTap, "near");
  a.add(rcx, imm(1)); a.jmp(tapCheck);
  // struct ifreq on the stack, zeroed, the name copied in.
  a.bind(copy);
  a.sub(rsp, imm(IFREQ.bytes + 8));
  for (let off = 0; off < IFREQ.bytes + 8; off += 8) a.mov(mem(rsp, { disp: off }, 64), imm(0));
  a.xor(ecx, ecx);
  const copyLoop = a.newLabel("copy_loop");
  a.bind(copyLoop);
  a.movzx(eax, mem(r14, { index: rcx, disp: TAP.length }, 8));
  a.test(eax, eax); a.jcc("z", copied);
  a.cmp(eax, imm(COMMA)); a.jcc("e", copied);
  a.cmp(rcx, imm(IFREQ.nameSize - 1)); a.jcc("ae", badIfname, "near");
  a.mov(mem(rsp, { index: rcx }, 8), al);
  a.add(rcx, imm(1)); a.jmp(copyLoop);
  a.bind(copied);
  a.test(rcx, rcx); a.jcc("z", badIfname, "near");
  a.test(eax, eax); a.jcc("z", mustExist);
  a.lea(rdi, mem(r14, { index: rcx, disp: TAP.length })); matches(c, CREATE, badOption);
  a.jmp(attach);
  // No ",create": SIOCGIFINDEX says whether IFNAME exists in this namespace.
  a.bind(mustExist);
  a.mov(eax, imm(SYS.socket)); a.mov(edi, imm(AF_UNIX)); a.mov(esi, imm(SOCK_DGRAM | SOCK_CLOEXEC)); a.xor(edx, edx);
  a.syscall();
  a.cmp(rax, imm(-MAX_ERRNO)); a.jcc("ae", socketFailed, "near");
  a.mov(rbx, rax);
  a.mov(eax, imm(SYS.ioctl)); a.mov(edi, ebx); a.mov(esi, imm(SIOCGIFINDEX)); a.mov(rdx, rsp);
  a.syscall();
  a.mov(rdi, rbx); a.mov(rbx, rax); a.mov(eax, imm(SYS.close)); a.syscall();
  a.cmp(rbx, imm(-ENODEV)); a.jcc("e", noInterface, "near");
  a.bind(attach); // the flags overwrite the ifindex SIOCGIFINDEX left there
  a.mov(mem(rsp, { disp: IFREQ.flags }, 32), imm(IFF_TAP | IFF_NO_PI));
  const path = c.str("/dev/net/tun\0");
  a.mov(eax, imm(SYS.open)); a.lea(rdi, c.at(path.name)); a.mov(esi, imm(O_RDWR | O_NONBLOCK | O_CLOEXEC)); a.xor(edx, edx);
  a.syscall();
  a.cmp(rax, imm(-MAX_ERRNO)); a.jcc("ae", openFailed, "near");
  a.mov(rbx, rax); // the fd
  a.mov(eax, imm(SYS.ioctl)); a.mov(edi, ebx); a.mov(esi, imm(TUNSETIFF)); a.mov(rdx, rsp);
  a.syscall();
  a.cmp(rax, imm(-MAX_ERRNO)); a.jcc("ae", ioctlFailed, "near");
  a.add(rsp, imm(IFREQ.bytes + 8));
  // The entry: fd, MTU, a random locally administered unicast MAC.
  a.bind(fill);
  a.mov(rax, c.at(NS.netsCount));
  a.mov(rdx, rax); a.shl(rdx, imm(4));
  a.lea(r13, c.at(NS.nets)); a.add(r13, rdx);
  a.mov(mem(r13, { disp: NET_ENTRY.fd }, 32), ebx);
  a.mov(mem(r13, { disp: NET_ENTRY.mtu }, 32), imm(MTU));
  a.mov(mem(r13, { disp: NET_ENTRY.mac }, 64), imm(0));
  const rnd = a.newLabel("rnd");
  a.bind(rnd);
  a.lea(rdi, mem(r13, { disp: NET_ENTRY.mac })); a.mov(esi, imm(6)); a.xor(edx, edx); a.mov(eax, imm(SYS.getrandom));
  a.syscall();
  a.cmp(rax, imm(6)); a.jcc("ne", rnd); // 6 bytes never come back short unless interrupted
  a.movzx(eax, mem(r13, { disp: NET_ENTRY.mac }, 8));
  a.and(eax, imm(0xfe)); a.or(eax, imm(0x02));
  a.mov(mem(r13, { disp: NET_ENTRY.mac }, 8), al);
  a.mov(rax, c.at(NS.netsCount));
  a.lea(rcx, mem(rax, { disp: 1 })); a.mov(c.at(NS.netsCount), rcx);
  a.bind(out);
  a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbx);
  a.ret();
  a.bind(notAttached);
  a.mov(eax, imm(NOT_ATTACHED)); a.jmp(out, "near");

  // The reports: "atoll: net 'NAME': ..." with the parts below; each returns -2.
  const fields: Record<Field, () => void> = {
    name: () => { a.mov(edi, imm(2)); a.mov(rsi, r12); a.mov(rdx, r13); a.call(sym(N.writeAll)); },
    backend: () => { a.mov(edi, imm(2)); a.mov(rsi, r14); a.call(sym(WRITE_CSTR)); },
    ifname: () => { a.mov(edi, imm(2)); a.mov(rsi, rsp); a.call(sym(WRITE_CSTR)); }, // the ifreq's, NUL-terminated
    errno: () => { a.mov(rsi, rbx); a.neg(rsi); a.mov(edi, imm(2)); a.call(sym(N.writeErrno)); },
  };
  /** Writes "atoll: net 'NAME': " and `parts` (text, or a field; `errno` from rbx), pops the ifreq when `stack`, returns -2. */
  const fail = (label: Label, parts: (string | { field: Field })[], stack: boolean): void => {
    a.bind(label);
    c.writeStr(2, "atoll: net '");
    fields.name();
    c.writeStr(2, "': ");
    for (const p of parts) {
      if (typeof p === "string") c.writeStr(2, p);
      else fields[p.field]();
    }
    if (stack) a.add(rsp, imm(IFREQ.bytes + 8));
    a.jmp(report, "near");
  };
  const name = { field: "name" } as const, backend = { field: "backend" } as const, ifname = { field: "ifname" } as const, errno = { field: "errno" } as const;
  a.bind(openFailed);
  a.mov(rbx, rax);
  fail(a.newLabel("open_report"), ["cannot open /dev/net/tun for ", backend, ": ", errno, " (it needs the tun driver and permission to open it)\n"], true);
  a.bind(ioctlFailed);
  a.mov(rdi, rbx); a.mov(rbx, rax); a.mov(eax, imm(SYS.close)); a.syscall();
  fail(a.newLabel("ioctl_report"), ["cannot attach to the tap of ", backend, ": ", errno, " ('", ifname,
    "' must be a tap, not another kind of interface, and attaching needs CAP_NET_ADMIN or a tap the user owns)\n"], true);
  a.bind(socketFailed);
  a.mov(rbx, rax);
  fail(a.newLabel("socket_report"), ["cannot look up the interface of ", backend, ": socket: ", errno, "\n"], true);
  fail(noInterface, [backend, ": no network interface '", ifname, "' here; create the tap first (ip tuntap add dev ", ifname,
    " mode tap), or let the runtime create it: --atoll-net=", name, "=", backend, ",create\n"], true);
  fail(notTap, [backend, " is neither tap:IFNAME[,create] nor none, the backends the unix runtime has\n"], false);
  fail(badIfname, [backend, ": the interface name must be 1 to 15 bytes\n"], true);
  fail(badOption, [backend, ": expected tap:IFNAME or tap:IFNAME,create\n"], true);
  fail(tooMany, ["cannot open ", backend, `: more than ${MAX_NETS} network devices are open\n`], false);
  a.bind(report);
  a.mov(eax, imm(CANNOT_OPEN)); a.jmp(out, "near");
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}

/** What a report may show besides text: the device's name, its backend, the interface name in the ifreq, the errno in rbx. */
type Field = "name" | "backend" | "ifname" | "errno";

/** Falls through when the NUL-terminated string at rdi is `text` (which ends in its NUL), else jumps to `differs`; clobbers rax, rcx, rdx. */
function matches(c: Ctx, text: string, differs: Label): void {
  const { a } = c;
  const s = c.str(text), loop = a.newLabel("match");
  a.xor(ecx, ecx);
  a.bind(loop);
  a.movzx(eax, mem(rdi, { index: rcx }, 8));
  a.lea(rdx, c.at(s.name));
  a.cmp(al, mem(rdx, { index: rcx }, 8)); a.jcc("ne", differs, "near");
  a.add(rcx, imm(1));
  a.cmp(rcx, imm(text.length)); a.jcc("ne", loop);
}

/** rcx = the table entry of the handle in eax, or a jump to `bad`. */
function entry(c: Ctx, bad: Label): void {
  deviceEntry(c, NS.netsCount, NS.nets, bad);
}

// net_info(handle, out): MAC (6 bytes), 2 zero bytes, MTU (u32). 0, or BAD_HANDLE.
function emitInfo(c: Ctx): void {
  const { a, b } = c;
  b.func(N.import("net_info"));
  const bad = a.newLabel("bad"), oob = a.newLabel("oob");
  a.mov(eax, arg(0, 2, 0, 32));
  entry(c, bad);
  a.mov(esi, arg(1, 2, 0, 32)); a.mov(edx, imm(12));
  checkRange(c, rsi, rdx, oob);
  a.mov(rax, mem(rcx, { disp: NET_ENTRY.mac })); a.mov(mem(r15, { index: rsi }), rax);
  a.mov(eax, mem(rcx, { disp: NET_ENTRY.mtu }, 32)); a.mov(mem(r15, { index: rsi, disp: 8 }, 32), eax);
  a.xor(eax, eax);
  a.ret();
  a.bind(bad);
  a.mov(eax, imm(BAD_HANDLE)); a.ret();
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}

// net_read(handle, buf, len) -> bytes, 0 when no frame is waiting, or -errno.
// net_write(handle, buf, len) -> 0, or -errno (-EAGAIN: the queue is full).
function emitIo(c: Ctx, name: "net_read" | "net_write", nr: number): void {
  const { a, b } = c;
  b.func(N.import(name));
  const bad = a.newLabel("bad"), oob = a.newLabel("oob"), again = a.newLabel("again"), done = a.newLabel("done"), none = a.newLabel("none");
  a.mov(eax, arg(0, 3, 0, 32));
  entry(c, bad);
  a.mov(esi, arg(1, 3, 0, 32)); a.mov(edx, arg(2, 3, 0, 32));
  checkRange(c, rsi, rdx, oob);
  a.add(rsi, r15);
  a.mov(edi, mem(rcx, { disp: NET_ENTRY.fd }, 32));
  a.cmp(edi, imm(-1)); a.jcc("e", none); // a "none" device: no frame to read, a written one is dropped
  a.bind(again);
  a.mov(eax, imm(nr));
  a.syscall();
  a.cmp(rax, imm(-EINTR)); a.jcc("e", again);
  if (name === "net_read") {
    a.cmp(rax, imm(-EAGAIN)); a.jcc("e", none);
  } else {
    a.test(rax, rax); a.jcc("s", done);
    a.xor(eax, eax);
  }
  a.bind(done);
  a.ret();
  a.bind(none);
  a.xor(eax, eax); a.ret();
  a.bind(bad);
  a.mov(rax, imm(-EBADF)); a.ret();
  a.bind(oob);
  a.mov(edi, imm(5)); a.jmp(sym(N.trap));
}
