#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, test and demo svclink (musl, the
# arm64 cross toolchain, podman, qemu, clang, the harness's tools) and checks Go is present.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/install-deps.sh [--build-only | --demo] [--check]

  (default)     everything `make test` needs
  --demo        what `make demo` needs: the amd64 build, Go for the control planes
  --build-only  just what building bin/svclink needs (the image's build stage): no Go
  --check       install nothing: exit 0 when all is present, else 1 with the command to run

Run as root (or with sudo). `make test` and `make demo` call it themselves.
EOF
}

mode=test
check=0
for a in "$@"; do
  case $a in
    --build-only) mode=build ;;
    --demo) mode=demo ;;
    --check) check=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

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
# make test also builds and runs: the fuzzers (clang), the arm64 binary and its unit tests
# (cross gcc, qemu), the image (podman with runc, debootstrap for the build stage's base,
# skopeo to read the image archives in both formats).
if [ "$mode" = test ]; then
  needs+=(
    "clang-14:clang-14"
    "aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu"
    "qemu-aarch64-static:qemu-user-static"
    "podman:podman"
    "runc:runc"
    "debootstrap:debootstrap"
    "skopeo:skopeo"
  )
fi
# hack/dataplane.sh (the traffic tests and the demo, as root): namespaces, nftables, relays, JSON.
[ "$mode" = build ] || needs+=("ip:iproute2" "nft:nftables" "socat:socat" "jq:jq")
# hack/node.sh (a real kubelet node, tests/e2e/test_node.sh): only root can run one, so only
# root gets the container runtime; iptables because the kubelet adds its chains with it.
if [ "$mode" = test ] && [ "$(id -u)" -eq 0 ]; then
  needs+=("containerd:containerd" "runc:runc" "iptables:iptables")
fi
missing=()
for pair in "${needs[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# The CNI plugins are files, not commands on PATH.
if [ "$mode" = test ] && [ "$(id -u)" -eq 0 ]; then
  for p in bridge host-local loopback; do
    [ -x "/usr/lib/cni/$p" ] || { missing+=(containernetworking-plugins); break; }
  done
fi
arm64=0
if [ "$mode" = test ]; then
  # tests/e2e/test_manifests.sh parses kind/*.yaml with PyYAML; Debian's package serves
  # /usr/bin/python3 (a python3 earlier on PATH may lack it).
  { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; } || missing+=(python3-yaml)
  # The sanitizer runtimes come with gcc; libFuzzer's comes with clang's runtime package.
  compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null || \
    missing+=(libclang-rt-14-dev)
  # musl for arm64 is the same Debian package in the arm64 architecture (multiarch).
  if [ ! -e /usr/lib/aarch64-linux-musl/rcrt1.o ]; then
    missing+=(musl-dev:arm64)
    dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 || arm64=1
  fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
  self="hack/install-deps.sh${1:+ $*}"
  self=${self/ --check/}
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if [ "$check" = 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=sudo
    else
      log "missing: ${missing[*]}"
      log "run this once as root, then the make command again:  sudo $self"
      exit 1
    fi
  fi
  if [ "$check" = 1 ]; then
    log "missing: ${missing[*]}; run: $self"
    exit 1
  fi
  log "installing: ${missing[*]}"
  if [ "$arm64" = 1 ]; then
    log "adding the arm64 architecture to dpkg (for musl-dev:arm64)"
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all apt packages present"
fi

[ "$mode" != build ] || exit 0

# Go builds the test control planes (kube-apiserver and friends) and helm from pinned
# modules. The Makefile adds /usr/local/go/bin to PATH itself.
go=$(command -v go 2>/dev/null || true)
[ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; } || true
if [ -z "$go" ]; then
  log "Go 1.24 or newer is required to build the test control planes; it is not packaged in"
  log "this Debian release: unpack the official go1.24 linux tarball into /usr/local/go"
  exit 1
fi
gov=$("$go" env GOVERSION)
case "$gov" in
  go1.2[4-9]*|go1.[3-9][0-9]*) log "Go $gov" ;;
  *) log "Go $gov is too old: 1.24 or newer is needed"; exit 1 ;;
esac
