#!/usr/bin/env bash
# The air-gapped bundle and the supply chain: make dist's contents, checksums and SBOM, the
# arm64 binary, kustomize and helm against the real main API server, reproducible bin/svclink.
source "$E2E_ROOT/tests/e2e/lib.sh"
cd "$E2E_ROOT" || exit 1
work=$(mktemp -d)
tag=$(awk -F' *:= *' '$1 == "VERSION_BASE" { print $2; exit }' Makefile)
dist=dist/svclink-$tag
made_ns=0
cleanup() {
  [ "$made_ns" = 1 ] && e2e_kubectl main delete namespace cloudpilot --wait=true --timeout=60s >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
# one_line TEXT: the first lines of a failure, on one line.
one_line() { head -n 4 <<<"$1" | tr '\n' ' '; }

# --- make dist ------------------------------------------------------------------------------
if make -s dist >"$work/dist.log" 2>&1; then e2e_pass dist-builds; else e2e_fail dist-builds "$(one_line "$(tail -n 4 "$work/dist.log")")"; fi
missing=""
for f in bin/svclink-linux-amd64 bin/svclink-linux-arm64 "images/svclink-$tag-amd64.tar" "images/svclink-$tag-arm64.tar" \
  manifests/kustomization.yaml manifests/remote/kustomization.yaml manifests/remote/remote-rbac.yaml \
  manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml manifests/helm/svclink/Chart.yaml \
  manifests/helm/svclink/crds/svclink.cloudpilot.ai_clusterlinks.yaml \
  scripts/export-kubeconfig.sh scripts/cleanup-endpointslices.sh sbom.spdx.json SHA256SUMS README.md docs/operations.md; do
  [ -f "$dist/$f" ] && [ ! -L "$dist/$f" ] || missing+=" $f"
done
[ -z "$missing" ] && e2e_pass dist-has-every-artefact || e2e_fail dist-has-every-artefact "missing:$missing"
listed=$(cut -c67- "$dist/SHA256SUMS" | sort) present=$(cd "$dist" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort)
if (cd "$dist" && sha256sum --quiet -c SHA256SUMS) >"$work/sums.log" 2>&1 && [ "$listed" = "$(sort <<<"$present")" ]; then
  e2e_pass "dist-sha256sums-cover-and-match ($(wc -l <"$dist/SHA256SUMS") files)"
else
  e2e_fail dist-sha256sums-cover-and-match "$(one_line "$(cat "$work/sums.log")")"
fi
cmp -s "$dist/bin/svclink-linux-amd64" "$E2E_BIN" && e2e_pass dist-binary-is-bin-svclink || e2e_fail dist-binary-is-bin-svclink "differs from $E2E_BIN"

# The SBOM: SPDX 2.3 naming svclink and each pinned source package with its checksums.
sbom=$(python3 - "$dist/sbom.spdx.json" vendor/SHA256SUMS "$dist" <<'PY'
import hashlib, json, re, sys
doc = json.load(open(sys.argv[1]))
pins = [l.split() for l in open(sys.argv[2]) if l.strip()]
problems = []
if doc.get("spdxVersion") != "SPDX-2.3": problems.append("spdxVersion %r" % doc.get("spdxVersion"))
pk = {p["name"]: p for p in doc.get("packages", [])}
if "svclink" not in pk: problems.append("no svclink package")
for d, f in pins:
    m = re.fullmatch(r"(.+?)_(.+)\.dsc", f)
    if m:
        p = pk.get(m.group(1))
        if not p: problems.append("no package " + m.group(1)); continue
        if p["versionInfo"] != m.group(2): problems.append("%s version %s, pinned %s" % (p["name"], p["versionInfo"], m.group(2)))
    name = f.split("_")[0]
    if name in pk and ("%s sha256:%s" % (f, d)) not in pk[name].get("sourceInfo", ""):
        problems.append("%s: %s checksum missing" % (name, f))
for n in ("bearssl", "libyaml", "jsmn"):
    if n not in pk: problems.append("no package " + n)
for f in doc.get("files", []):
    got = hashlib.sha256(open(sys.argv[3] + "/" + f["fileName"], "rb").read()).hexdigest()
    if got != f["checksums"][0]["checksumValue"]: problems.append(f["fileName"] + " checksum differs")
if len(doc.get("files", [])) != 4: problems.append("%d files, want the 2 binaries and 2 images" % len(doc.get("files", [])))
print("; ".join(problems) if problems else "ok " + ", ".join("%s %s" % (n, pk[n]["versionInfo"]) for n in sorted(pk)))
PY
)
[[ $sbom == ok* ]] && e2e_pass "dist-sbom-spdx (${sbom#ok })" || e2e_fail dist-sbom-spdx "$sbom"

# --- the arm64 binary, hardened like the amd64 one ------------------------------------------
arm=$dist/bin/svclink-linux-arm64
kind=$(file -b "$arm") headers=$(readelf -lW "$arm" 2>&1; readelf -dW "$arm" 2>&1)
problems=""
[[ $kind == *"ARM aarch64"*"static-pie linked"*stripped* ]] || problems+=" file: $kind;"
grep -q INTERP <<<"$headers" && problems+=" PT_INTERP;"
grep -q NEEDED <<<"$headers" && problems+=" NEEDED;"
{ grep -q GNU_RELRO <<<"$headers" && grep -Eq 'FLAGS.*NOW' <<<"$headers"; } || problems+=" no full RELRO;"
grep -q 'GNU_STACK.*RW ' <<<"$headers" || problems+=" executable stack;"
readelf -hW "$arm" | grep -q 'DYN (Position-Independent Executable' || problems+=" not PIE;"
out=$(qemu-aarch64-static "$arm" --version 2>&1) || problems+=" --version under qemu: $out;"
[ -z "$problems" ] && e2e_pass "arm64-binary-static-hardened ($(stat -c %s "$arm") bytes; $out)" || e2e_fail arm64-binary-static-hardened "$problems"

# --- kustomize and helm against the real main API server ------------------------------------
if ! e2e_kubectl main get namespace cloudpilot >/dev/null 2>&1; then
  e2e_kubectl main apply -f manifests/namespace.yaml >/dev/null && made_ns=1
fi
# The chart's ClusterLinks can be checked by the server only once their CRD is served, and a
# dry run of the chart creates nothing: in a full run an earlier suite has installed the
# CRD; run alone (or first), this suite installs it.
e2e_kubectl main apply -f manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml >/dev/null
e2e_kubectl main wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >/dev/null
# Server-side dry runs of the namespaced objects need their namespace to exist.
out=$(e2e_kubectl main apply -k "$dist/manifests" --dry-run=server 2>&1)
n=$(grep -c 'server dry run' <<<"$out")
[ "$n" -eq 12 ] && ! grep -qi 'error\|warning' <<<"$out" && e2e_pass "kustomize-main-applies-dry-run-server ($n objects)" ||
  e2e_fail kustomize-main-applies-dry-run-server "$n objects: $(one_line "$(grep -i 'error\|warning' <<<"$out")")"
out=$(e2e_kubectl cluster-a apply -k "$dist/manifests/remote" --dry-run=server 2>&1)
grep -q 'clusterrole.rbac.authorization.k8s.io/svclink-remote-reader .*(server dry run)' <<<"$out" &&
  e2e_pass kustomize-remote-applies-dry-run-server || e2e_fail kustomize-remote-applies-dry-run-server "$(one_line "$out")"

helm=$(hack/helm-bin.sh 2>"$work/helm-build.log" | tail -n 1)
if [ ! -x "$helm" ]; then
  e2e_fail helm-built "$(one_line "$(tail -n 4 "$work/helm-build.log")")"
  e2e_finish
fi
chart=$dist/manifests/helm/svclink
links=(--set 'links[0].name=e2e-a,links[0].kubeconfigSecretRef.name=a-kubeconfig,links[0].excludedNamespaces[0]=monitoring'
  --set 'links[1].name=e2e-b,links[1].kubeconfig=Zm9v,links[1].enabled=false,links[1].staleEndpointTimeoutSeconds=60')
out=$("$helm" lint --strict "$chart" "${links[@]}" 2>&1) && e2e_pass "helm-lint ($("$helm" version --short))" || e2e_fail helm-lint "$(one_line "$out")"
"$helm" template svclink "$chart" -n cloudpilot --include-crds "${links[@]}" \
  --set replicas=3,log.level=debug,leaderElection.leaseDuration=20s,secretNamespaces[0]=default >"$work/helm.yaml" 2>"$work/helm.err"
out=$(e2e_kubectl main apply --dry-run=server --validate=strict -f "$work/helm.yaml" 2>&1)
n=$(grep -c 'server dry run' <<<"$out")
[ "$n" -eq 15 ] && ! grep -qi 'error\|warning' <<<"$out" && e2e_pass "helm-template-applies-dry-run-server ($n objects)" ||
  e2e_fail helm-template-applies-dry-run-server "$n objects: $(one_line "$(grep -i 'error\|warning' <<<"$out") $(cat "$work/helm.err")")"
# The values reach the objects.
checks=$(python3 - "$work/helm.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment")
args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
links = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "ClusterLink"}
bad = []
if dep["spec"]["replicas"] != 3: bad.append("replicas")
for a in ("--log-level=debug", "--leader-elect=true", "--leader-elect-lease-duration=20s", "--http-address=:8080", "--log-format=json"):
    if a not in args: bad.append(a)
if links.get("e2e-a", {}).get("kubeconfigSecretRef") != {"namespace": "cloudpilot", "name": "a-kubeconfig", "key": "kubeconfig"}: bad.append("e2e-a secret ref")
if links.get("e2e-b", {}).get("enabled") is not False or links["e2e-b"].get("staleEndpointTimeoutSeconds") != 60: bad.append("e2e-b spec")
if not any(d["kind"] == "Role" and d["metadata"]["name"] == "svclink-secrets" for d in docs): bad.append("secretNamespaces Role")
print(" ".join(bad) or "ok")
PY
)
[ "$checks" = ok ] && e2e_pass helm-values-reach-the-objects || e2e_fail helm-values-reach-the-objects "wrong: $checks"
# The chart's defaults and kustomize's manifests are the same objects (the chart has no Namespace).
objs() { python3 -c 'import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d["kind"] != "Namespace": print(d["kind"], d["metadata"].get("namespace", "-"), d["metadata"]["name"])' | sort; }
a=$("$helm" template svclink "$chart" -n cloudpilot --include-crds 2>/dev/null | objs)
b=$(e2e_kubectl main kustomize "$dist/manifests" | objs)
[ -n "$a" ] && [ "$a" = "$b" ] && e2e_pass "helm-defaults-match-kustomize ($(wc -l <<<"$a") objects)" ||
  e2e_fail helm-defaults-match-kustomize "$(one_line "$(diff <(echo "$a") <(echo "$b"))")"
# One image name everywhere (docs/operations.md#the-image-name): what each archive of the
# bundle calls the image (its OCI index annotation and its docker-archive tag) is what the
# kustomization, the mirror Deployment and the chart's defaults run.
# images_of: the containers' images of the Deployments in the YAML on stdin.
images_of() { python3 -c 'import sys, yaml
print(" ".join(c["image"] for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "Deployment"
               for c in d["spec"]["template"]["spec"]["containers"]))'; }
kust_image=$(e2e_kubectl main kustomize "$dist/manifests" | images_of)
helm_image=$("$helm" template svclink "$chart" -n cloudpilot 2>/dev/null | images_of)
mirror_image=$(images_of <"$dist/manifests/mirror/deployment.yaml" 2>&1)
names=""
for arch in amd64 arm64; do
  names+=$(tar -xOf "$dist/images/svclink-$tag-$arch.tar" index.json | python3 -c 'import json, sys
print(" ".join(m["annotations"]["io.containerd.image.name"] for m in json.load(sys.stdin)["manifests"]))')" "
  names+=$(tar -xOf "$dist/images/svclink-$tag-$arch.tar" manifest.json | python3 -c 'import json, sys
print(" ".join(t for m in json.load(sys.stdin) for t in m["RepoTags"]))')" "
done
want=localhost/svclink:$tag
if [ "$names" = "$want $want $want $want " ] && [ "$kust_image" = "$want" ] && [ "$helm_image" = "$want" ] &&
   [ "$mirror_image" = "$want" ]; then
  e2e_pass "dist-image-name-agrees ($want in both archives, kustomize, mirror and the chart)"
else
  e2e_fail dist-image-name-agrees "archives: $names; kustomize: $kust_image; chart: $helm_image; mirror: $mirror_image; want $want"
fi
out=$("$helm" template svclink "$chart" --set 'links[0].name=x,links[0].kubeconfig=Zm9v,links[0].kubeconfigSecretRef.name=s' 2>&1)
[ $? -ne 0 ] && grep -q 'not both' <<<"$out" && e2e_pass helm-refuses-two-kubeconfig-sources || e2e_fail helm-refuses-two-kubeconfig-sources "$(one_line "$out")"

# --- reproducible: two clean checkouts in different directories, the same bytes -------------
rev=$(git rev-parse HEAD)
ok=1
for d in "$work/one" "$work/deeper/two"; do
  mkdir -p "$(dirname "$d")"
  git clone -q --no-hardlinks "$E2E_ROOT" "$d" 2>"$work/clone.log" && git -C "$d" checkout -q "$rev" || { ok=0; break; }
  # Only the pinned downloads are shared (checked against SHA256SUMS again); no build output.
  mkdir -p "$d/vendor/dl" && cp -p vendor/dl/* "$d/vendor/dl/"
  ( cd "$d" && make -j2 bin/svclink >"$d.build.log" 2>&1 ) || { ok=0; e2e_fail reproducible-bin-svclink "build in $d: $(one_line "$(tail -n 4 "$d.build.log")")"; break; }
done
if [ "$ok" = 1 ]; then
  s1=$(sha256sum <"$work/one/bin/svclink" | cut -c1-64) s2=$(sha256sum <"$work/deeper/two/bin/svclink" | cut -c1-64)
  [ "$s1" = "$s2" ] && e2e_pass "reproducible-bin-svclink (sha256 $s1 in both, commit ${rev:0:12})" ||
    e2e_fail reproducible-bin-svclink "sha256 $s1 vs $s2"
fi
e2e_finish
