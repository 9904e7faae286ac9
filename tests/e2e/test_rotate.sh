#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016,SC2034 # functions run through e2e_wait, eval and the EXIT trap; eval takes single-quoted code and the locals it reads
# Credentials that change under load, without a restart and without a lost endpoint. A
# ClusterLink reads its kubeconfig from a Secret and reaches cluster-a through a second
# kube-apiserver on cluster-a's etcd, serving a certificate of a CA this suite makes; svclink
# reaches main with a tokenFile. While a remote slice changes every half second:
#   1. the Secret is rotated to a new token, then the old token is revoked;
#   2. the second API server's serving certificate is replaced by one of a new CA (the API
#      server reloads it from disk), then the new CA is delivered in the Secret;
#   3. the token expires before its renewal arrives (it is revoked), the link says
#      Unauthorized, and the renewed token in the Secret brings it back;
#   4. main's token file is replaced, then its old token revoked.
# Tokens are bound to a Secret (TokenRequest, 10 minutes): deleting that Secret ends the token
# at once, as expiry would. A sampler reads main's slices twice a second throughout: none of
# the ten steady endpoints may ever be missing. E2E_* as tests/run.sh sets them.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=5
STEADY=10
run_begin rotate
NS=rot-$sfx LINK=rot-$sfx SA=rot-reader MAIN_SA=rot-main
A2_PID="" SAMPLER_PID=""

cleanup() {
  churn_stop
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
  run_links_end
  [ -n "$A2_PID" ] && kill "$A2_PID" 2>/dev/null && wait "$A2_PID" 2>/dev/null
  km delete clusterrolebinding "rot-main-$sfx" --ignore-not-found >/dev/null 2>&1
  ka delete clusterrolebinding "rot-reader-$sfx" --ignore-not-found >/dev/null 2>&1
  ka delete clusterrole "rot-reader-$sfx" --ignore-not-found >/dev/null 2>&1
  e2e_delete_namespace "$NS" main cluster-a
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

one_line() { tr '\n' ' ' <<<"$1" | tr -s ' ' | cut -c1-600; }
setup_fail() { e2e_fail "rotate: setup: $1" "$(one_line "$2")"; e2e_finish; }

# --- a CA and a serving certificate for 127.0.0.1 ------------------------------------------------
# make_ca N / make_serving N: pki/caN.{crt,key} and pki/servingN.{crt,key} signed by caN.
mkdir -p "$work/pki"
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=rotate-ca-$1" -days 1 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -keyout "$work/pki/ca$1.key" -out "$work/pki/ca$1.crt" 2>/dev/null
}
make_serving() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=rotate-apiserver-$1" \
    -keyout "$work/pki/serving$1.key" -out "$work/pki/serving$1.csr" 2>/dev/null &&
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' >"$work/pki/ext$1" &&
    openssl x509 -req -in "$work/pki/serving$1.csr" -CA "$work/pki/ca$1.crt" -CAkey "$work/pki/ca$1.key" -set_serial "$((RANDOM + 1))" \
      -days 1 -sha256 -extfile "$work/pki/ext$1" -out "$work/pki/serving$1.crt" 2>/dev/null
}
for n in 1 2; do
  if ! make_ca "$n" || ! make_serving "$n"; then setup_fail "CA $n and its serving certificate" "openssl failed"; fi
done
cp "$work/pki/serving1.crt" "$work/pki/tls.crt" && cp "$work/pki/serving1.key" "$work/pki/tls.key"

# --- a second API server of cluster-a, on its etcd, serving pki/tls.* ---------------------------------
A2_PORT=$(e2e_free_port)
mapfile -t A2_CMD < <(SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" apiserver-cmd cluster-a)
[ "${#A2_CMD[@]}" -gt 10 ] || setup_fail "cluster-a's API server command" "hack/clusters.sh apiserver-cmd printed ${#A2_CMD[@]} words"
for i in "${!A2_CMD[@]}"; do
  case ${A2_CMD[$i]} in
    --secure-port) A2_CMD[i + 1]=$A2_PORT ;;
    --tls-cert-file) A2_CMD[i + 1]=$work/pki/tls.crt ;;
    --tls-private-key-file) A2_CMD[i + 1]=$work/pki/tls.key ;;
  esac
done
"${A2_CMD[@]}" >"$work/apiserver2.log" 2>&1 &
A2_PID=$!
A2=https://127.0.0.1:$A2_PORT
# serves_ca N: the second API server answers /readyz with a certificate caN verifies.
serves_ca() { curl -sf --noproxy '*' -m 3 --cacert "$work/pki/ca$1.crt" "$A2/readyz" >/dev/null; }
e2e_wait 120 serves_ca 1 || setup_fail "a second API server for cluster-a" "$(tail -n 3 "$work/apiserver2.log")"

# --- cluster-a: a selectorless Service with ten steady endpoints and one that keeps changing ----------
steady_addrs=()
for i in $(seq 1 "$STEADY"); do steady_addrs+=("10.77.0.$i"); done
{ ns_yaml "$NS"; svc_yaml "$NS" web; slice_yaml "$NS" web web-steady "${steady_addrs[@]}"; slice_yaml "$NS" web web-churn 10.78.0.0; } |
  ka apply -f - >/dev/null || setup_fail "cluster-a's Service" "kubectl apply failed"
{ ns_yaml "$NS"; svc_yaml "$NS" web; } | km apply -f - >/dev/null || setup_fail "main's Service" "kubectl apply failed"

# The link's identity in cluster-a: a ServiceAccount that may read what a link reads.
ka apply -f - >/dev/null <<YAML || setup_fail "cluster-a's reader" "kubectl apply failed"
apiVersion: v1
kind: ServiceAccount
metadata: {name: $SA, namespace: $NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: rot-reader-$sfx}
rules:
- {apiGroups: [""], resources: [services, namespaces], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: rot-reader-$sfx}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rot-reader-$sfx}
subjects: [{kind: ServiceAccount, name: $SA, namespace: $NS}]
YAML
# svclink's identity in main: cluster-admin, as the harness's own user is.
if ! km -n "$NS" create serviceaccount "$MAIN_SA" >/dev/null ||
  ! km create clusterrolebinding "rot-main-$sfx" --clusterrole cluster-admin --serviceaccount "$NS:$MAIN_SA" >/dev/null; then
  setup_fail "main's ServiceAccount" "kubectl failed"
fi

# token CLUSTER SA BINDING: a 10-minute token of NS/SA bound to the Secret BINDING in NS
# (created here); deleting BINDING revokes the token.
token() {
  local k=$1 sa=$2 bind=$3
  e2e_kubectl "$k" -n "$NS" create secret generic "$bind" >/dev/null 2>&1
  e2e_kubectl "$k" -n "$NS" create token "$sa" --duration 10m --bound-object-kind Secret --bound-object-name "$bind"
}
revoke() { e2e_kubectl "$1" -n "$NS" delete secret "$2" --wait=true >/dev/null; }
# deliver CA_N TOKEN: the Secret the link reads gets a kubeconfig for the second API server
# with that CA and token.
deliver() {
  (umask 077 && e2e_kubeconfig "$work/link.kubeconfig" "$A2" "certificate-authority-data: $(b64 "$work/pki/ca$1.crt")" -- "token: $2") &&
    km -n "$NS" create secret generic link-kubeconfig --from-file=kubeconfig="$work/link.kubeconfig" \
      --dry-run=client -o yaml | km apply -f - >/dev/null
}

e2e_crd_install || setup_fail "the ClusterLink CRD" "still terminating, or not Established within 60 s"
T1=$(token cluster-a "$SA" bind-1) || setup_fail "token 1" "$T1"
deliver 1 "$T1" || setup_fail "the link's Secret" "kubectl failed"
link_yaml "$LINK" "kubeconfigSecretRef: {namespace: $NS, name: link-kubeconfig, key: kubeconfig}" "includedNamespaces: [$NS]" \
  "staleEndpointTimeoutSeconds: 600" | km apply -f - >/dev/null || setup_fail "the ClusterLink" "kubectl apply failed"

# main through a token file, replaced the way the kubelet replaces a projected token.
MAIN_SERVER=$(sed -n 's/^ *server: *//p' "$E2E_STATE/main/kubeconfig" | head -n 1)
MAIN_CA=$(sed -n 's/^ *certificate-authority-data: *//p' "$E2E_STATE/main/kubeconfig" | head -n 1)
M1=$(token main "$MAIN_SA" main-bind-1) || setup_fail "main token 1" "$M1"
printf '%s\n' "$M1" >"$work/main-token"
e2e_kubeconfig "$work/main-kubeconfig" "$MAIN_SERVER" "certificate-authority-data: $MAIN_CA" -- "tokenFile: $work/main-token"

# --- churn and the sampler ------------------------------------------------------------------------
# churn_step I: web-churn's address becomes 10.78.<I/250>.<I%250>; the last I applied goes
# to churn.last (churn_start churn_step 0.5).
churn_addr() { echo "10.78.$(($1 / 250)).$(($1 % 250))"; }
churn_step() {
  ka -n "$NS" patch endpointslice web-churn --type json \
    -p "[{\"op\":\"replace\",\"path\":\"/endpoints/0/addresses/0\",\"value\":\"$(churn_addr "$1")\"}]" >/dev/null 2>&1 &&
    echo "$1" >"$work/churn.last"
}
# steady_now: how many of the steady addresses main's slices of the link hold now.
steady_now() { local_eps "$NS" web "$LINK" | grep -c '^10\.77\.0\.'; }
sampler_start() {
  (
    while [ -e "$work/churn.go" ]; do
      n=$(steady_now) && echo "$(date +%s) $n" >>"$work/samples"
      sleep 0.5
    done
  ) &
  SAMPLER_PID=$!
}
# follows NAME: a change made now reaches main (the churn's next address appears there).
follows() {
  local after want
  after=$(cat "$work/churn.last" 2>/dev/null || echo 0)
  e2e_wait 10 eval '[ "$(cat "$work/churn.last" 2>/dev/null || echo 0)" -gt "$after" ]'
  want=$(churn_addr "$(cat "$work/churn.last")")
  expect "$1" 60 'echo "want $want or later; $(cl_summary "$LINK") | $(local_eps "$NS" web "$LINK" | grep -v "^10\.77" | tr "\n" " ")"' \
    eval 'churn_at_least "$(cat "$work/churn.last")"'
}
# churn_at_least I: main holds the churn address of I or of a later change.
churn_at_least() {
  local addr i
  addr=$(local_eps "$NS" web "$LINK" | sed -n 's/^\(10\.78\.[0-9]*\.[0-9]*\)|.*/\1/p' | head -n 1)
  [ -n "$addr" ] || return 1
  i=$(awk -F. '{ print $3 * 250 + $4 }' <<<"$addr")
  [ "$i" -ge "$1" ]
}
# connects: how often the link has connected to the second API server so far.
connects() { grep -c "Connecting to $A2" "$SVC_LOG"; }
ready_again() {
  expect "$1" 90 'cl_summary "$LINK"' eval 'cl_is "$LINK" True Connected'
}

SVC_KUBECONFIG=$work/main-kubeconfig svc_start "$work/svclink.log" --leader-elect --leader-elect-namespace "$NS"
PID0=$SVC_PID
expect "rotate: the link through the second API server is Ready with all $((STEADY + 1)) endpoints" 90 \
  'echo "$(cl_summary "$LINK") | $(eps_diff cluster-a "$NS" web "$LINK")"' \
  eval 'cl_is "$LINK" True Connected && eps_match cluster-a "$NS" web "$LINK"'
churn_start churn_step 0.5
sampler_start
follows "rotate: changes flow before any rotation"
T_FIRST=$(date +%s)

# === 1. the Secret rotated to a new token, the old one revoked ===================================
T2=$(token cluster-a "$SA" bind-2) || fail "rotate: token 2" "$T2"
n=$(connects)
t0=$(now_ms)
deliver 1 "$T2"
expect "rotate: the rotated Secret is picked up without a restart (the link connects again)" 30 'svc_tail 3' \
  eval '[ "$(connects)" -gt "$n" ] && cl_is "$LINK" True Connected'
echo "# rotate: the new token's Secret written to the link Ready on it: $(ms_to_s $(($(now_ms) - t0))) s"
revoke cluster-a bind-1
ready_again "rotate: the old token revoked: the link stays Ready"
follows "rotate: after the token rotation, changes still reach main"

# === 2. the serving certificate replaced by one of a new CA, then the new CA delivered ==============
cp "$work/pki/serving2.key" "$work/pki/tls.key.new" && cp "$work/pki/serving2.crt" "$work/pki/tls.crt.new" &&
  mv -f "$work/pki/tls.key.new" "$work/pki/tls.key" && mv -f "$work/pki/tls.crt.new" "$work/pki/tls.crt"
if e2e_wait 90 serves_ca 2 && ! serves_ca 1; then
  e2e_pass "rotate: the second API server now serves a certificate of the new CA only"
else
  fail "rotate: the second API server now serves a certificate of the new CA only" "ca2: $(serves_ca 2 && echo ok || echo no), ca1: $(serves_ca 1 && echo ok || echo no)"
fi
t0=$(now_ms)
deliver 2 "$T2"
ready_again "rotate: the new CA delivered in the Secret: the link verifies the new certificate and is Ready"
echo "# rotate: the new CA's Secret written to the link Ready: $(ms_to_s $(($(now_ms) - t0))) s"
follows "rotate: after the CA rotation, changes still reach main"

# === 3. the token ends before its renewal arrives ====================================================
T3=$(token cluster-a "$SA" bind-3) || fail "rotate: token 3" "$T3"
t0=$(now_ms)
revoke cluster-a bind-2
# Open watches outlive their token; the next request (a watch renewed within about 72 s)
# is refused.
expect "rotate: token revoked before its renewal: the link says Unauthorized" 120 'cl_summary "$LINK"' \
  eval '[ "$(cl_reason "$LINK")" = Unauthorized ]'
check "rotate: while Unauthorized, main keeps the link's endpoints" 'local_eps "$NS" web "$LINK"' \
  eval '[ "$(steady_now)" -eq "$STEADY" ]'
echo "# rotate: token revoked to the link Unauthorized: $(ms_to_s $(($(now_ms) - t0))) s (its watches ran on until renewed)"
t0=$(now_ms)
deliver 2 "$T3"
ready_again "rotate: the renewed token in the Secret brings the link back"
echo "# rotate: the renewed token's Secret written to the link Ready: $(ms_to_s $(($(now_ms) - t0))) s"
follows "rotate: after the late renewal, changes reach main again"

# === 4. main's token file replaced, the old token revoked ==============================================
M2=$(token main "$MAIN_SA" main-bind-2) || fail "rotate: main token 2" "$M2"
printf '%s\n' "$M2" >"$work/main-token.new" && mv -f "$work/main-token.new" "$work/main-token"
revoke main main-bind-1
since=$(wc -l <"$SVC_LOG")
follows "rotate: main's token file replaced and the old token revoked: writes still succeed"
check "rotate: no request to main was refused after the token file changed" 'tail -n +"$since" "$SVC_LOG" | grep -m 3 " 401 "' \
  not eval 'tail -n +"$since" "$SVC_LOG" | grep -q " 401 "'
expect "rotate: svclink still holds the lease with the new token" 30 'km -n "$NS" get lease svclink -o yaml | tail -n 8' \
  eval '[ -n "$(km -n "$NS" get lease svclink -o jsonpath="{.spec.renewTime}")" ] && km -n "$NS" get lease svclink -o jsonpath="{.spec.renewTime}" >"$work/renew1" && sleep 4 && [ "$(km -n "$NS" get lease svclink -o jsonpath="{.spec.renewTime}")" != "$(cat "$work/renew1")" ]'

T_LAST=$(date +%s)
# The sampler's view must reach past the last rotation before it stops.
sampled_since() { awk -v t="$1" '$1 >= t { f = 1 } END { exit !f }' "$work/samples"; }
e2e_wait 15 sampled_since "$T_LAST"

# === the whole run ==============================================================================
churn_stop
kill "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=""
expect "rotate: in the end main's endpoints equal cluster-a's" 60 'eps_diff cluster-a "$NS" web "$LINK"' \
  eval 'eps_match cluster-a "$NS" web "$LINK"'
# The sampler ran from before the first rotation to after the last, and never saw one of
# the steady endpoints missing.
read -r samples lost first last < <(awk -v n="$STEADY" 'NR == 1 { f = $1 } { c++; if ($2 < n) l++; t = $1 } END { print c + 0, l + 0, f + 0, t + 0 }' "$work/samples" 2>/dev/null)
echo "rotate: $samples samples of main's slices from $first to $last, $lost with a steady endpoint missing"
if [ "${samples:-0}" -gt 0 ] && [ "$first" -le "$T_FIRST" ] && [ "$last" -ge "$T_LAST" ] && [ "$lost" -eq 0 ]; then
  e2e_pass "rotate: no steady endpoint was ever missing from main ($samples samples through every rotation)"
else
  fail "rotate: no steady endpoint was ever missing from main ($samples samples through every rotation)" \
    "rotations ran from $T_FIRST to $T_LAST; $(awk -v n="$STEADY" '$2 < n' "$work/samples" | head -n 5)"
fi
# One write per real change: the remote slice's generation counts its changes (1 is its
# creation); svclink wrote its slice once at the start and at most once per change since.
gen=$(ka -n "$NS" get endpointslice web-churn -o jsonpath='{.metadata.generation}')
writes=$(obj_writes "$SVC_LOG" | grep -c "kind=EndpointSlice")
echo "rotate: cluster-a's slice changed $((gen - 1)) times; svclink wrote $writes EndpointSlice requests"
check "rotate: no more than one write per change across the rotations" 'echo "generation $gen, writes $writes"' \
  eval '[ "$writes" -ge 1 ] && [ "$writes" -le "$gen" ]'
check "rotate: the same svclink process throughout (no restart)" 'echo "pid $PID0 -> $SVC_PID; $(svc_tail 3)"' \
  eval '[ "$SVC_PID" = "$PID0" ] && svc_alive'
e2e_finish
