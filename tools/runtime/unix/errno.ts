// Failed system calls are reported by name and meaning ("EISDIR: is a
// directory"), not as bare numbers: a table in rodata and write_errno, which
// looks a number up in it. The numbers are Linux's on x86-64
// (include/uapi/asm-generic/errno-base.h and errno.h); an errno the table
// does not hold is printed as "errno N".
import { eax, ebx, edi, edx, imm, mem, r12, rax, rbx, rcx, rdx, rsi, sym } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";

/** [number, name, meaning]: the errors the runtime's system calls can return, and a few more a host commonly gives. */
export const ERRNOS: readonly (readonly [number, string, string])[] = [
  [1, "EPERM", "operation not permitted"],
  [2, "ENOENT", "no such file or directory"],
  [3, "ESRCH", "no such process"],
  [4, "EINTR", "interrupted system call"],
  [5, "EIO", "input/output error"],
  [6, "ENXIO", "no such device or address"],
  [7, "E2BIG", "argument list too long"],
  [9, "EBADF", "bad file descriptor"],
  [11, "EAGAIN", "resource temporarily unavailable"],
  [12, "ENOMEM", "out of memory"],
  [13, "EACCES", "permission denied"],
  [14, "EFAULT", "bad address"],
  [16, "EBUSY", "device or resource busy"],
  [17, "EEXIST", "file exists"],
  [19, "ENODEV", "no such device"],
  [20, "ENOTDIR", "not a directory"],
  [21, "EISDIR", "is a directory"],
  [22, "EINVAL", "invalid argument"],
  [23, "ENFILE", "too many open files in the system"],
  [24, "EMFILE", "too many open files"],
  [25, "ENOTTY", "inappropriate ioctl for the device"],
  [26, "ETXTBSY", "text file busy"],
  [27, "EFBIG", "file too large"],
  [28, "ENOSPC", "no space left on device"],
  [29, "ESPIPE", "illegal seek"],
  [30, "EROFS", "read-only file system"],
  [32, "EPIPE", "broken pipe"],
  [36, "ENAMETOOLONG", "file name too long"],
  [38, "ENOSYS", "function not implemented"],
  [40, "ELOOP", "too many levels of symbolic links"],
  [95, "EOPNOTSUPP", "operation not supported"],
  [100, "ENETDOWN", "network is down"],
  [105, "ENOBUFS", "no buffer space available"],
  [122, "EDQUOT", "disk quota exceeded"],
];

/**
 * The table as bytes: for each errno, its number (one byte: Linux's are
 * below 256), the length of its text (one byte), then the text
 * "NAME: meaning"; a zero byte ends the table.
 */
export function errnoTable(): Uint8Array {
  const out: number[] = [];
  for (const [n, name, meaning] of ERRNOS) {
    const text = new TextEncoder().encode(`${name}: ${meaning}`);
    if (n < 1 || n > 255 || text.length > 255) throw new Error(`errno table: ${name} does not fit a row`);
    out.push(n, text.length, ...text);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** Emits the table and write_errno(fd, errno): "NAME: meaning", or "errno N" for one the table lacks (rt convention). */
export function emitErrno(c: Ctx): void {
  const { a, b } = c;
  b.bytes(N.errnoTable, errnoTable(), 1);
  b.func(N.writeErrno);
  const row = a.newLabel("row"), found = a.newLabel("found"), unknown = a.newLabel("unknown"), out = a.newLabel("out");
  a.push(rbx); a.push(r12);
  a.mov(ebx, edi); a.mov(r12, rsi);
  a.lea(rcx, c.at(N.errnoTable));
  a.bind(row);
  a.movzx(eax, mem(rcx, {}, 8));
  a.test(eax, eax); a.jcc("z", unknown);
  a.movzx(edx, mem(rcx, { disp: 1 }, 8));
  a.cmp(rax, r12); a.jcc("e", found);
  a.lea(rcx, mem(rcx, { index: rdx, disp: 2 }));
  a.jmp(row);
  a.bind(found);
  a.mov(edi, ebx); a.lea(rsi, mem(rcx, { disp: 2 })); // rdx: the text's length
  a.call(sym(N.writeAll));
  a.jmp(out);
  a.bind(unknown);
  c.writeStr(ebx, "errno ");
  a.mov(edi, ebx); a.mov(rsi, r12);
  a.call(sym(N.writeDec));
  a.bind(out);
  a.pop(r12); a.pop(rbx);
  a.ret();
}
