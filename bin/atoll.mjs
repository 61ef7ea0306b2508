#!/usr/bin/env node
console.log("atoll stub", process.argv.slice(2));
