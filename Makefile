# svclink: one static musl executable. `make` builds bin/svclink, `make test` runs every
# suite (unit, unit under ASan+UBSan, e2e against real local control planes).

VERSION_BASE := 0.1.0
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
GIT_DIRTY := $(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo .dirty)
SVCLINK_VERSION := $(VERSION_BASE)$(if $(GIT_REV),+g$(GIT_REV)$(GIT_DIRTY))
# Image archives carry the commit's time, so two builds of one commit are byte-identical.
SOURCE_DATE_EPOCH ?= $(or $(shell git log -1 --format=%ct 2>/dev/null),0)
# ARCH=arm64 makes the default goal and image-tar the arm64 ones (cross-built; amd64 host).
ARCH ?= amd64
# Go (the test control planes, helm) is usually unpacked in /usr/local/go, off PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := $(PATH):/usr/local/go/bin
endif
BEARSSL_VERSION := 0.6
JSMN_VERSION := 1.1.0

# Debian's musl-gcc specs know no -static-pie; ours add rcrt1.o and drop the interpreter.
# V=1 shows full compiler command lines.
Q := $(if $(V),,@)
MUSL_CC ?= gcc -specs $(CURDIR)/hack/musl-static-pie.specs
HOST_CC ?= gcc
# arm64: Debian's cross gcc with musl-dev:arm64, through the same specs made for aarch64.
ARM64_SPECS := build/gen/musl-static-pie-aarch64.specs
MUSL_CC_ARM64 ?= aarch64-linux-gnu-gcc -specs $(CURDIR)/$(ARM64_SPECS)
CLANG ?= clang-14

# Our code: strict warnings, C11, hardening. Fortify is left out on musl (no __*_chk).
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
HARDEN := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
CFLAGS_COMMON := -std=c11 -D_DEFAULT_SOURCE $(WARN) $(HARDEN) -Iinclude -Ibuild/gen -MMD -MP
VENDOR_CFLAGS := -O2 -fPIE -fstack-protector-strong -ffunction-sections -fdata-sections -w

MUSL_CFLAGS := $(CFLAGS_COMMON) -Os -ffunction-sections -fdata-sections -Ivendor/build/musl/include
# arm64 has no -fcf-protection (x86 CET); branch protection (PAC/BTI) is its counterpart.
MUSL_CFLAGS_ARM64 := $(filter-out -fcf-protection,$(CFLAGS_COMMON)) -mbranch-protection=standard \
  -Os -ffunction-sections -fdata-sections -Ivendor/build/musl-arm64/include
MUSL_LDFLAGS := -static-pie -Wl,-z,relro,-z,now -Wl,--gc-sections -Wl,-z,noexecstack -s
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS := $(CFLAGS_COMMON) -O1 -g $(ASAN_FLAGS) -Ivendor/build/host/include

SRC := $(wildcard src/*/*.c)
LIB_SRC := $(filter-out src/cmd/main.c,$(SRC))
UNIT_SRC := $(wildcard tests/unit/*.c)
# Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; tests/fuzz/NAME/ is its corpus.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

MUSL_OBJ := $(patsubst %.c,build/musl/%.o,$(SRC))
ARM64_OBJ := $(patsubst %.c,build/musl-arm64/%.o,$(SRC))
UNIT_ARM64_OBJ := $(patsubst %.c,build/musl-arm64/%.o,$(LIB_SRC) $(UNIT_SRC))
UNIT_MUSL_OBJ := $(patsubst %.c,build/musl/%.o,$(LIB_SRC) $(UNIT_SRC))
UNIT_ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(LIB_SRC) $(UNIT_SRC))
LIB_ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(LIB_SRC))
LIB_CLANG_OBJ := $(patsubst %.c,build/clang/%.o,$(LIB_SRC))
REPLAY_BINS := $(patsubst %,build/replay/%,$(FUZZ_NAMES))
FUZZ_BINS := $(patsubst %,build/fuzz/%,$(FUZZ_NAMES))
CLANG_CFLAGS := $(filter-out -fstack-clash-protection -fcf-protection,$(CFLAGS_COMMON)) -O1 -g \
  -fsanitize=fuzzer-no-link,address,undefined -Ivendor/build/host/include

VENDOR_MUSL := vendor/build/musl/.stamp
VENDOR_HOST := vendor/build/host/.stamp
VENDOR_ARM64 := vendor/build/musl-arm64/.stamp
VENDOR_CC_musl = $(MUSL_CC)
VENDOR_CC_host = $(HOST_CC)
VENDOR_CC_musl-arm64 = $(MUSL_CC_ARM64)
VENDOR_LIBS = -L$(dir $<)lib -lbearssl -lyaml

.PHONY: all deps fetch test test-suites unit e2e fuzz fuzz-build demo chaos clean distclean check-static \
  cleanup-endpointslices cleanup-endpointslices-dry arm64 image image-tar dist bench soak
all: $(if $(filter arm64,$(ARCH)),bin/svclink-arm64,bin/svclink)
arm64: bin/svclink-arm64

fetch:
	vendor/fetch.sh

deps: $(VENDOR_MUSL) $(VENDOR_HOST)

# Fetching is the only step that needs the network; once vendor/dl holds the pinned
# files, this and everything after it work offline.
vendor/src/.pins: vendor/fetch.sh vendor/SHA256SUMS
	vendor/fetch.sh
	touch $@

vendor/build/%/.stamp: vendor/src/.pins vendor/build.sh
	vendor/build.sh $* "$(VENDOR_CC_$*)" $(VENDOR_CFLAGS)
	touch $@
$(VENDOR_ARM64): $(ARM64_SPECS)

$(ARM64_SPECS): hack/musl-static-pie.specs
	@mkdir -p $(@D)
	sed 's/x86_64/aarch64/g' $< > $@

# Rewritten only when the text changes, so an unchanged tree rebuilds nothing.
build/gen/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define SVCLINK_VERSION "%s"\n#define SVCLINK_BEARSSL_VERSION "%s"\n#define SVCLINK_JSMN_VERSION "%s"\n' \
	  '$(SVCLINK_VERSION)' '$(BEARSSL_VERSION)' '$(JSMN_VERSION)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
FORCE:

build/musl/%.o: %.c $(VENDOR_MUSL) | build/gen/version.h
	@mkdir -p $(@D)
	@echo "CC(musl) $<"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

build/musl-arm64/%.o: %.c $(VENDOR_ARM64) | build/gen/version.h
	@mkdir -p $(@D)
	@echo "CC(musl-arm64) $<"
	$(Q)$(MUSL_CC_ARM64) $(MUSL_CFLAGS_ARM64) -c $< -o $@

build/asan/%.o: %.c $(VENDOR_HOST) | build/gen/version.h
	@mkdir -p $(@D)
	@echo "CC(asan) $<"
	$(Q)$(HOST_CC) $(ASAN_CFLAGS) -c $< -o $@

build/clang/%.o: %.c $(VENDOR_HOST) | build/gen/version.h
	@mkdir -p $(@D)
	@echo "CC(clang) $<"
	$(Q)$(CLANG) $(CLANG_CFLAGS) -c $< -o $@

bin/svclink: $(VENDOR_MUSL) $(MUSL_OBJ)
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(MUSL_OBJ) $(VENDOR_LIBS)

bin/svclink-arm64: $(VENDOR_ARM64) $(ARM64_OBJ)
	@mkdir -p $(@D)
	$(MUSL_CC_ARM64) $(MUSL_LDFLAGS) -o $@ $(ARM64_OBJ) -Lvendor/build/musl-arm64/lib -lbearssl -lyaml

# The whole program under ASan+UBSan (glibc), for hunting memory errors in e2e runs.
build/svclink-asan: $(VENDOR_HOST) $(LIB_ASAN_OBJ) build/asan/src/cmd/main.o
	@echo "LD(asan) $@"
	$(Q)$(HOST_CC) $(ASAN_FLAGS) -pie -o $@ $(LIB_ASAN_OBJ) build/asan/src/cmd/main.o $(VENDOR_LIBS)

build/unit-musl: $(VENDOR_MUSL) $(UNIT_MUSL_OBJ)
	$(MUSL_CC) -static-pie -o $@ $(UNIT_MUSL_OBJ) $(VENDOR_LIBS)

# The unit tests built for arm64; tests/run.sh runs them under qemu-user.
build/unit-musl-arm64: $(VENDOR_ARM64) $(UNIT_ARM64_OBJ)
	$(MUSL_CC_ARM64) -static-pie -o $@ $(UNIT_ARM64_OBJ) -Lvendor/build/musl-arm64/lib -lbearssl -lyaml

build/unit-asan: $(VENDOR_HOST) $(UNIT_ASAN_OBJ)
	$(HOST_CC) $(ASAN_FLAGS) -pie -o $@ $(UNIT_ASAN_OBJ) $(VENDOR_LIBS)

# The pod stand-in of the local data plane (hack/dataplane.sh): libc only, static.
build/tools/podhttp: tests/tools/podhttp.c
	@mkdir -p $(@D)
	$(MUSL_CC) -std=c11 $(WARN) $(HARDEN) -Os $(MUSL_LDFLAGS) -o $@ $<

# The sandbox ("pause") process of hack/node.sh's real node, and its image archive, packed
# like the svclink image; containerd's sandbox_image in hack/node.sh names the same tag.
build/tools/pause: tests/tools/pause.c
	@mkdir -p $(@D)
	$(MUSL_CC) -std=c11 $(WARN) $(HARDEN) -Os $(MUSL_LDFLAGS) -o $@ $<

build/tools/pause.tar: build/tools/pause hack/image-tar.py
	python3 hack/image-tar.py --binary $< --arch amd64 --tag localhost/svclink-pause:1 --version 1 \
	  --epoch 0 --file pause --user 65535:65535 --out $@

# Seed-corpus replayers: the fuzz entry points under gcc's ASan+UBSan, run by make test.
build/replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB_ASAN_OBJ) $(VENDOR_HOST)
	@mkdir -p $(@D)
	@echo "LD(asan) $@"
	$(Q)$(HOST_CC) $(ASAN_CFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB_ASAN_OBJ) -Lvendor/build/host/lib -lbearssl -lyaml

# Coverage-guided fuzzers (libFuzzer, clang); `make fuzz FUZZ_SECONDS=N` runs each in turn.
build/fuzz/%: tests/fuzz/fuzz_%.c $(LIB_CLANG_OBJ) $(VENDOR_HOST)
	@mkdir -p $(@D)
	@echo "LD(clang) $@"
	$(Q)$(CLANG) $(CLANG_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_CLANG_OBJ) -Lvendor/build/host/lib -lbearssl -lyaml

# The misbehaving stand-in API server of tests/e2e/test_hostile.sh (glibc, host BearSSL).
build/hostile-apiserver: tests/tools/hostile_apiserver.c $(VENDOR_HOST)
	@mkdir -p $(@D)
	@echo "CC(host) $@"
	$(Q)$(HOST_CC) -std=c11 -O2 $(WARN) -Ivendor/build/host/include -o $@ $< -Lvendor/build/host/lib -lbearssl

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p fuzz-out/$$n; \
	  echo "== fuzzing $$n for $(FUZZ_SECONDS)s (new inputs in fuzz-out/$$n)"; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz-out/$$n tests/fuzz/$$n || exit 1; \
	done

unit: build/unit-musl build/unit-asan
	tests/run.sh --only unit

e2e: bin/svclink build/tools/podhttp build/hostile-apiserver build/tools/pause.tar $(IMAGE_TAR_amd64)
	tests/run.sh --only e2e

# `make test` and `make demo` work as the first command on a fresh clone: the project's
# install script adds what is missing (as root; otherwise it prints what to run), then the
# pinned sources are fetched and built.
test:
	@hack/install-deps.sh
	@$(MAKE) --no-print-directory test-suites

test-suites: bin/svclink bin/svclink-arm64 build/unit-musl build/unit-musl-arm64 build/unit-asan \
  build/svclink-asan build/tools/podhttp build/hostile-apiserver build/tools/pause.tar \
  $(IMAGE_TAR_amd64) $(REPLAY_BINS)
	tests/run.sh

# The chaos suite at length, not in CI: CHAOS_ROUNDS rounds of 5 restarts (20: 100 restarts,
# about 20 minutes), plus the writes-per-change burst; prints the figures at the end.
CHAOS_ROUNDS ?= 20
CHAOS_WRITES_TEST ?= 1
chaos: bin/svclink build/svclink-asan
	CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_WRITES_TEST=$(CHAOS_WRITES_TEST) E2E_SUITES=test_chaos tests/run.sh --only e2e

# Three local clusters, two ClusterLinks, svclink, and a remote scale-up followed locally.
demo:
	@hack/install-deps.sh --demo
	hack/demo.sh

# The shipped image from Dockerfile.scratch, built by podman as `docker build` would
# (the build stage's debian:bookworm is bootstrapped locally by hack/image-base.sh).
image:
	hack/image-build.sh $(VERSION_BASE) $(SVCLINK_VERSION)

# The same image written directly from the static binary as a reproducible archive that
# docker load, podman load, ctr import and kind load image-archive all read, named
# localhost/svclink:VERSION as the manifests say (docs/operations.md#the-image-name).
IMAGE_TAR_amd64 := build/svclink-$(VERSION_BASE)-amd64.tar
IMAGE_TAR_arm64 := build/svclink-$(VERSION_BASE)-arm64.tar
image-tar: $(IMAGE_TAR_$(ARCH))

build/svclink-$(VERSION_BASE)-%.tar: hack/image-tar.py FORCE
	@$(MAKE) --no-print-directory $(if $(filter arm64,$*),bin/svclink-arm64,bin/svclink)
	python3 hack/image-tar.py --binary $(if $(filter arm64,$*),bin/svclink-arm64,bin/svclink) \
	  --arch $* --tag localhost/svclink:$(VERSION_BASE) --version $(SVCLINK_VERSION) \
	  --epoch $(SOURCE_DATE_EPOCH) --out $@

# The air-gapped bundle: dist/svclink-VERSION/ (binaries, image archives, manifests, chart,
# scripts, SHA256SUMS, SPDX SBOM).
dist: bin/svclink bin/svclink-arm64 $(IMAGE_TAR_amd64) $(IMAGE_TAR_arm64)
	hack/dist.sh $(VERSION_BASE) $(SVCLINK_VERSION)

# A benchmark on the local clusters (not a test); BENCH_ARGS="--links 10" etc.
bench: bin/svclink
	hack/bench.sh $(BENCH_ARGS)

# A soak on the local clusters (not in CI): SOAK_SECONDS (default 3600) of churn, API server
# restarts and watch expiries; fails when memory or descriptors grow or writes differ from changes.
soak: bin/svclink
	hack/soak.sh

# Delete the EndpointSlices svclink wrote, in every namespace (asks first; ARGS=--yes to
# skip, ARGS="--context CTX" to pick a context). kubectl honours the KUBECONFIG environment variable.
cleanup-endpointslices:
	hack/cleanup-endpointslices.sh -A $(ARGS)

# The same, listing only.
cleanup-endpointslices-dry:
	hack/cleanup-endpointslices.sh -A --dry-run $(ARGS)

check-static: bin/svclink
	@file bin/svclink | grep -Eq 'statically linked|static-pie linked' || { file bin/svclink; echo "bin/svclink is not static"; exit 1; }

clean:
	rm -rf build bin

distclean: clean
	rm -rf vendor/build vendor/src vendor/dl vendor/.apt dist

-include $(shell find build/musl build/musl-arm64 build/asan build/clang -name '*.d' 2>/dev/null)
