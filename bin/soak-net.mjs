#!/usr/bin/env node
// `npm run soak:net -- [SCENARIO...] [--target unix|kvm|both]`: issue 11's
// hostile-traffic acceptance figures (test/hostile/soak.ts).
import { launch } from "./launch.mjs";

await launch("test/hostile/soak.ts", "soak-net.mjs", ["tools", "test"]);
