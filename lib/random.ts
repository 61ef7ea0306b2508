import { random_seed } from "./abi";

/** Fills `buf` with host entropy (docs/abi.md `random_seed`). */
export function entropy(buf: Uint8Array): void {
  random_seed(buf.dataStart, <usize>buf.byteLength);
}

/** AssemblyScript's seed hook for Math.random (`--use seed=...`, asconfig.json). */
export function atollSeed(): f64 {
  const buf = new Uint8Array(8);
  entropy(buf);
  return <f64>load<u64>(buf.dataStart);
}
