#!/usr/bin/env node
// The `atoll` command (tools/cli).
import { launch } from "./launch.mjs";

await launch("tools/cli/main.ts", "cli.mjs");
