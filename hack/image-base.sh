#!/usr/bin/env bash
# Makes the image build stage's `debian:bookworm` base locally (no registry is needed):
# debootstrap from this machine's own Debian apt source, cached outside the checkout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm
cache=${SVCLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svclink}/images
tarball=$cache/debian-$suite-minbase.tar
podman=("$here/podman.sh")

log() { printf '[image-base] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The first Debian archive URI of the machine's apt configuration (deb822 or one-line).
mirror() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN { RS = "" }
               /debian-archive-keyring/ && /Suites:[^\n]*'"$suite"'([ \n]|$)/ {
                 if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit }
               }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $3 == "'"$suite"'" { print $2; exit }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "no Debian $suite entry in /etc/apt to bootstrap from"
  echo "$uri"
}

if "${podman[@]}" image exists "localhost/debian:$suite"; then
  log "localhost/debian:$suite is present"
  exit 0
fi
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || die "debootstrap is missing: run hack/install-deps.sh"
  url=$(mirror)
  log "bootstrapping Debian $suite (minbase) from the machine's apt source; takes a few minutes once"
  mkdir -p "$cache"
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase "$suite" "$root" "$url" >"$cache/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -n 5 "$cache/debootstrap.log")"
  # The rootfs holds the machine's own source list entry, which the build stage's apt uses.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar --numeric-owner --xattrs -C "$root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi
log "importing $tarball as localhost/debian:$suite"
"${podman[@]}" import --change 'CMD ["bash"]' "$tarball" "localhost/debian:$suite" >/dev/null
