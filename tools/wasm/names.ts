// The "name" custom section (spec appendix 7.4): the module's name and its
// functions' names, for error messages, symbols and trap reports, and its
// globals' names (the extended name section), by which tools/aot finds
// asc's shadow-stack pointer.
//
// A custom section must never make a module invalid, so a malformed name
// section is ignored as a whole rather than half used.

import type { Names } from "./module.ts";
import { Reader } from "./reader.ts";

const MODULE_NAME = 0;
const FUNCTION_NAMES = 1;
/** The extended name section's global names (wasm 3.0's appendix; asc and wabt write them). */
const GLOBAL_NAMES = 7;

export function emptyNames(): Names {
  return { funcs: new Map(), globals: new Map() };
}

/** Parses a name section's payload (after the section's own name); undefined when malformed. */
export function parseNameSection(payload: Uint8Array): Names | undefined {
  const r = new Reader(payload);
  r.inSection = true;
  const names = emptyNames();
  let lastId = -1;
  try {
    while (!r.atEnd()) {
      const id = r.u8();
      const size = r.u32();
      if (size > r.remaining) return undefined;
      // Subsections come at most once each, in increasing order.
      if (id <= lastId) return undefined;
      lastId = id;
      const end = r.pos + size;
      r.limit = end;
      if (id === MODULE_NAME) {
        names.module = r.name();
      } else if (id === FUNCTION_NAMES || id === GLOBAL_NAMES) {
        const map = id === FUNCTION_NAMES ? names.funcs : names.globals;
        for (let n = r.u32(); n > 0; n--) {
          const index = r.u32();
          map.set(index, r.name());
        }
      } else {
        r.pos = end; // local, label, type ... names: not needed yet
      }
      if (r.pos !== end) return undefined;
      r.limit = payload.length;
    }
  } catch {
    return undefined;
  }
  return names;
}

/**
 * Finds and parses the name section before decoding starts, so that errors
 * in the code section (which precedes it) can name their function. Walks
 * section headers only, and gives up quietly on anything odd: the real
 * decode reports it.
 */
export function scanNames(bytes: Uint8Array): Names {
  const r = new Reader(bytes);
  try {
    r.pos = 8;
    while (!r.atEnd()) {
      const id = r.u8();
      const size = r.u32();
      if (size > r.remaining) break;
      const end = r.pos + size;
      if (id === 0) {
        r.limit = end;
        const name = r.name();
        if (name === "name") return parseNameSection(bytes.subarray(r.pos, end)) ?? emptyNames();
        r.limit = bytes.length;
      }
      r.pos = end;
    }
  } catch {
    // fall through: no usable names
  }
  return emptyNames();
}
