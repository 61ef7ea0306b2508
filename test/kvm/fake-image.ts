// The kvm runtime linked with test/unix/fake-module.ts's hand-made module
// into a bootable image: tests of one ABI call or console behaviour at a
// time, without tools/aot. The module's first runtime argument picks its scenario.
import { writeFileSync } from "node:fs";
import { fakeModule } from "../unix/fake-module.ts";
import { link, type LinkObject } from "../../tools/link/index.ts";
import { kvmRuntime, KVM_IMAGE_BASE, KVM_RUNTIME_SYMBOLS, type KvmRuntimeOptions } from "../../tools/runtime/kvm/index.ts";

/** The fake module reads `atoll_trap_resume` (a unix harness hook); kvm has none, so a stand-in that stays 0. */
const resumeStub: LinkObject = {
  text: new Uint8Array(0), rodata: new Uint8Array(0), data: new Uint8Array(0), bssSize: 8,
  symbols: new Map([["atoll_trap_resume", { section: "bss", offset: 0 }]]), relocs: [], undefined: [],
};

/** Writes the image to `file`. */
export function writeFakeKvmImage(file: string, runtime?: KvmRuntimeOptions): void {
  writeFileSync(file, link(
    [{ name: "kvm runtime", object: kvmRuntime(runtime) }, { name: "fake module", object: fakeModule() }, { name: "stub", object: resumeStub }],
    { entry: KVM_RUNTIME_SYMBOLS.start, pvhEntry: KVM_RUNTIME_SYMBOLS.pvhEntry, base: KVM_IMAGE_BASE, gnuStack: false, layoutSymbols: true },
  ).image);
}
