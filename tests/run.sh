#!/usr/bin/env bash
# The project's test runner (`make test`): unit tests, the same under ASan+UBSan, then e2e
# scripts against real local control planes; ends with one line "N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
only=""
if [ "${1:-}" = "--only" ]; then only=${2:-}; fi

passed=0
failed=0
logdir="$root/build/test-logs"
mkdir -p "$logdir"

# run_suite NAME COMMAND...: streams the suite's output, counts its PASS/FAIL lines, and
# counts one failure more when it exits non-zero without having reported any failure.
run_suite() {
  local name=$1; shift
  local log="$logdir/$name.log" rc p f
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -c '^PASS ' "$log")
  f=$(grep -c '^FAIL ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: exited with status $rc without reporting a failure (log: $log)"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
}

if [ -z "$only" ] || [ "$only" = unit ]; then
  # The folders are the layers: no include may run from a lower layer up, nor round a cycle.
  run_suite layers hack/check-layers.sh
  # Every row of docs/sync-contract.md is named by a test, and no test names a row it lacks.
  run_suite contract hack/check-contract.sh
  run_suite unit-musl build/unit-musl
  # The same tests built for arm64, run by qemu's user-mode emulator.
  if [ -x build/unit-musl-arm64 ]; then
    if command -v qemu-aarch64-static >/dev/null; then
      run_suite unit-musl-arm64 qemu-aarch64-static build/unit-musl-arm64
    else
      echo "FAIL unit-musl-arm64: qemu-aarch64-static is missing (hack/install-deps.sh installs it)"
      failed=$((failed + 1))
    fi
  fi
  # halt_on_error keeps a sanitizer report from being mistaken for a pass.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite unit-asan build/unit-asan
  for replay in build/replay/*; do
    [ -x "$replay" ] || continue
    name=$(basename "$replay")
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_suite "fuzz-replay-$name" bash -c '
        set -e
        files=$(find "tests/fuzz/$1" -type f | sort)
        [ -n "$files" ] || { echo "FAIL fuzz-replay-$1: empty seed corpus"; exit 1; }
        echo "$files" | xargs -d "\n" "build/replay/$1"
        echo "PASS fuzz-replay-$1 ($(echo "$files" | wc -l) inputs)"' _ "$name"
  done
fi

clusters_up=0
stop_clusters() {
  if [ "$clusters_up" = 1 ]; then
    echo "== stopping test clusters"
    SVCLINK_STATE="$E2E_STATE_ROOT" hack/clusters.sh down >/dev/null 2>&1 || true
    clusters_up=0
  fi
}
trap stop_clusters EXIT

if [ -z "$only" ] || [ "$only" = e2e ]; then
  export E2E_ROOT="$root"
  export E2E_BIN="$root/bin/svclink"
  run_suite e2e-binary bash tests/e2e/binary_checks.sh

  # One set of control planes for the whole e2e suite; its own state dir, so a user's
  # clusters from `make demo` are never touched by the tests.
  export E2E_STATE_ROOT="$root/.state/test"
  # The first run on a machine builds the control-plane binaries (many minutes): show
  # their progress here rather than only in a log.
  echo "== control-plane binaries (built once, then cached)"
  # As root, kube-proxy and CoreDNS too (test_datapath builds its data plane with them)
  # and the kubelet (test_node runs the image on a real node).
  dp_flag=""
  [ "$(id -u)" -eq 0 ] && dp_flag="--dataplane --node"
  hack/k8s-bin.sh $dp_flag 2>&1 >/dev/null | grep --line-buffered -v '^go: downloading' || true
  echo "== starting test clusters (main, cluster-a, cluster-b)"
  start=$SECONDS
  if SVCLINK_STATE="$E2E_STATE_ROOT" hack/clusters.sh up main cluster-a cluster-b > "$logdir/clusters-up.log" 2>&1; then
    clusters_up=1
    echo "clusters up in $((SECONDS - start))s"
    bin_dir=$(hack/k8s-bin.sh 2>/dev/null | tail -n 1)
    export E2E_STATE="$E2E_STATE_ROOT/clusters"
    export E2E_KUBECTL="$bin_dir/kubectl"
    # E2E_SUITES (names such as "test_chaos", space-separated) runs only those, for
    # `make chaos`; by default every suite, then test_sync once more under ASan.
    for t in tests/e2e/test_*.sh; do
      case " ${E2E_SUITES:-$(basename "$t" .sh)} " in *" $(basename "$t" .sh) "*) ;; *) continue ;; esac
      run_suite "e2e-$(basename "$t" .sh)" bash "$t"
    done
    # The engine's scenarios once more with the whole program under ASan+UBSan: a memory
    # error or a leak makes svclink die or exit non-zero, which these checks notice.
    if [ -x build/svclink-asan ] && [ -z "${E2E_SUITES:-}" ]; then
      ASAN_OPTIONS=detect_leaks=1 E2E_BIN="$root/build/svclink-asan" run_suite e2e-test_sync-asan bash tests/e2e/test_sync.sh
    fi
    stop_clusters
    if [ -f tests/e2e/down_check.sh ]; then
      run_suite e2e-down-check bash tests/e2e/down_check.sh
    fi
  else
    tail -n 40 "$logdir/clusters-up.log"
    echo "FAIL e2e-clusters-up: hack/clusters.sh up failed (log: $logdir/clusters-up.log)"
    failed=$((failed + 1))
    clusters_up=1
    stop_clusters
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
