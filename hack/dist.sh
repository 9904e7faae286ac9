#!/usr/bin/env bash
# `make dist`: the air-gapped bundle dist/svclink-VERSION/ from the built binaries and image
# archives: manifests, chart, scripts, README and docs/, an SPDX SBOM and SHA256SUMS over it all.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
version=${1:?usage: dist.sh VERSION FULL_VERSION}
full=${2:?usage: dist.sh VERSION FULL_VERSION}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
out=$repo/dist/svclink-$version

for f in bin/svclink bin/svclink-arm64 "build/svclink-$version-amd64.tar" "build/svclink-$version-arm64.tar"; do
  [ -f "$repo/$f" ] || { echo "[dist] $f is missing (make dist builds it)" >&2; exit 1; }
done
rm -rf "$out.tmp"
mkdir -p "$out.tmp/bin" "$out.tmp/images" "$out.tmp/scripts"
install -m 0755 "$repo/bin/svclink" "$out.tmp/bin/svclink-linux-amd64"
install -m 0755 "$repo/bin/svclink-arm64" "$out.tmp/bin/svclink-linux-arm64"
for a in amd64 arm64; do
  install -m 0644 "$repo/build/svclink-$version-$a.tar" "$out.tmp/images/"
done
# -L: the chart's crds/ links to manifests/crds/; the bundle holds the file itself.
cp -RL "$repo/manifests" "$out.tmp/manifests"
# The scripts find manifests/remote/remote-rbac.yaml at ../manifests, as in the checkout.
install -m 0755 "$repo/hack/export-kubeconfig.sh" "$repo/hack/cleanup-endpointslices.sh" "$out.tmp/scripts/"
install -m 0644 "$repo/README.md" "$out.tmp/README.md"
# The README links into docs/ (the install steps live in docs/operations.md).
cp -R "$repo/docs" "$out.tmp/docs"
python3 "$here/dist-sbom.py" --version "$full" --epoch "$epoch" --vendor-sums "$repo/vendor/SHA256SUMS" \
  --bundle "$out.tmp" >"$out.tmp/sbom.spdx.json"
# Fixed times and modes inside, so a copy of the bundle checks out the same everywhere.
find "$out.tmp" -exec touch -h -d "@$epoch" {} +
(cd "$out.tmp" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
  xargs -d '\n' sha256sum >SHA256SUMS)
touch -d "@$epoch" "$out.tmp/SHA256SUMS"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "[dist] $out: $(find "$out" -type f | wc -l) files, $(du -sk "$out" | cut -f1) KiB" >&2
