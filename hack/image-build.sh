#!/usr/bin/env bash
# `make image`: builds Dockerfile.scratch with podman exactly as `docker build` would, on a
# locally bootstrapped debian:bookworm; tags it localhost/svclink:TAG (the name the manifests
# use: docs/operations.md#the-image-name). Usage: image-build.sh TAG VERSION
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tag=${1:?usage: image-build.sh TAG VERSION}
version=${2:?usage: image-build.sh TAG VERSION}

"$here/image-base.sh"
# The build stage's apt and vendor/fetch.sh need the machine's apt source: host network.
"$here/podman.sh" build --network host --pull=never -f "$repo/Dockerfile.scratch" \
  --build-arg "SVCLINK_VERSION=$version" -t "localhost/svclink:$tag" "$repo"
"$here/podman.sh" image inspect --format '{{.Id}} {{.Size}}' "localhost/svclink:$tag" |
  awk -v t="localhost/svclink:$tag" '{ printf "[image-build] %s: image id %s, %d bytes\n", t, $1, $2 }' >&2
# The build stage is tagged too (every step cached, so this takes a second), so pruning
# the untagged images of earlier builds keeps the package layer the next build reuses.
"$here/podman.sh" build --network host --pull=never -f "$repo/Dockerfile.scratch" --target build \
  --build-arg "SVCLINK_VERSION=$version" -t "localhost/svclink-build:$tag" "$repo" >/dev/null
"$here/podman.sh" image prune -f >/dev/null
