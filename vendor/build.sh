#!/usr/bin/env bash
# Compiles the unpacked vendor sources into static archives for one toolchain flavour:
# vendor/build/FLAVOUR/{lib,include}. Usage: build.sh FLAVOUR CC [CFLAGS...]
set -euo pipefail

vendor=$(cd "$(dirname "$0")" && pwd)
flavour=$1
# CC may carry options (the musl specs file), so it is split into words.
read -r -a cc <<< "$2"
shift 2
cflags=("$@")
out="$vendor/build/$flavour"
jobs=$(nproc 2>/dev/null || echo 2)

for d in bearssl libyaml jsmn; do
  [ -d "$vendor/src/$d" ] || { echo "vendor/src/$d is missing: run vendor/fetch.sh (make fetch)" >&2; exit 1; }
done
rm -rf "$out.tmp"
mkdir -p "$out.tmp/lib" "$out.tmp/include" "$out.tmp/obj/bearssl" "$out.tmp/obj/yaml"

# compile_all OBJDIR FLAGS... -- FILES...: one object per source, in parallel.
compile_all() {
  local objdir=$1; shift
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c \
    'f="$1"; shift; o="$0/$(echo "$f" | tr / _ | sed "s/\.c$/.o/")"; exec "$@" -c "$f" -o "$o"' \
    "$objdir" {} "${cc[@]}" "${flags[@]}"
}

# BearSSL: getentropy() because a scratch image may have no /dev/urandom.
echo "[vendor] building BearSSL ($flavour)" >&2
mapfile -t bsrc < <(cd "$vendor/src/bearssl" && find src -name '*.c' | sort)
(cd "$vendor/src/bearssl" && compile_all "$out.tmp/obj/bearssl" "${cflags[@]}" \
   -DBR_USE_GETENTROPY=1 -DBR_USE_URANDOM=0 -Iinc -Isrc -- "${bsrc[@]}")
ar rcs "$out.tmp/lib/libbearssl.a" "$out.tmp"/obj/bearssl/*.o
cp "$vendor"/src/bearssl/inc/*.h "$out.tmp/include/"

echo "[vendor] building libyaml ($flavour)" >&2
mapfile -t ysrc < <(cd "$vendor/src/libyaml" && ls src/*.c)
(cd "$vendor/src/libyaml" && compile_all "$out.tmp/obj/yaml" "${cflags[@]}" \
   -DYAML_DECLARE_STATIC -DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
   '-DYAML_VERSION_STRING="0.2.5"' -Iinclude -- "${ysrc[@]}")
ar rcs "$out.tmp/lib/libyaml.a" "$out.tmp"/obj/yaml/*.o
cp "$vendor/src/libyaml/include/yaml.h" "$out.tmp/include/"

# jsmn is header-only.
cp "$vendor/src/jsmn/jsmn.h" "$out.tmp/include/"

rm -rf "$out.tmp/obj" "$out"
mv "$out.tmp" "$out"
echo "[vendor] $flavour ready in vendor/build/$flavour" >&2
