// A hand-made AotObject standing in for a compiled wasm module, so the unix
// runtime and the linker can be tested without tools/aot. It follows
// docs/aot.md: functions with the standard frame and stack check, imports
// called with pushed arguments, r15 as the memory base, the symbols the
// runtime reads (memory sizes, atoll_functions). Its atoll_run reads the
// first runtime argument and runs the scenario of that name.
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  Assembler, eax, ecx, edi, esi, imm, mem, r15, rax, rbp, rcx, rdi, rip, rsi, rsp, sym, type Gpr, type Label, type Mem, type MemSize,
} from "../../tools/x86/index.ts";
import { link, type LinkObject, type Relocation, type SymbolDef } from "../../tools/link/index.ts";
import { unixRuntime, type UnixRuntimeOptions } from "../../tools/runtime/unix/index.ts";

/** Linear memory offsets the scenarios use. */
export const ARGS_AT = 0x1000;
const TEXT_AT = 0x100;
const SCRATCH_AT = 0x800;
/** Room for the arguments: up to the end of the initial memory. */
const ARGS_CAP = 0x7_0000;

/** A rip-relative reference to a symbol. */
const at = (name: string, disp = 0, size?: MemSize): Mem => mem(rip, { label: sym(name), disp }, size);

interface Options {
  abiVersion?: number;
  initialPages?: number;
  maxPages?: number;
  /** Numbers the "errno" scenario prints with the unix runtime's write_errno, one a line (unix only: the kvm runtime has no such helper). */
  errnos?: number[];
}

/** Strings copied into linear memory at TEXT_AT by wasm:init. */
const texts = {
  hello: "hello from a hand-made module\n",
  boom: "boom",
  file: "test/unix/fake.ts",
  ok: "ok\n",
  resumed: "resumed with code ",
  nl: "\n",
};

export function fakeModule(opts: Options = {}): LinkObject {
  const a = new Assembler();
  const funcs: { name: string; symbol: string; start: Label; end: Label }[] = [];
  const symbols = new Map<string, SymbolDef>();
  const textSyms = new Map<string, Label>();

  // Text layout of the strings in linear memory.
  const textAt = new Map<keyof typeof texts, { at: number; len: number }>();
  let cursor = TEXT_AT;
  const textBytes: number[] = [];
  for (const [k, v] of Object.entries(texts) as [keyof typeof texts, string][]) {
    const bytes = [...new TextEncoder().encode(v)];
    textAt.set(k, { at: cursor, len: bytes.length });
    textBytes.push(...bytes);
    cursor += bytes.length;
  }
  const t = (k: keyof typeof texts): { at: number; len: number } => textAt.get(k)!;

  /** A function with the docs/aot.md prologue; `body` ends with `leave(); ret()` via the returned epilogue. */
  const func = (symbol: string, name: string, frame: number, body: (epilogue: () => void) => void): void => {
    a.align(16, 0xcc);
    const start = a.newLabel(symbol), end = a.newLabel(`${symbol}.end`);
    a.bind(start);
    textSyms.set(symbol, start);
    const stackTrap = a.newLabel("stack");
    a.push(rbp); a.mov(rbp, rsp);
    if (frame > 0) a.sub(rsp, imm(frame));
    a.cmp(rsp, at("atoll_stack_limit"));
    a.jcc("b", stackTrap, "near");
    body(() => { a.mov(rsp, rbp); a.emit("pop", rbp); a.ret(); });
    a.bind(stackTrap);
    a.mov(edi, imm(9));
    a.call(sym("atoll_trap"));
    a.bind(end);
    funcs.push({ name, symbol, start, end });
  };
  /** A call with the docs/aot.md convention: arguments pushed in order, removed by the caller. */
  const call = (target: string, ...args: (Gpr | number)[]): void => {
    for (const x of args) a.push(typeof x === "number" ? imm(x) : x);
    a.call(sym(target));
    if (args.length > 0) a.add(rsp, imm(8 * args.length));
  };
  const write = (k: keyof typeof texts): void => call("import:atoll.console_write", t(k).at, t(k).len);

  func("wasm:init", "wasm:init", 0, (ret) => {
    // Copies the strings into linear memory, like active data segments.
    a.lea(rsi, at("fake:texts"));
    a.lea(rdi, mem(r15, { disp: TEXT_AT }));
    a.mov(ecx, imm(textBytes.length));
    a.repMovsb();
    ret();
  });
  func("wasm:export:atoll_abi_version", "atoll_abi_version", 0, (ret) => { a.mov(eax, imm(opts.abiVersion ?? 1)); ret(); });
  func("wasm:export:_initialize", "~start", 0, (ret) => ret());
  func("wasm:export:atoll_init", "atoll_init", 0, (ret) => ret());

  // Scenario helpers, each its own function so traps name it.
  func("fake:read_past_the_end", "examples/trap/unikernel/readPastTheEnd", 0, (ret) => {
    a.mov(eax, imm(0)); a.mov(eax, mem(r15, { index: rax, disp: 0x7ff0_0000 })); ret();
  });
  func("fake:recurse", "examples/trap/unikernel/recurse", 32, (ret) => { call("fake:recurse"); ret(); });
  // Recursion without the stack check (a frame bigger than the headroom): reaches the guard page.
  a.align(16, 0xcc);
  const unchecked = a.newLabel("unchecked"), uncheckedEnd = a.newLabel("unchecked.end");
  a.bind(unchecked);
  textSyms.set("fake:unchecked", unchecked);
  a.push(rbp); a.mov(rbp, rsp); a.sub(rsp, imm(4096)); a.mov(mem(rsp, {}, 64), imm(0)); a.call(unchecked);
  a.mov(rsp, rbp); a.emit("pop", rbp); a.ret();
  a.bind(uncheckedEnd);
  funcs.push({ name: "unchecked", symbol: "fake:unchecked", start: unchecked, end: uncheckedEnd });
  func("fake:divide", "divide", 0, (ret) => { a.mov(eax, imm(1)); a.xor(ecx, ecx); a.cdq(); a.idiv(ecx); ret(); });
  func("fake:unreachable", "unreachable_here", 0, (ret) => { a.mov(edi, imm(1)); a.call(sym("atoll_trap")); ret(); });
  func("fake:wild", "wild", 0, (ret) => { a.mov(eax, imm(0x10)); a.mov(mem(rax, {}, 32), imm(1)); ret(); });

  // atoll_run: args into memory, then dispatch on argv[1].
  const scenarios: Record<string, () => void> = {
    hello: () => write("hello"),
    exit: () => call("import:atoll.exit", 7),
    args: () => {
      call("import:atoll.args", ARGS_AT, ARGS_CAP);
      call("import:atoll.console_write", ARGS_AT, rax);
    },
    // args, then exit(7) at once: on kvm the status leaves through isa-debug-exit, which ends QEMU on the spot.
    argsexit: () => {
      call("import:atoll.args", ARGS_AT, ARGS_CAP);
      call("import:atoll.console_write", ARGS_AT, rax);
      call("import:atoll.exit", 7);
    },
    // args with a capacity of 5: the size comes back whole, 5 bytes are copied, byte 5 is untouched.
    argscap: () => {
      a.mov(mem(r15, { disp: ARGS_AT + 5 }, 8), imm(0x2a));
      call("import:atoll.args", ARGS_AT, 5);
      a.mov(mem(r15, { disp: SCRATCH_AT }, 32), eax);
      call("import:atoll.console_write", SCRATCH_AT, 4);
      call("import:atoll.console_write", ARGS_AT, 6);
    },
    abort: () => call("import:atoll.abort", t("boom").at, t("boom").len, t("file").at, t("file").len, 12, 34),
    clock: () => {
      // monotonic, sleep until +200 ms, monotonic, wall: 24 raw bytes on stdout.
      call("import:atoll.clock_monotonic");
      a.mov(mem(r15, { disp: SCRATCH_AT }), rax);
      a.add(rax, imm(200_000_000));
      call("import:atoll.yield", rax);
      a.mov(mem(r15, { disp: SCRATCH_AT + 24 }), rax);
      call("import:atoll.clock_monotonic");
      a.mov(mem(r15, { disp: SCRATCH_AT + 8 }), rax);
      call("import:atoll.clock_wall");
      a.mov(mem(r15, { disp: SCRATCH_AT + 16 }), rax);
      call("import:atoll.console_write", SCRATCH_AT, 32);
    },
    yieldpast: () => { call("import:atoll.yield", 1); call("import:atoll.yield", 0); write("ok"); },
    yieldmax: () => {
      a.mov(rax, imm(0x7fff_ffff_ffff_ffffn));
      call("import:atoll.yield", rax);
      write("ok");
    },
    random: () => {
      call("import:atoll.random_seed", SCRATCH_AT, 64);
      call("import:atoll.console_write", SCRATCH_AT, 64);
    },
    grow: () => {
      // grow(1) -> old size; the new page is writable; grow(huge) -> -1; grow(0) -> size.
      call("atoll_memory_grow", 1);
      a.mov(mem(r15, { disp: SCRATCH_AT }, 32), eax);
      a.mov(rcx, at("wasm:memory:pages"));
      a.shl(rcx, imm(16));
      a.mov(mem(r15, { index: rcx, disp: -4 }, 32), imm(0x12345678));
      call("atoll_memory_grow", 1000);
      a.mov(mem(r15, { disp: SCRATCH_AT + 4 }, 32), eax);
      call("atoll_memory_grow", 0);
      a.mov(mem(r15, { disp: SCRATCH_AT + 8 }, 32), eax);
      call("import:atoll.console_write", SCRATCH_AT, 12);
    },
    // Out of memory: grow(1) to the maximum of 9 pages, grow(1) refused, unreachable.
    oom: () => { call("atoll_memory_grow", 1); call("atoll_memory_grow", 1); call("fake:unreachable"); },
    // A refused grow, then one that succeeds: the refusal is forgotten.
    oomgrown: () => { call("atoll_memory_grow", 1000); call("atoll_memory_grow", 1); call("fake:unreachable"); },
    // A refused grow, then a trap other than unreachable: reported as it is.
    oommemory: () => { call("atoll_memory_grow", 1000); call("fake:read_past_the_end"); },
    memory: () => call("fake:read_past_the_end"),
    recurse: () => call("fake:recurse"),
    guard: () => call("fake:unchecked"),
    divide: () => call("fake:divide"),
    unreachable: () => call("fake:unreachable"),
    wild: () => call("fake:wild"),
    oob: () => call("import:atoll.console_write", 0x7fff_0000, 16),
    // Traps caught through atoll_trap_resume: memory (signal path), then unreachable (atoll_trap path).
    resume: () => {
      for (const target of ["fake:read_past_the_end", "fake:unreachable", "fake:recurse"]) {
        const back = a.newLabel("back");
        a.lea(rax, mem(rip, { label: back }));
        a.mov(at("fake:resume"), rax);
        a.mov(at("fake:resume", 8), rsp);
        a.mov(at("fake:resume", 16), rbp);
        a.lea(rax, at("fake:resume"));
        a.mov(at("atoll_trap_resume"), rax);
        call(target);
        a.bind(back);
        a.mov(mem(r15, { disp: SCRATCH_AT }, 32), eax);
        a.add(mem(r15, { disp: SCRATCH_AT }, 8), imm(0x30));
        write("resumed");
        call("import:atoll.console_write", SCRATCH_AT, 1);
        write("nl");
      }
      a.mov(at("atoll_trap_resume", 0, 64), imm(0));
      call("fake:read_past_the_end");
    },
  };
  if (opts.errnos !== undefined) {
    const errnos = opts.errnos;
    scenarios["errno"] = () => {
      for (const n of errnos) {
        a.mov(edi, imm(1)); a.mov(esi, imm(n));
        a.call(sym("atoll_rt:write_errno"));
        write("nl");
      }
    };
  }
  func("wasm:export:atoll_run", "atoll_run", 0, (ret) => {
    call("import:atoll.args", ARGS_AT, ARGS_CAP);
    const names = Object.keys(scenarios);
    const labels = names.map((n) => a.newLabel(n));
    const none = a.newLabel("none");
    names.forEach((n, i) => {
      // Compare the first argument with the scenario name, NUL included.
      const next = a.newLabel("next");
      const bytes = [...new TextEncoder().encode(n + "\0")];
      bytes.forEach((byte, j) => {
        a.cmp(mem(r15, { disp: ARGS_AT + j }, 8), imm(byte));
        a.jcc("ne", next);
      });
      a.jmp(labels[i]!, "near");
      a.bind(next);
    });
    a.jmp(none);
    names.forEach((n, i) => {
      a.bind(labels[i]!);
      scenarios[n]!();
      a.jmp(none, "near");
    });
    a.bind(none);
    ret();
  });

  const code = a.finish();
  for (const [name, l] of textSyms) symbols.set(name, { section: "text", offset: code.labels.get(l)! });
  const relocs: Relocation[] = code.relocs.map((r) => ({ section: "text", offset: r.offset, symbol: r.symbol ?? "fake:text", kind: r.kind, addend: r.addend }));
  symbols.set("fake:text", { section: "text", offset: 0 });

  // rodata: the strings, memory sizes, the function table and its names.
  const ro: number[] = [];
  const roSym = (name: string, align = 8): void => {
    while (ro.length % align !== 0) ro.push(0);
    symbols.set(name, { section: "rodata", offset: ro.length });
  };
  const u64 = (v: number | bigint): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    ro.push(...b);
  };
  roSym("fake:texts");
  ro.push(...textBytes);
  roSym("wasm:memory:initial"); u64(opts.initialPages ?? 8);
  roSym("wasm:memory:max"); u64(opts.maxPages ?? 9);
  const nameAt: number[] = [];
  roSym("fake:names");
  for (const f of funcs) {
    nameAt.push(ro.length);
    ro.push(...new TextEncoder().encode(f.name));
  }
  roSym("atoll_functions");
  funcs.forEach((f, i) => {
    relocs.push({ section: "rodata", offset: ro.length, symbol: "fake:text", kind: "abs64", addend: code.labels.get(f.start)! }); u64(0);
    relocs.push({ section: "rodata", offset: ro.length, symbol: "fake:text", kind: "abs64", addend: code.labels.get(f.end)! }); u64(0);
    relocs.push({ section: "rodata", offset: ro.length, symbol: "fake:rodata", kind: "abs64", addend: nameAt[i]! }); u64(0);
    u64(new TextEncoder().encode(f.name).length);
  });
  roSym("atoll_functions:count"); u64(funcs.length);
  symbols.set("fake:rodata", { section: "rodata", offset: 0 });

  const data = new Uint8Array(8);
  symbols.set("wasm:memory:pages", { section: "data", offset: 0 });
  symbols.set("fake:resume", { section: "bss", offset: 0 });
  const undefinedSyms = [...new Set(relocs.map((r) => r.symbol).filter((s) => !symbols.has(s)))];
  return { text: code.code, rodata: new Uint8Array(ro), data, bssSize: 24, symbols, relocs, undefined: undefinedSyms };

}

/** Links the fake module with the unix runtime into an executable in a temporary folder; returns its path. */
export function buildFake(opts: Options = {}, runtime: UnixRuntimeOptions = {}): string {
  const { image } = link([{ name: "fake module", object: fakeModule(opts) }, { name: "unix runtime", object: unixRuntime(runtime) }], { entry: "_start" });
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-unix-"));
  const file = path.join(dir, "fake");
  writeFileSync(file, image);
  chmodSync(file, 0o755);
  return file;
}
