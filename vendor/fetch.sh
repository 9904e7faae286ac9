#!/usr/bin/env bash
# Fetches the pinned Debian source packages of BearSSL, libyaml and jsmn into vendor/dl,
# checks them against vendor/SHA256SUMS and unpacks them under vendor/src (both git-ignored).
set -euo pipefail

vendor=$(cd "$(dirname "$0")" && pwd)
dl="$vendor/dl"
src="$vendor/src"
apt_state="$vendor/.apt"
# source package -> pinned version; SHA256SUMS pins every file of each.
packages=("bearssl=0.6+dfsg.1-3" "libyaml=0.2.5-1" "jsmn=1.1.0-2")

log() { printf '[vendor] %s\n' "$*" >&2; }

have_all_files() {
  [ -d "$dl" ] && (cd "$dl" && sha256sum --quiet --check "$vendor/SHA256SUMS" >/dev/null 2>&1)
}

# A private apt configuration with deb-src twins of the machine's own Debian entries,
# so the host is whatever this machine already uses and the system config is untouched.
write_apt_config() {
  mkdir -p "$apt_state/parts" "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
  : > "$apt_state/parts/src.sources"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Keep only stanzas that serve Debian itself (signed by the Debian archive keyring).
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /Types:[^\n]*deb/ && /debian-archive-keyring/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' \
      "$f" >> "$apt_state/parts/src.sources"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb[[:space:]]' /etc/apt/sources.list | grep -i debian | sed 's/^deb /deb-src /' \
      > "$apt_state/parts/src.list" || true
  fi
  if [ ! -s "$apt_state/parts/src.sources" ] && [ ! -s "$apt_state/parts/src.list" ]; then
    log "no Debian apt source found in /etc/apt to derive a deb-src entry from"
    exit 1
  fi
}

apt_opts() {
  printf '%s\n' -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_state/parts" \
    -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache" \
    -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
}

download() {
  command -v apt-get >/dev/null || { log "apt-get is needed to fetch the Debian source packages"; exit 1; }
  write_apt_config
  local opts
  mapfile -t opts < <(apt_opts)
  log "updating the private deb-src index"
  apt-get "${opts[@]}" -qq update
  mkdir -p "$dl"
  local pkg
  for pkg in "${packages[@]}"; do
    log "downloading $pkg"
    # The mirror here lacks jsmn's Debian packaging tarball (404), so a package whose
    # download is partial is accepted; SHA256SUMS decides what is required.
    (cd "$dl" && apt-get "${opts[@]}" -qq --download-only source "$pkg") || log "apt-get source $pkg was incomplete"
  done
}

unpack() {
  command -v dpkg-source >/dev/null || { log "dpkg-source (package dpkg-dev) is needed to unpack"; exit 1; }
  # Sources unpacked under other pins are stale: start over.
  if [ -d "$src" ] && ! cmp -s "$vendor/SHA256SUMS" "$src/.pins"; then
    rm -rf "$src"
  fi
  mkdir -p "$src"
  local dsc dir base
  for dsc in "$dl"/*.dsc; do
    base=$(basename "$dsc" .dsc)
    dir="$src/${base%%_*}"
    [ -d "$dir" ] && continue
    log "unpacking $base into vendor/src/${base%%_*}"
    rm -rf "$dir.tmp"
    if [ -f "$dl/$base.debian.tar.xz" ]; then
      # dpkg-source applies Debian's patches; the signature is covered by our SHA256 pins.
      dpkg-source --no-check -x "$dsc" "$dir.tmp" >/dev/null
    else
      # Without the packaging tarball only the pristine upstream source can be used.
      mkdir -p "$dir.tmp"
      tar -xf "$dl/${base%-*}.orig.tar."* -C "$dir.tmp" --strip-components=1
    fi
    mv "$dir.tmp" "$dir"
    rm -f "$src"/*.orig.tar.*
  done
}

if have_all_files; then
  log "sources present and verified"
else
  download
  if ! (cd "$dl" && sha256sum --quiet --check "$vendor/SHA256SUMS"); then
    log "checksum mismatch against vendor/SHA256SUMS: refusing to use the downloaded sources"
    exit 1
  fi
fi
unpack
cp "$vendor/SHA256SUMS" "$src/.pins"
