#!/usr/bin/env bash
# Installs the Debian packages Atoll's tests and benchmarks use as peers and
# reference tools, when they are missing. Safe to run again: it installs only
# what a probe command says is absent. Needs root (or sudo) and apt-get.
#   wabt            wast2json for the spec tests, wasm2c for the compute bench
#   binutils        objdump, to check the assembler's encodings
#   gcc             compiles wasm2c output for the compute bench
#   qemu-system-x86 boots kvm images
#   iproute2, iputils-ping, netcat-openbsd, curl   network peers
#   nftables        random packet loss on a tap for the TCP tests (this kernel has no tc netem)
#   strace          shows the block tests the system calls behind a kv workload
#   python3         raw frames (spoofed SYNs, fragments) for test/hostile's floods
#   fio             the host's random I/O figures beside the block bench
#   util-linux      prlimit: an RLIMIT_DATA the unix runtime's memory.grow runs into (test/oom.test.ts)
#   binaryen        a native wasm-reduce, which `npm run fuzz` shrinks mismatching modules with (the
#                   npm package's is an Emscripten build that cannot run the command it needs); probed
#                   by its path, since npm puts node_modules/.bin, with that other wasm-reduce, on PATH
set -euo pipefail

# probe command → package
declare -A want=(
  [wast2json]=wabt
  [objdump]=binutils
  [gcc]=gcc
  [qemu-system-x86_64]=qemu-system-x86
  [ip]=iproute2
  [ping]=iputils-ping
  [nc]=netcat-openbsd
  [curl]=curl
  [nft]=nftables
  [strace]=strace
  [fio]=fio
  [python3]=python3
  [prlimit]=util-linux
  [/usr/bin/wasm-reduce]=binaryen
)

missing=()
for probe in "${!want[@]}"; do
  command -v "$probe" >/dev/null 2>&1 || missing+=("${want[$probe]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "atoll setup: missing ${missing[*]} and there is no apt-get; install them by hand" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "atoll setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
$sudo apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
echo "atoll setup: done" >&2
