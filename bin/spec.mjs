#!/usr/bin/env node
// `npm run spec`: the WebAssembly core spec tests on the x86-64 compiler (tools/spec).
import { launch } from "./launch.mjs";

await launch("tools/spec/main.ts", "spec.mjs");
