#!/usr/bin/env bash
# Integration tests of svclink's own API client (TLS, auth, LIST pagination, WATCH resume,
# 410 relist, writes) through `svclink api`, against the real harness clusters.
source "$E2E_ROOT/tests/e2e/lib.sh"
bin=$E2E_BIN
work=$(mktemp -d)
[ -n "${E2E_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
main=$E2E_STATE/main
# shellcheck disable=SC1091
api_url=$(. "$main/cluster.env" && echo "$API_URL")
api_port=${api_url##*:}
b64() { base64 -w0 <"$1"; }
# Namespaces of this run: unique, so a rerun never meets the previous one still terminating.
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
nl=apilist-$sfx nw=apiwatch-$sfx nr=apirestart-$sfx

# kubeconfig FILE SERVER CA_FILE AUTH...: AUTH is "cert CRT KEY" or "token TOKEN"; extra
# cluster fields may follow as "field: value" words in EXTRA.
kubeconfig() {
  local file=$1 server=$2 ca=$3 kind=$4 cluster=() user=()
  [ -n "$ca" ] && cluster+=("certificate-authority-data: $(b64 "$ca")")
  [ -n "${EXTRA:-}" ] && cluster+=("$EXTRA")
  if [ "$kind" = cert ]; then
    user=("client-certificate-data: $(b64 "$5")" "client-key-data: $(b64 "$6")")
  else
    user=("token: $5")
  fi
  e2e_kubeconfig "$file" "$server" "${cluster[@]}" -- "${user[@]}"
}

# client_cert NAME KEYFILE: a system:masters client certificate for KEYFILE, signed by main's CA.
client_cert() {
  openssl req -new -key "$2" -subj "/O=system:masters/CN=$1" -out "$work/$1.csr" 2>/dev/null &&
    openssl x509 -req -in "$work/$1.csr" -CA "$main/pki/ca.crt" -CAkey "$main/pki/ca.key" -CAcreateserial \
      -days 1 -out "$work/$1.crt" 2>/dev/null
}

# get_ok NAME KUBECONFIG: the client reads the default namespace with that kubeconfig.
get_ok() {
  local out
  if out=$("$bin" api --kubeconfig "$2" get /api/v1/namespaces/default 2>&1) && grep -q '"name":"default"' <<<"$out"; then
    e2e_pass "$1"
  else
    e2e_fail "$1" "$(tail -c 400 <<<"$out")"
  fi
}

# get_refused NAME KUBECONFIG PATTERN: the call fails and the error matches PATTERN.
get_refused() {
  local out
  if out=$("$bin" api --kubeconfig "$2" get /api/v1/namespaces/default 2>&1); then
    e2e_fail "$1" "succeeded but should have been refused"
  elif grep -Eq "$3" <<<"$out"; then
    e2e_pass "$1"
  else
    e2e_fail "$1" "wrong error: $(tail -c 400 <<<"$out")"
  fi
}

# --- TLS and authentication -------------------------------------------------------------
openssl genrsa -traditional -out "$work/rsa1.key" 2048 2>/dev/null
client_cert rsa1 "$work/rsa1.key"
kubeconfig "$work/rsa-pkcs1.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_ok tls-rsa-client-cert-pkcs1-by-ip "$work/rsa-pkcs1.yaml"

openssl pkcs8 -topk8 -nocrypt -in "$work/rsa1.key" -out "$work/rsa1.p8" 2>/dev/null
kubeconfig "$work/rsa-pkcs8.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.p8"
get_ok tls-rsa-client-cert-pkcs8 "$work/rsa-pkcs8.yaml"

openssl ecparam -name prime256v1 -genkey -out "$work/ec1.key" 2>/dev/null
client_cert ec1 "$work/ec1.key"
kubeconfig "$work/ec-sec1.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/ec1.crt" "$work/ec1.key"
get_ok tls-ec-client-cert-sec1 "$work/ec-sec1.yaml"

openssl pkcs8 -topk8 -nocrypt -in "$work/ec1.key" -out "$work/ec1.p8" 2>/dev/null
kubeconfig "$work/ec-pkcs8.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/ec1.crt" "$work/ec1.p8"
get_ok tls-ec-client-cert-pkcs8 "$work/ec-pkcs8.yaml"

kubeconfig "$work/dns.yaml" "https://localhost:$api_port" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_ok tls-dns-san-verified "$work/dns.yaml"

EXTRA="tls-server-name: main.svclink.test" kubeconfig "$work/sni.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_ok tls-server-name-used "$work/sni.yaml"

EXTRA="tls-server-name: absent.svclink.test" kubeconfig "$work/badname.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_refused tls-dns-name-not-in-cert-refused "$work/badname.yaml" 'does not name the host'

EXTRA="tls-server-name: 127.0.0.2" kubeconfig "$work/badip.yaml" "$api_url" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_refused tls-ip-not-in-cert-refused "$work/badip.yaml" 'does not name the host'

kubeconfig "$work/wrongca.yaml" "$api_url" "$E2E_STATE/cluster-a/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_refused tls-wrong-ca-refused "$work/wrongca.yaml" 'not signed by the configured certificate authority'

EXTRA="insecure-skip-tls-verify: true" kubeconfig "$work/insecure.yaml" "$api_url" "" cert "$work/rsa1.crt" "$work/rsa1.key"
out=$("$bin" api --kubeconfig "$work/insecure.yaml" get /version 2>&1)
if grep -q gitVersion <<<"$out" && grep -q 'warning: insecure-skip-tls-verify' <<<"$out"; then
  e2e_pass tls-insecure-skip-verify-warns
else
  e2e_fail tls-insecure-skip-verify-warns "$(tail -c 300 <<<"$out")"
fi

# A client certificate from another cluster's CA is rejected by the server.
kubeconfig "$work/foreign.yaml" "$api_url" "$main/pki/ca.crt" cert "$E2E_STATE/cluster-a/pki/admin.crt" "$E2E_STATE/cluster-a/pki/admin.key"
get_refused auth-foreign-client-cert-unauthorized "$work/foreign.yaml" '401'

e2e_kubectl main create serviceaccount api-reader -n default >/dev/null 2>&1
e2e_kubectl main create clusterrole api-reader --verb=get,list,watch --resource=namespaces,configmaps >/dev/null 2>&1
e2e_kubectl main create clusterrolebinding api-reader --clusterrole=api-reader --serviceaccount=default:api-reader >/dev/null 2>&1
token=$(SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" token main default/api-reader 2>/dev/null)
kubeconfig "$work/token.yaml" "$api_url" "$main/pki/ca.crt" token "$token"
get_ok auth-bearer-token "$work/token.yaml"
out=$("$bin" api --kubeconfig "$work/token.yaml" get /api/v1/namespaces/kube-system/secrets 2>&1)
if grep -q '403' <<<"$out" && grep -q 'forbidden' <<<"$out"; then e2e_pass auth-forbidden-names-status; else e2e_fail auth-forbidden-names-status "$out"; fi
if grep -q "$token" <<<"$out"; then e2e_fail l3-token-never-printed "the token appears in the output"; else e2e_pass l3-token-never-printed; fi

# A server that speaks only TLS 1.3: the error must say so.
port13=$(( (api_port + 997) % 20000 + 40000 ))
openssl s_server -accept "127.0.0.1:$port13" -tls1_3 -cert "$main/pki/apiserver.crt" -key "$main/pki/apiserver.key" \
  -quiet -naccept 2 </dev/null >"$work/s_server.log" 2>&1 &
spid=$!
e2e_wait 10 bash -c "echo > /dev/tcp/127.0.0.1/$port13"
kubeconfig "$work/tls13.yaml" "https://127.0.0.1:$port13" "$main/pki/ca.crt" cert "$work/rsa1.crt" "$work/rsa1.key"
get_refused tls13-only-server-explained "$work/tls13.yaml" 'TLS 1.3'
kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null

# --- LIST pagination ---------------------------------------------------------------------
admin="$main/kubeconfig"
e2e_kubectl main create namespace $nl >/dev/null
{
  echo '{"apiVersion":"v1","kind":"List","items":['
  for i in $(seq 1 1200); do
    [ "$i" -gt 1 ] && echo ','
    printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%04d","namespace":"%s"},"data":{"k":"v"}}' "$i" "$nl"
  done
  echo ']}'
} >"$work/cms.json"
e2e_kubectl main create -f "$work/cms.json" >/dev/null
expected=$(e2e_kubectl main get configmaps -n $nl -o name | wc -l)
out=$("$bin" api --kubeconfig "$admin" --limit 100 list /api/v1/namespaces/$nl/configmaps 2>"$work/list.err")
got=$(grep '^UPSERT ' <<<"$out" | awk '{print $2}' | sort -u | wc -l)
lines=$(grep -c '^UPSERT ' <<<"$out")
pages=$(sed -n 's/^LIST-END .*pages=\([0-9]*\).*/\1/p' <<<"$out")
if [ "$expected" -ge 1200 ] && [ "$got" = "$expected" ] && [ "$lines" = "$expected" ] && [ "$pages" = $(((expected + 99) / 100)) ]; then
  e2e_pass "list-1200-paginated ($got objects in $pages pages)"
else
  e2e_fail list-1200-paginated "expected $expected objects, got $got unique in $lines lines over $pages pages"
fi
if grep -q 'connections' "$work/list.err" && [ "$(sed -n 's/.* \([0-9]*\) connections.*/\1/p' "$work/list.err")" = 1 ]; then
  e2e_pass list-pages-reuse-one-connection
else
  e2e_fail list-pages-reuse-one-connection "$(cat "$work/list.err")"
fi

# --- WATCH --------------------------------------------------------------------------------
# replay FILE: the set of objects a consumer of the watch output holds at its end, applying
# LIST-BEGIN/UPSERT/DELETE/LIST-END exactly as the reflector's contract says.
replay() {
  awk '/^LIST-BEGIN/ { gen++ }
       /^UPSERT / { live[$2] = 1; seen[$2] = gen }
       /^DELETE / { delete live[$2]; delete seen[$2] }
       /^LIST-END/ { for (k in live) if (seen[k] != gen) delete live[k] }
       END { for (k in live) print k }' "$1" | sort
}
server_set() { e2e_kubectl main get configmaps -n "$1" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' | sort; }
stat_of() { sed -n "s/^STATS.* $2=\([0-9]*\).*/\1/p" "$1"; }

e2e_kubectl main create namespace $nw >/dev/null
"$bin" api --kubeconfig "$admin" --watch-timeout 2 watch /api/v1/namespaces/$nw/configmaps >"$work/watch.out" 2>"$work/watch.err" &
wpid=$!
if e2e_wait 30 grep -q '^LIST-END' "$work/watch.out"; then
  start=$SECONDS
  # About eight seconds of changes, so that several 2-second watch streams end and resume.
  for i in $(seq 1 24); do
    e2e_kubectl main create configmap "w$i" -n $nw --from-literal=k=v1 >/dev/null
    if [ $((i % 3)) = 0 ]; then e2e_kubectl main patch configmap "w$i" -n $nw -p '{"data":{"k":"v2"}}' >/dev/null; fi
    if [ $((i % 4)) = 0 ]; then e2e_kubectl main delete configmap "w$((i - 1))" -n $nw >/dev/null; fi
    while [ $((SECONDS - start)) -lt $((i / 3)) ]; do sleep 0.1; done
  done
  e2e_kubectl main create configmap marker -n $nw >/dev/null
  e2e_wait 20 grep -q "^UPSERT $nw/marker" "$work/watch.out"
fi
kill -TERM "$wpid" 2>/dev/null
wait "$wpid"
if [ "$(replay "$work/watch.out")" = "$(server_set $nw)" ]; then
  e2e_pass "watch-state-matches-server ($(server_set $nw | wc -l) objects)"
else
  e2e_fail watch-state-matches-server "$(diff <(replay "$work/watch.out") <(server_set $nw) | head -5)"
fi
if grep -q "^DELETE $nw/w3 " "$work/watch.out" && [ "$(grep -c "^UPSERT $nw/w6 " "$work/watch.out")" -ge 2 ]; then
  e2e_pass watch-sees-create-update-delete
else
  e2e_fail watch-sees-create-update-delete "$(grep -E "$nw/w(3|6) " "$work/watch.out" | head)"
fi
watches=$(stat_of "$work/watch.out" watches)
if [ "${watches:-0}" -ge 3 ] && [ "$(stat_of "$work/watch.out" relists)" = 0 ] && [ "$(stat_of "$work/watch.out" lists)" = 1 ]; then
  e2e_pass "watch-resumes-after-server-ends-stream ($watches streams, no relist)"
else
  e2e_fail watch-resumes-after-server-ends-stream "$(grep STATS "$work/watch.out")"
fi

# An expired resourceVersion answers 410 Gone: the reflector lists again, and what its
# consumer holds afterwards is exactly the server's set.
"$bin" api --kubeconfig "$admin" --resource-version 1 watch /api/v1/namespaces/$nw/configmaps >"$work/w410.out" 2>"$work/w410.err" &
wpid=$!
e2e_wait 30 grep -q '^LIST-END' "$work/w410.out"
e2e_kubectl main delete configmap w1 -n $nw >/dev/null
e2e_kubectl main create configmap after-410 -n $nw >/dev/null
e2e_wait 20 grep -q "^UPSERT $nw/after-410" "$work/w410.out"
kill -TERM "$wpid" 2>/dev/null
wait "$wpid"
if [ "$(stat_of "$work/w410.out" gone)" -ge 1 ] && [ "$(stat_of "$work/w410.out" relists)" -ge 1 ] &&
  [ "$(replay "$work/w410.out")" = "$(server_set $nw)" ]; then
  e2e_pass watch-410-relists-without-loss-or-duplicates
else
  e2e_fail watch-410-relists-without-loss-or-duplicates "$(grep -E 'STATS|STATE' "$work/w410.out" | head -3)"
fi
dups=$(awk '/^LIST-BEGIN/ { inlist = 1; next } /^LIST-END/ { inlist = 0 }
            inlist && /^UPSERT / { if (++c[$2] > 1) d++ } END { print d + 0 }' "$work/w410.out")
[ "$dups" = 0 ] && e2e_pass list-delivers-each-object-once || e2e_fail list-delivers-each-object-once "$dups duplicates"

# --- a rotated token file is picked up -----------------------------------------------------
printf '%s\n' "$token" >"$work/token.file"
{
  echo "apiVersion: v1"
  echo "kind: Config"
  echo "current-context: t"
  echo "contexts: [{name: t, context: {cluster: c, user: u}}]"
  echo "clusters: [{name: c, cluster: {server: '$api_url', certificate-authority-data: $(b64 "$main/pki/ca.crt")}}]"
  echo "users: [{name: u, user: {tokenFile: '$work/token.file'}}]"
} >"$work/tokenfile.yaml"
"$bin" api --kubeconfig "$work/tokenfile.yaml" --watch-timeout 1 watch /api/v1/namespaces/default/configmaps \
  >"$work/rotate.out" 2>"$work/rotate.err" &
wpid=$!
e2e_wait 30 grep -q '^LIST-END' "$work/rotate.out"
echo "not-a-valid-token" >"$work/token.file"
e2e_wait 30 grep -q '^STATE failing status=401' "$work/rotate.out"
SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" token main default/api-reader 2>/dev/null >"$work/token.file"
# Recovered when the last STATE line (after the 401 one) says synced again.
last_state_synced() { [ "$(grep '^STATE' "$work/rotate.out" | tail -n 1 | cut -d' ' -f2)" = synced ]; }
e2e_wait 60 last_state_synced
kill -TERM "$wpid" 2>/dev/null
wait "$wpid"
if grep -q '^STATE failing status=401' "$work/rotate.out" && [ "$(grep '^STATE' "$work/rotate.out" | tail -n 1 | cut -d' ' -f2)" = synced ]; then
  e2e_pass token-file-reread-when-rotated
else
  e2e_fail token-file-reread-when-rotated "$(grep '^STATE' "$work/rotate.out" | tail -3)"
fi

# --- memory: what one idle TLS watch costs ---------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
"$bin" api --kubeconfig "$admin" watch /api/v1/namespaces/default/configmaps >"$work/one.out" 2>/dev/null &
p1=$!
"$bin" api --kubeconfig "$admin" --parallel 51 watch /api/v1/namespaces/default/configmaps >"$work/many.out" 2>/dev/null &
p51=$!
e2e_wait 30 grep -q '^LIST-END' "$work/one.out"
e2e_wait 60 grep -q '^PARALLEL synced=50' "$work/many.out"
sleep 1 # let the last handshakes' transient buffers go
r1=$(rss_kib "$p1") r51=$(rss_kib "$p51")
kill -TERM "$p1" "$p51" 2>/dev/null
wait "$p1" "$p51"
per=$(( (r51 - r1) / 50 ))
echo "memory: one watch process ${r1} KiB, 51 watches ${r51} KiB: ${per} KiB per idle TLS watch"
if [ "$per" -gt 0 ] && [ "$per" -le 48 ]; then e2e_pass "idle-watch-memory (${per} KiB each)"; else e2e_fail idle-watch-memory "${per} KiB per watch"; fi

# --- writes -------------------------------------------------------------------------------
cmpath=/api/v1/namespaces/default/configmaps
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"apiwrite","namespace":"default"},"data":{"a":"1"}}' >"$work/cm.json"
if "$bin" api --kubeconfig "$admin" create "$cmpath" --body "$work/cm.json" 2>/dev/null | grep -q '"name":"apiwrite"'; then
  e2e_pass write-create
else
  e2e_fail write-create "POST failed"
fi
out=$("$bin" api --kubeconfig "$admin" create "$cmpath" --body "$work/cm.json" 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q '409 Conflict: configmaps "apiwrite" already exists' <<<"$out" && e2e_pass write-create-conflict-409 ||
  e2e_fail write-create-conflict-409 "rc=$rc $out"
old=$("$bin" api --kubeconfig "$admin" get "$cmpath/apiwrite" 2>/dev/null)
printf '{"data":{"a":"2"}}' >"$work/patch.json"
"$bin" api --kubeconfig "$admin" patch "$cmpath/apiwrite" --body "$work/patch.json" >/dev/null 2>&1
[ "$(e2e_kubectl main get configmap apiwrite -o jsonpath='{.data.a}')" = 2 ] && e2e_pass write-merge-patch || e2e_fail write-merge-patch "data.a is not 2"
# Replacing with the resourceVersion read before the patch must be refused as a conflict.
printf '%s' "$old" | sed 's/"a":"1"/"a":"3"/' >"$work/stale.json"
out=$("$bin" api --kubeconfig "$admin" replace "$cmpath/apiwrite" --body "$work/stale.json" 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q '409 Conflict' <<<"$out" && [ "$(e2e_kubectl main get configmap apiwrite -o jsonpath='{.data.a}')" = 2 ] &&
  e2e_pass write-update-stale-resourceversion-409 || e2e_fail write-update-stale-resourceversion-409 "rc=$rc $out"
"$bin" api --kubeconfig "$admin" get "$cmpath/apiwrite" 2>/dev/null | sed 's/"a":"2"/"a":"4"/' >"$work/fresh.json"
"$bin" api --kubeconfig "$admin" replace "$cmpath/apiwrite" --body "$work/fresh.json" >/dev/null 2>&1 &&
  [ "$(e2e_kubectl main get configmap apiwrite -o jsonpath='{.data.a}')" = 4 ] && e2e_pass write-update-current-resourceversion ||
  e2e_fail write-update-current-resourceversion "PUT with the current resourceVersion failed"
"$bin" api --kubeconfig "$admin" delete "$cmpath/apiwrite" >/dev/null 2>&1
out=$("$bin" api --kubeconfig "$admin" get "$cmpath/apiwrite" 2>&1); rc=$?
[ "$rc" = 1 ] && grep -q '404 Not Found' <<<"$out" && e2e_pass write-delete || e2e_fail write-delete "rc=$rc $out"

# --- an API server restart -------------------------------------------------------------------
bkc=$E2E_STATE/cluster-b/kubeconfig
harness() { SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" "$@"; }
e2e_kubectl cluster-b create namespace $nr >/dev/null
"$bin" api --kubeconfig "$bkc" watch /api/v1/namespaces/$nr/configmaps >"$work/restart.out" 2>"$work/restart.err" &
wpid=$!
e2e_wait 30 grep -q '^LIST-END' "$work/restart.out"
e2e_kubectl cluster-b create configmap before -n $nr >/dev/null
e2e_wait 10 grep -q "^UPSERT $nr/before" "$work/restart.out"
harness apiserver cluster-b stop >/dev/null 2>&1
if e2e_wait 60 grep -q '^STATE failing' "$work/restart.out"; then e2e_pass watch-reports-apiserver-outage; else e2e_fail watch-reports-apiserver-outage "no failing state"; fi
harness apiserver cluster-b start >/dev/null 2>&1
e2e_kubectl cluster-b create configmap after -n $nr >/dev/null
e2e_kubectl cluster-b delete configmap before -n $nr >/dev/null
e2e_wait 60 grep -q "^UPSERT $nr/after" "$work/restart.out"
e2e_wait 10 bash -c "[ \"\$(awk '/^STATE/ { s = \$2 } END { print s }' '$work/restart.out')\" = synced ]"
kill -TERM "$wpid" 2>/dev/null
wait "$wpid"
if [ "$(replay "$work/restart.out")" = "$(e2e_kubectl cluster-b get configmaps -n $nr -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' | sort)" ] &&
  [ "$(awk '/^STATE/ { s = $2 } END { print s }' "$work/restart.out")" = synced ]; then
  e2e_pass watch-survives-apiserver-restart
else
  e2e_fail watch-survives-apiserver-restart "$(grep -E '^(STATE|STATS)' "$work/restart.out" | tail -3)"
fi
e2e_kubectl cluster-b delete namespace $nr --wait=false >/dev/null 2>&1

e2e_kubectl main delete namespace $nl $nw --wait=false >/dev/null 2>&1
e2e_kubectl main delete clusterrolebinding,clusterrole api-reader >/dev/null 2>&1
e2e_kubectl main delete serviceaccount api-reader -n default >/dev/null 2>&1
e2e_finish
