// The bare-metal (kvm) runtime's public surface.
export { kvmRuntime, kvmLayout, KVM_IMAGE_BASE, type KvmRuntimeOptions } from "./runtime.ts";
export { ABI_FUNCTIONS } from "./abi.ts";
export { PRIVILEGED_FUNCTIONS } from "./privileged.ts";
export { ABI_VERSION } from "./start.ts";
export { N as KVM_RUNTIME_SYMBOLS } from "./context.ts";
