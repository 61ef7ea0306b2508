#!/usr/bin/env node
// `npm run bench -- SUITE`: the benchmarks (tools/bench).
import { launch } from "./launch.mjs";

await launch("tools/bench/main.ts", "bench.mjs");
