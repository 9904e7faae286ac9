#!/usr/bin/env bash
# Builds the pinned Kubernetes control-plane binaries, etcd, kubectl and kwok once and
# caches them outside the checkout, keyed by version; prints the cache's bin directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dataplane=0   # --dataplane: kube-proxy and CoreDNS too (the block at the end)
node=0        # --node: the kubelet too (hack/node.sh)
for a in "$@"; do
  case $a in
    --dataplane) dataplane=1 ;;
    --node) node=1 ;;
    *) echo "usage: hack/k8s-bin.sh [--dataplane] [--node]" >&2; exit 2 ;;
  esac
done
K8S_VERSION=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$here/k8s-tools/go.mod")
ETCD_VERSION=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' "$here/k8s-tools/go.mod")
KWOK_VERSION=v0.7.0
cache_root=${SVCLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svclink}
bin_dir="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin"
mkdir -p "$bin_dir"

log() { printf '[k8s-bin] %s\n' "$*" >&2; }

command -v go >/dev/null || { log "go is not installed (needed to build the test control planes)"; exit 1; }

# Each entry: output name, package path, module directory.
targets=(
  "etcd go.etcd.io/etcd/server/v3"
  "kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler"
  "kubectl k8s.io/kubernetes/cmd/kubectl"
)

build_one() {
  local name=$1 pkg=$2 dir=$3 ldflags=$4
  if [ -x "$bin_dir/$name" ]; then return 0; fi
  log "building $name ($pkg), this takes minutes the first time..."
  local start=$SECONDS
  ( cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$name.tmp" "$pkg" )
  mv "$bin_dir/$name.tmp" "$bin_dir/$name"
  log "built $name in $((SECONDS - start))s"
}

vflags="-s -w"
for comp in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  vflags+=" -X $comp.gitVersion=$K8S_VERSION -X $comp.gitMajor=1 -X $comp.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $comp.gitTreeState=clean"
done

n=0
for t in "${targets[@]}"; do
  n=$((n + 1))
  set -- $t
  log "[$n/$(( ${#targets[@]} + 1 ))] $1"
  build_one "$1" "$2" "$here/k8s-tools" "$vflags"
done

# kwok has no replace directives, so `go install` of the tagged module works directly.
log "[$(( ${#targets[@]} + 1 ))/$(( ${#targets[@]} + 1 ))] kwok"
if [ ! -x "$bin_dir/kwok" ]; then
  log "building kwok $KWOK_VERSION..."
  start=$SECONDS
  GOBIN="$bin_dir" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  log "built kwok in $((SECONDS - start))s"
fi
# --dataplane (hack/dataplane.sh): also kube-proxy from the same pinned Kubernetes, and
# CoreDNS from its own wrapper module (hack/coredns-tools), cached per CoreDNS version and
# linked into the bin directory.
if [ "$dataplane" = 1 ]; then
  build_one kube-proxy k8s.io/kubernetes/cmd/kube-proxy "$here/k8s-tools" "$vflags"
  COREDNS_VERSION=$(awk '$1=="require" && $2=="github.com/coredns/coredns"{print $3; exit}' "$here/coredns-tools/go.mod")
  coredns_dir="$cache_root/coredns-$COREDNS_VERSION"
  mkdir -p "$coredns_dir"
  bin_dir=$coredns_dir build_one coredns . "$here/coredns-tools" "-s -w"
  ln -sfn "$coredns_dir/coredns" "$bin_dir/coredns"
fi
# --node (hack/node.sh): the kubelet from the same pinned Kubernetes.
if [ "$node" = 1 ]; then
  build_one kubelet k8s.io/kubernetes/cmd/kubelet "$here/k8s-tools" "$vflags"
fi
echo "$bin_dir"
