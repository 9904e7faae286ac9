#!/usr/bin/env bash
# e2e of `svclink check` against cluster-a: the admin kubeconfig, a service account before
# and after RBAC, a wrong CA, a closed port, a silent server, a bad token, exec and usage.
source "$E2E_ROOT/tests/e2e/lib.sh"
bin=$E2E_BIN
work=$(mktemp -d)
a=$E2E_STATE/cluster-a
# shellcheck disable=SC1091
api_url=$(. "$a/cluster.env" && echo "$API_URL")
# Unique names, so a rerun never meets the previous run's namespace still terminating.
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns=check-$sfx
role=svclink-check-e2e-$sfx
sa=check-e2e
silent_pid=""

ka() { e2e_kubectl cluster-a "$@"; }

cleanup() {
  if [ -n "$silent_pid" ]; then kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null; fi
  exec 9>&- 2>/dev/null
  ka delete clusterrolebinding "$role" "$role-ns" --ignore-not-found >/dev/null 2>&1
  ka delete clusterrole "$role" "$role-ns" --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1
  [ -n "${E2E_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# kubeconfig FILE SERVER CA_B64 USER_YAML...: one context "t"; each USER_YAML is one line
# of the user's fields; CA_B64 "" writes insecure-skip-tls-verify instead of a CA.
kubeconfig() {
  local file=$1 server=$2 ca=$3
  shift 3
  if [ -n "$ca" ]; then
    e2e_kubeconfig "$file" "$server" "certificate-authority-data: $ca" -- "$@"
  else
    e2e_kubeconfig "$file" "$server" "insecure-skip-tls-verify: true" -- "$@"
  fi
}

# Secrets no output may contain: tokens, and the start of the admin's client key data.
secrets=()
no_secret() {
  local s
  for s in "${secrets[@]}"; do
    if [ -n "$s" ] && grep -qF -- "$s" <<<"$1"; then return 1; fi
  done
  ! grep -q -- "-----BEGIN" <<<"$1"
}

# check_case NAME WANT_STATUS PATTERNS -- ARGS...: runs `svclink check ARGS` (30 s at most);
# passes when it exits WANT_STATUS, stdout+stderr match every line of PATTERNS (extended
# regular expressions) and print no secret.
check_case() {
  local name=$1 want=$2 patterns=$3 out rc p
  shift 4
  out=$(timeout 30 "$bin" check "$@" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ]; then
    e2e_fail "$name" "exit status $rc, want $want: $(tail -c 900 <<<"$out")"
    return
  fi
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    if ! grep -Eq -- "$p" <<<"$out"; then
      e2e_fail "$name" "no line matches /$p/ in: $(tail -c 900 <<<"$out")"
      return
    fi
  done <<<"$patterns"
  if ! no_secret "$out"; then
    e2e_fail "$name" "a token or key was printed"
    return
  fi
  # Under the ASan build a report may come with the very exit status a case expects.
  if grep -Eq 'Sanitizer|runtime error:' <<<"$out"; then
    e2e_fail "$name" "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:' <<<"$out")"
    return
  fi
  e2e_pass "$name"
}

# Every one of the seven steps says ok.
all_ok='^kubeconfig +ok +context
^reachable +ok +127\.0\.0\.1:
^tls +ok +server certificate verified
^auth +ok +authenticated
^version +ok +v1\.
^permissions +ok +list,watch services; list,watch endpointslices\.discovery\.k8s\.io; list,watch namespaces
^verdict +ok +this kubeconfig works for a ClusterLink'

# --- the admin kubeconfig --------------------------------------------------------------------
admin=$a/kubeconfig
secrets+=("$(ka config view --raw -o jsonpath='{.users[0].user.client-key-data}' | cut -c 1-60)")
check_case admin-trusted 0 "$all_ok" -- --kubeconfig "$admin" --trusted
# It embeds its data (no file paths), so a ClusterLink could use it as it is.
check_case admin-untrusted 0 "$all_ok" -- --kubeconfig "$admin"
check_case admin-tls-server-name 0 "$all_ok
^tls +ok +server certificate verified for cluster-a\.svclink\.test" -- --kubeconfig "$admin" --context cluster-a-dns

# --- a service account: no RBAC, then list/watch granted --------------------------------------
ca_b64=$(ka config view --raw -o jsonpath='{.clusters[?(@.name=="cluster-a")].cluster.certificate-authority-data}')
ka create namespace "$ns" >/dev/null
ka -n "$ns" create serviceaccount "$sa" >/dev/null
token=$(SVCLINK_STATE=${E2E_STATE%/clusters} "$E2E_ROOT/hack/clusters.sh" token cluster-a "$ns/$sa" 10m 2>/dev/null)
secrets+=("$token")
if [ -z "$token" ]; then
  e2e_fail sa-token "hack/clusters.sh token cluster-a $ns/$sa gave no token"
  e2e_finish
fi
kubeconfig "$work/sa.yaml" "$api_url" "$ca_b64" "token: $token"

check_case sa-no-rbac 1 "^auth +ok +authenticated as system:serviceaccount:$ns:$sa\$
^version +ok +v1\.
^permissions +FAIL +missing: list services, watch services, list endpointslices\.discovery\.k8s\.io, watch endpointslices\.discovery\.k8s\.io, list namespaces, watch namespaces\$
^verdict +FAIL +.*\(failed: permissions\)" -- --kubeconfig "$work/sa.yaml"
check_case sa-no-rbac-namespaced 1 "^permissions +FAIL +missing: list services in $ns, watch services in $ns, .*watch endpointslices\.discovery\.k8s\.io in default, list namespaces, watch namespaces\$" \
  -- --kubeconfig "$work/sa.yaml" --namespace "$ns" --namespace default

ka create clusterrole "$role" --verb=list,watch --resource=services,endpointslices.discovery.k8s.io >/dev/null
ka create clusterrolebinding "$role" --clusterrole="$role" --serviceaccount="$ns:$sa" >/dev/null
# Everything but the Namespaces a link watches for the opt-out labels: named alone.
e2e_wait 30 sh -c '"$1" check --kubeconfig "$2" --timeout 5s | grep -q "^permissions .*missing: list namespaces, watch namespaces\$"' _ "$bin" "$work/sa.yaml"
check_case sa-no-namespaces 1 "^permissions +FAIL +missing: list namespaces, watch namespaces\$" -- --kubeconfig "$work/sa.yaml"
ka create clusterrole "$role-ns" --verb=list,watch --resource=namespaces >/dev/null
ka create clusterrolebinding "$role-ns" --clusterrole="$role-ns" --serviceaccount="$ns:$sa" >/dev/null
# The authorizer sees a new binding within moments; wait for it rather than guess.
e2e_wait 30 "$bin" check --kubeconfig "$work/sa.yaml" --timeout 5s
check_case sa-with-rbac 0 "$all_ok
^auth +ok +authenticated as system:serviceaccount:$ns:$sa\$" -- --kubeconfig "$work/sa.yaml"
check_case sa-with-rbac-namespaced 0 "^permissions +ok +.* in $ns, default; list,watch namespaces\$
^verdict +ok" -- --kubeconfig "$work/sa.yaml" --namespace "$ns,default"

# insecure-skip-tls-verify works, but is a problem a ClusterLink should not have.
kubeconfig "$work/insecure.yaml" "$api_url" "" "token: $token"
check_case insecure-skip-tls-verify 1 "^tls +FAIL +NOT verified: insecure-skip-tls-verify is set
^permissions +ok
^verdict +FAIL +.*\(failed: tls\)" -- --kubeconfig "$work/insecure.yaml"

# A file path works with --trusted only, and the report says a ClusterLink would refuse it.
base64 -d <<<"$ca_b64" >"$work/ca.crt"
sed '/certificate-authority-data/d; s#^    server: .*#&\n    certificate-authority: ca.crt#' "$work/sa.yaml" >"$work/ca-file.yaml"
check_case ca-file-trusted 0 "^kubeconfig +ok .*a ClusterLink would refuse it: .*certificate-authority
^verdict +ok +this kubeconfig works with --trusted, but a ClusterLink would refuse it" \
  -- --kubeconfig "$work/ca-file.yaml" --trusted
check_case ca-file-untrusted 1 '^kubeconfig +FAIL +Refused: .*"certificate-authority" is not allowed in a ClusterLink kubeconfig
^reachable +skipped' -- --kubeconfig "$work/ca-file.yaml"

# --- failures at each step -------------------------------------------------------------------
# A CA of our own that never signed cluster-a's certificate; it also signs the silent server's.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/wrong-ca.key" -out "$work/wrong-ca.crt" -days 1 \
  -subj "/CN=svclink-check-wrong-ca" 2>/dev/null
kubeconfig "$work/wrong-ca.yaml" "$api_url" "$(base64 -w0 "$work/wrong-ca.crt")" "token: $token"
check_case wrong-ca 1 "^reachable +ok
^tls +FAIL +t: GET /version: 127\.0\.0\.1:[0-9]+: .*certificate
^auth +skipped
^verdict +FAIL +.*\(failed: tls\)" -- --kubeconfig "$work/wrong-ca.yaml"

# Port 1 on loopback: nothing listens there, so the connection is refused at once.
kubeconfig "$work/closed.yaml" "https://127.0.0.1:1" "$ca_b64" "token: $token"
check_case closed-port 1 "^reachable +FAIL +t: GET /version: cannot connect to 127\.0\.0\.1:1: Connection refused
^tls +skipped +\(reachable failed\)
^permissions +skipped
^verdict +FAIL +.*\(failed: reachable\)" -- --kubeconfig "$work/closed.yaml"

garbage=svclink-check-garbage-$sfx-token
secrets+=("$garbage")
kubeconfig "$work/garbage.yaml" "$api_url" "$ca_b64" "token: $garbage"
check_case bad-token-401 1 "^tls +ok
^auth +FAIL +credentials rejected \(401\): t: POST /apis/authentication\.k8s\.io/v1/selfsubjectreviews: 401 Unauthorized
^version +skipped +\(auth failed\)
^permissions +skipped" -- --kubeconfig "$work/garbage.yaml"

kubeconfig "$work/exec.yaml" "$api_url" "$ca_b64" "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}"
check_case exec-refused 1 '^kubeconfig +FAIL +Refused: user "u": field "exec" is not allowed in a ClusterLink kubeconfig
^verdict +FAIL' -- --kubeconfig "$work/exec.yaml"

# A server that completes TLS but never answers: --timeout bounds the whole check.
openssl req -newkey rsa:2048 -nodes -keyout "$work/silent.key" -out "$work/silent.csr" -subj "/CN=silent" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/silent.ext"
openssl x509 -req -in "$work/silent.csr" -CA "$work/wrong-ca.crt" -CAkey "$work/wrong-ca.key" -CAcreateserial \
  -days 1 -extfile "$work/silent.ext" -out "$work/silent.crt" 2>/dev/null
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  p=$((20000 + RANDOM % 9000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
# s_server reads stdin: a FIFO held open and never written keeps it from closing connections.
mkfifo "$work/silent.in"
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/silent.crt" -key "$work/silent.key" \
  <"$work/silent.in" >"$work/silent.log" 2>&1 &
silent_pid=$!
exec 9>"$work/silent.in"
if [ -z "$port" ] || ! e2e_wait 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"; then
  e2e_fail silent-server-timeout "could not start a silent TLS server (port ${port:-none})"
else
  kubeconfig "$work/silent.yaml" "https://127.0.0.1:$port" "$(base64 -w0 "$work/wrong-ca.crt")" "token: $token"
  start=$(date +%s%N)
  check_case silent-server-timeout 1 "^reachable +FAIL +t: GET /version: no answer within 1500ms
^verdict +FAIL" -- --kubeconfig "$work/silent.yaml" --timeout 1500ms
  ms=$((($(date +%s%N) - start) / 1000000))
  if [ "$ms" -ge 1400 ] && [ "$ms" -lt 4000 ]; then
    e2e_pass "silent-server-timeout-bounded (${ms} ms for --timeout 1500ms)"
  else
    e2e_fail silent-server-timeout-bounded "took $ms ms for --timeout 1500ms"
  fi
fi

# --- usage errors: status 2, a message on stderr, nothing checked --------------------------------
check_case usage-no-kubeconfig 2 'svclink check: --kubeconfig FILE is required' --
check_case usage-unknown-flag 2 'svclink check: unknown flag "--bogus"' -- --kubeconfig "$admin" --bogus
check_case usage-bad-timeout 2 'svclink check: --timeout: "soon" is not a duration' -- --kubeconfig "$admin" --timeout soon
check_case usage-kube-system 2 'kube-system is never synced' -- --kubeconfig "$admin" --namespace kube-system
check_case help 0 '^Usage: svclink check --kubeconfig FILE' -- --help
if "$bin" --help | grep -q '^  check --kubeconfig FILE'; then
  e2e_pass main-help-names-check
else
  e2e_fail main-help-names-check "svclink --help does not mention check"
fi

e2e_finish
