#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test svclink: musl, the tools
# vendor/fetch.sh and the harness call, and clang for the fuzzers. Checks Go is present.
set -euo pipefail

# --build-only: just what building bin/svclink needs (the image build stage): no clang,
# no Go check.
build_only=0
[ "${1:-}" = "--build-only" ] && build_only=1

log() { printf '[install-deps] %s\n' "$*" >&2; }

# command -> Debian package that provides it
needs=(
  "musl-gcc:musl-tools"
  "dpkg-source:dpkg-dev"
  "gcc:gcc"
  "make:make"
  "openssl:openssl"
  "file:file"
  "readelf:binutils"
  "xz:xz-utils"
  "git:git"
  "curl:curl"
)
[ "$build_only" = 1 ] || needs+=("clang-14:clang-14")
# hack/dataplane.sh (the traffic tests, as root): namespaces, nftables, relays, JSON.
[ "$build_only" = 1 ] || needs+=("ip:iproute2" "nft:nftables" "socat:socat" "jq:jq")
missing=()
for pair in "${needs[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# tests/e2e/test_manifests.sh parses kind/*.yaml with PyYAML; Debian's package serves
# /usr/bin/python3 (a python3 earlier on PATH may lack it).
[ "$build_only" = 1 ] || { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; } || missing+=(python3-yaml)
# The sanitizer runtimes come with gcc; libFuzzer's comes with clang's runtime package.
[ "$build_only" = 1 ] || [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || \
  compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null || \
  missing+=(libclang-rt-14-dev)

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install these by hand: ${missing[*]}"; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all apt packages present"
fi

[ "$build_only" = 0 ] || exit 0

# Go builds the test control planes (kube-apiserver and friends) from pinned modules.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  log "go is at /usr/local/go/bin but not on PATH; add it: export PATH=\$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  log "Go 1.24 or newer is required to build the test control planes (https://go.dev/doc/install)"
  exit 1
fi
gov=$( (command -v go >/dev/null && go env GOVERSION) || /usr/local/go/bin/go env GOVERSION)
case "$gov" in
  go1.2[4-9]*|go1.[3-9][0-9]*) log "Go $gov" ;;
  *) log "Go $gov is too old: 1.24 or newer is needed"; exit 1 ;;
esac
