#!/usr/bin/env node
// `npm run fuzz`: the differential fuzzer of the x86-64 compiler against V8 (tools/fuzz).
import { launch } from "./launch.mjs";

await launch("tools/fuzz/main.ts", "fuzz.mjs");
