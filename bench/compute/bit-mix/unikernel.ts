import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

/** ChaCha20 (RFC 8439): a 256-bit key, a 96-bit nonce, a 32-bit block counter. */
class ChaCha20 {
  private input: Uint32Array = new Uint32Array(16);
  private x: Uint32Array = new Uint32Array(16);
  private block: Uint8Array = new Uint8Array(64);

  constructor(key: Uint32Array, nonce: Uint32Array) {
    this.input[0] = 0x61707865; this.input[1] = 0x3320646e; this.input[2] = 0x79622d32; this.input[3] = 0x6b206574;
    for (let i = 0; i < 8; i++) this.input[4 + i] = key[i];
    for (let i = 0; i < 3; i++) this.input[13 + i] = nonce[i];
  }

  private quarter(a: i32, b: i32, c: i32, d: i32): void {
    const x = this.x;
    x[a] += x[b]; x[d] = rotl<u32>(x[d] ^ x[a], 16);
    x[c] += x[d]; x[b] = rotl<u32>(x[b] ^ x[c], 12);
    x[a] += x[b]; x[d] = rotl<u32>(x[d] ^ x[a], 8);
    x[c] += x[d]; x[b] = rotl<u32>(x[b] ^ x[c], 7);
  }

  /** The keystream block for `counter`, into this.block. */
  private keystream(counter: u32): void {
    this.input[12] = counter;
    for (let i = 0; i < 16; i++) this.x[i] = this.input[i];
    for (let round = 0; round < 10; round++) {
      this.quarter(0, 4, 8, 12); this.quarter(1, 5, 9, 13); this.quarter(2, 6, 10, 14); this.quarter(3, 7, 11, 15);
      this.quarter(0, 5, 10, 15); this.quarter(1, 6, 11, 12); this.quarter(2, 7, 8, 13); this.quarter(3, 4, 9, 14);
    }
    for (let i = 0; i < 16; i++) {
      const v = this.x[i] + this.input[i];
      this.block[i * 4] = <u8>v; this.block[i * 4 + 1] = <u8>(v >> 8); this.block[i * 4 + 2] = <u8>(v >> 16); this.block[i * 4 + 3] = <u8>(v >> 24);
    }
  }

  /** XORs the keystream into `data`, starting at block 1 as RFC 8439's encryption does. */
  apply(data: Uint8Array): void {
    for (let off = 0, counter: u32 = 1; off < data.length; off += 64, counter++) {
      this.keystream(counter);
      const n = min(64, data.length - off);
      for (let i = 0; i < n; i++) data[off + i] ^= this.block[i];
    }
  }
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
] as StaticArray<u32>;

/** SHA-256 (FIPS 180-4) of whole messages. */
class Sha256 {
  private h: Uint32Array = new Uint32Array(8);
  private w: Uint32Array = new Uint32Array(64);

  private compress(data: Uint8Array, off: i32): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const p = off + i * 4;
      w[i] = (<u32>data[p] << 24) | (<u32>data[p + 1] << 16) | (<u32>data[p + 2] << 8) | <u32>data[p + 3];
    }
    for (let i = 16; i < 64; i++) {
      const s0 = rotr<u32>(w[i - 15], 7) ^ rotr<u32>(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const s1 = rotr<u32>(w[i - 2], 17) ^ rotr<u32>(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    let a = this.h[0], b = this.h[1], c = this.h[2], d = this.h[3], e = this.h[4], f = this.h[5], g = this.h[6], h = this.h[7];
    for (let i = 0; i < 64; i++) {
      const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
      const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    this.h[0] += a; this.h[1] += b; this.h[2] += c; this.h[3] += d; this.h[4] += e; this.h[5] += f; this.h[6] += g; this.h[7] += h;
  }

  /** The digest of `data` as eight words. */
  digest(data: Uint8Array): Uint32Array {
    const init: u32[] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    for (let i = 0; i < 8; i++) this.h[i] = init[i];
    const whole = data.length & ~63;
    for (let off = 0; off < whole; off += 64) this.compress(data, off);
    // The last block(s): the tail, 0x80, zeros, the length in bits (big-endian).
    const tail = new Uint8Array(128);
    const rest = data.length - whole;
    for (let i = 0; i < rest; i++) tail[i] = data[whole + i];
    tail[rest] = 0x80;
    const end = rest < 56 ? 64 : 128;
    const bits = <u64>data.length * 8;
    for (let i = 0; i < 8; i++) tail[end - 1 - i] = <u8>(bits >> (<u64>i * 8));
    for (let off = 0; off < end; off += 64) this.compress(tail, off);
    const out = new Uint32Array(8);
    for (let i = 0; i < 8; i++) out[i] = this.h[i];
    return out;
  }
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = <u8>(i * 31 + (i >> 8));
  const key = new Uint32Array(8), nonce = new Uint32Array(3);
  const sha = new Sha256();
  const t0 = clock.monotonic();
  let sum: u64 = 0;
  for (let r: i64 = 0; r < scale; r++) {
    // Each round's key is the last digest: the rounds form a chain no engine can skip.
    new ChaCha20(key, nonce).apply(data);
    const d = sha.digest(data);
    for (let i = 0; i < 8; i++) key[i] = d[i];
    nonce[0] = <u32>r;
    sum += (<u64>d[0] << 32) | <u64>d[1];
  }
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
