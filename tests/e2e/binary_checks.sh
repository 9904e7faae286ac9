#!/usr/bin/env bash
# Checks the shipped artefact itself: bin/svclink is static, stripped, hardened and small,
# and its command line behaves as docs/cli.md says. Needs no cluster.
source "$E2E_ROOT/tests/e2e/lib.sh"
bin=$E2E_BIN

kind=$(file -b "$bin")
case "$kind" in
  *"static-pie linked"*|*"statically linked"*) e2e_pass binary-static ;;
  *) e2e_fail binary-static "file says: $kind" ;;
esac
case "$kind" in *stripped*) e2e_pass binary-stripped ;; *) e2e_fail binary-stripped "$kind" ;; esac

size=$(stat -c %s "$bin")
if [ "$size" -lt 1048576 ]; then e2e_pass "binary-under-1MiB ($size bytes)"; else e2e_fail binary-under-1MiB "$size bytes"; fi

headers=$(readelf -lW "$bin" 2>&1; readelf -dW "$bin" 2>&1)
if grep -q INTERP <<<"$headers"; then e2e_fail binary-no-interpreter "has a PT_INTERP: needs a dynamic loader"; else e2e_pass binary-no-interpreter; fi
if grep -q GNU_RELRO <<<"$headers" && grep -Eq 'BIND_NOW|FLAGS.*NOW' <<<"$headers"; then
  e2e_pass binary-full-relro
else
  e2e_fail binary-full-relro "GNU_RELRO or BIND_NOW missing"
fi
if grep -q 'NEEDED' <<<"$headers"; then e2e_fail binary-no-needed-libs "$(grep NEEDED <<<"$headers")"; else e2e_pass binary-no-needed-libs; fi
if readelf -hW "$bin" | grep -q 'DYN (Position-Independent Executable'; then e2e_pass binary-pie; else e2e_fail binary-pie "not PIE"; fi
if grep -q 'GNU_STACK.*RW ' <<<"$headers"; then e2e_pass binary-nx-stack; else e2e_fail binary-nx-stack "stack is executable"; fi

out=$("$bin" --version) && grep -Eq '^svclink [0-9]+\.[0-9]+\.[0-9]+' <<<"$out" && grep -q 'libyaml 0.2.5' <<<"$out" \
  && e2e_pass cli-version || e2e_fail cli-version "got: $out"

help=$("$bin" --help)
missing=""
for f in --sync-interval --kubeconfig --included-namespaces --sync-services-to-local-cluster --version --help; do
  grep -q -- "$f" <<<"$help" || missing+=" $f"
done
[ -z "$missing" ] && e2e_pass cli-help-lists-flags || e2e_fail cli-help-lists-flags "missing:$missing"

err=$("$bin" --included-namespaces=default,kube-system 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q 'kube-system' <<<"$err" && e2e_pass cli-refuses-kube-system || e2e_fail cli-refuses-kube-system "rc=$rc: $err"

err=$("$bin" --bogus 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--bogus' <<<"$err" && e2e_pass cli-unknown-flag || e2e_fail cli-unknown-flag "rc=$rc: $err"

e2e_finish
