#!/usr/bin/env bash
# The shipped image, built and run: make image (Dockerfile.scratch under podman), make
# image-tar (reproducible, both archive formats), and the image syncing under a 16 MiB limit.
source "$E2E_ROOT/tests/e2e/lib.sh"
cd "$E2E_ROOT" || exit 1
podman=("$E2E_ROOT/hack/podman.sh")
work=$(mktemp -d)
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns=image-$sfx
link=image-$sfx
ctr=svclink-e2e-$sfx
tag=$(awk -F' *:= *' '$1 == "VERSION_BASE" { print $2; exit }' Makefile)
tar_amd64=build/svclink-$tag-amd64.tar
tar_arm64=build/svclink-$tag-arm64.tar
cleanup() {
  "${podman[@]}" rm -f "$ctr" >/dev/null 2>&1
  "${podman[@]}" rmi "localhost/svclink-e2e-tar:$tag" >/dev/null 2>&1
  e2e_kubectl main delete clusterlink "$link" --wait=false >/dev/null 2>&1
  for c in main cluster-a; do e2e_kubectl "$c" delete namespace "$ns" --wait=false >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ] || ! command -v podman >/dev/null || ! command -v skopeo >/dev/null; then
  e2e_fail image-tools "needs root, podman and skopeo (hack/install-deps.sh installs them)"
  e2e_finish
fi

# --- make image-tar: the same bytes twice, for both architectures ---------------------------
for arch in amd64 arm64; do
  f=build/svclink-$tag-$arch.tar
  if make -s image-tar ARCH="$arch" >"$work/tar1.log" 2>&1 && cp "$f" "$work/first.tar" &&
     make -s image-tar ARCH="$arch" >"$work/tar2.log" 2>&1; then
    a=$(sha256sum <"$work/first.tar" | cut -c1-64) b=$(sha256sum <"$f" | cut -c1-64)
    digest=$(skopeo inspect --format '{{.Digest}}' "oci-archive:$f" 2>&1)
    if [ "$a" = "$b" ]; then
      e2e_pass "image-tar-reproducible-$arch (archive sha256 $a twice, manifest $digest, $(stat -c %s "$f") bytes)"
    else
      e2e_fail "image-tar-reproducible-$arch" "archive sha256 $a then $b"
    fi
  else
    e2e_fail "image-tar-reproducible-$arch" "make image-tar failed: $(tail -n 3 "$work/tar1.log" "$work/tar2.log")"
  fi
done

# Both readers of the archive: the OCI layout and docker-archive name the same layer.
for arch in amd64 arm64; do
  f=build/svclink-$tag-$arch.tar
  oci=$(skopeo inspect --format '{{.Architecture}} {{.Layers}}' "oci-archive:$f" 2>&1)
  dock=$(skopeo inspect --format '{{.Architecture}} {{.Layers}}' "docker-archive:$f" 2>&1)
  if [ "$oci" = "$dock" ] && [[ $oci == "$arch [sha256:"* ]]; then
    e2e_pass "image-tar-both-formats-$arch"
  else
    e2e_fail "image-tar-both-formats-$arch" "oci-archive: $oci; docker-archive: $dock"
  fi
done

# The layer holds /svclink and nothing else, and it is the binary the build made.
layer=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])' < <(tar -xOf "$tar_amd64" manifest.json))
listing=$(tar -xOf "$tar_amd64" "$layer" | tar -tvf - | awk '{ print $1, $2, $6 }')
if [ "$listing" = "-rwxr-xr-x 0/0 svclink" ] && tar -xOf "$tar_amd64" "$layer" | tar -xOf - svclink | cmp -s - "$E2E_BIN"; then
  e2e_pass image-tar-holds-only-svclink
else
  e2e_fail image-tar-holds-only-svclink "layer listing: $listing"
fi

# podman load gives the image whose id is the archive's config digest, under the name the
# manifests run, localhost/svclink:TAG, as it is (docs/operations.md#the-image-name).
image_name=localhost/svclink:$tag
loaded=$("${podman[@]}" load -q -i "$tar_amd64" 2>&1)
want_id=$(skopeo inspect --raw --config "oci-archive:$tar_amd64" 2>/dev/null | sha256sum | cut -c1-64)
img_id=$("${podman[@]}" image inspect --format '{{.Id}}' "$image_name" 2>&1)
if [ "$img_id" = "$want_id" ] && [ "$loaded" = "Loaded image: $image_name" ]; then
  e2e_pass "image-tar-podman-load ($loaded)"
else
  e2e_fail image-tar-podman-load "$image_name is $img_id, archive config $want_id; podman load said: $loaded"
fi
# make image below moves the svclink tag and prunes untagged images: this test's own tag
# keeps the tar's image, which is the one run.
"${podman[@]}" tag "$want_id" "localhost/svclink-e2e-tar:$tag" >/dev/null 2>&1

# --- make image: Dockerfile.scratch as a user's build would run it -------------------------
start=$SECONDS
if make -s image >"$work/image.log" 2>&1; then
  built=$("${podman[@]}" image inspect --format '{{.Id}}' "$image_name")
  mnt=$("${podman[@]}" image mount "$built")
  files=$(cd "$mnt" && find . -mindepth 1 | sort | tr '\n' ' ')
  same=no
  cmp -s "$mnt/svclink" "$E2E_BIN" && same=yes
  "${podman[@]}" image unmount "$built" >/dev/null
  e2e_pass "image-dockerfile-builds ($((SECONDS - start)) s, id ${built:0:12})"
  if [ "$files" = "./svclink " ]; then e2e_pass image-dockerfile-holds-only-svclink; else e2e_fail image-dockerfile-holds-only-svclink "files: $files"; fi
  # The build stage compiles the same commit in another directory and environment.
  if [ "$same" = yes ]; then e2e_pass image-dockerfile-binary-is-bin-svclink; else e2e_fail image-dockerfile-binary-is-bin-svclink "the image's /svclink differs from $E2E_BIN"; fi
  user=$("${podman[@]}" image inspect --format '{{.Config.User}} {{.Config.Entrypoint}}' "$built")
  [ "$user" = "65532:65532 [/svclink]" ] && e2e_pass image-dockerfile-config || e2e_fail image-dockerfile-config "$user"
else
  e2e_fail image-dockerfile-builds "$(tail -n 15 "$work/image.log")"
fi
# The tar's image is the one run below (the tag now names the Dockerfile build).
image=$want_id

# --- the image, running against the local clusters -----------------------------------------
for c in main cluster-a; do e2e_kubectl "$c" create namespace "$ns" >/dev/null; done
e2e_kubectl main apply -f manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml >/dev/null
e2e_web_link "$ns" "$link" "$E2E_STATE/cluster-a/kubeconfig"
# uid 65532 must read the mounted kubeconfig.
install -m 0644 "$E2E_STATE/main/kubeconfig" "$work/kubeconfig"
if ! "${podman[@]}" run -d --name "$ctr" --network host --user 65532:65532 --read-only \
     --cap-drop ALL --security-opt no-new-privileges --memory 16m --memory-swap 16m \
     -v "$work/kubeconfig:/etc/svclink/kubeconfig:ro" "$image" \
     --kubeconfig /etc/svclink/kubeconfig --http-address 127.0.0.1:0 >"$work/run.log" 2>&1; then
  e2e_fail image-runs "podman run: $(cat "$work/run.log")"
  e2e_finish
fi
logs() { "${podman[@]}" logs "$ctr" 2>&1; }
addr() { logs | sed -n 's/.*serving \/healthz.* address=\([0-9.:]*\).*/\1/p' | head -n 1; }
has_addr() { [ -n "$(addr)" ]; }
e2e_wait 20 has_addr
http=$(addr)
pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$ctr")
st=$(cat "/proc/$pid/status" 2>/dev/null)
uid=$(awk '/^Uid:/ { print $2 }' <<<"$st") capeff=$(awk '/^CapEff:/ { print $2 }' <<<"$st") nnp=$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$st")
limit=$("${podman[@]}" inspect --format '{{.HostConfig.Memory}} {{.HostConfig.ReadonlyRootfs}}' "$ctr")
if [ "$uid" = 65532 ] && [ "$capeff" = 0000000000000000 ] && [ "$nnp" = 1 ] && [ "$limit" = "16777216 true" ]; then
  e2e_pass "image-runs-confined (uid $uid, no capabilities, no_new_privs, 16 MiB, read-only root)"
else
  e2e_fail image-runs-confined "uid=$uid CapEff=$capeff NoNewPrivs=$nnp memory/readonly=$limit"
fi

if e2e_wait 60 e2e_web_is_synced "$ns"; then
  e2e_pass image-syncs-a-service
else
  e2e_fail image-syncs-a-service "main has: $(e2e_web_synced "$ns"); log: $(logs | tail -n 5)"
fi
code=$(curl -s -o "$work/readyz" -w '%{http_code}' -m 5 "http://$http/readyz")
[ "$code" = 200 ] && e2e_pass image-serves-readyz || e2e_fail image-serves-readyz "http://$http/readyz: $code $(cat "$work/readyz")"
metrics=$(curl -s -m 5 "http://$http/metrics")
if grep -q '^svclink_build_info{' <<<"$metrics" && grep -q "^svclink_link_connected{link=\"$link\"} 1" <<<"$metrics"; then
  e2e_pass image-serves-metrics
else
  e2e_fail image-serves-metrics "$(grep -E '^svclink_(build_info|link_connected)' <<<"$metrics" | head -n 5)"
fi
# cgroup v1 memory controller: what the container used against its limit.
cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$pid/cgroup")
mem=/sys/fs/cgroup/memory$cg
if [ -r "$mem/memory.max_usage_in_bytes" ]; then
  echo "image: memory.max_usage_in_bytes $(cat "$mem/memory.max_usage_in_bytes"), memory.failcnt $(cat "$mem/memory.failcnt"), limit $(cat "$mem/memory.limit_in_bytes")"
fi

"${podman[@]}" stop -t 10 "$ctr" >/dev/null 2>&1
state=$("${podman[@]}" inspect --format '{{.State.ExitCode}} {{.State.OOMKilled}}' "$ctr")
if [ "$state" = "0 false" ]; then e2e_pass image-exits-0-on-sigterm; else e2e_fail image-exits-0-on-sigterm "exit code, OOM killed: $state; $(logs | tail -n 3)"; fi
e2e_finish
