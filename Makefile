# hvsim — non-recursive Makefile. Objects live under build/.
# `make demo` and `make check` bootstrap: they install missing packages (scripts/install-deps)
# and run ./configure when config.mk is missing.

.DEFAULT_GOAL := all
B := build

ifeq ($(filter-out clean distclean,$(MAKECMDGOALS)),)
ifneq ($(MAKECMDGOALS),)
NO_CONFIG := 1
endif
endif
ifndef NO_CONFIG
-include config.mk
config.mk: configure scripts/install-deps
	@if [ "$$(id -u)" = 0 ]; then sh scripts/install-deps; fi
	sh ./configure
endif

CC ?= cc
CROSS_CC ?= aarch64-linux-gnu-gcc
PYTHON ?= python3
HVSIM_FLAGS ?=

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
OPT ?= -O2
CFLAGS_COMMON := -std=gnu11 -g $(WARN) -I. -I$(B)/gen $(PKG_CFLAGS) -D_GNU_SOURCE -fno-strict-aliasing
CFLAGS_SIM := $(CFLAGS_COMMON) $(OPT) -foptimize-sibling-calls   # threaded dispatch relies on it (cpu/arm64/cpu.h)
CFLAGS_ASAN := $(CFLAGS_COMMON) -O1 -DA64_PORTABLE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS := $(PKG_LIBS) -lm

# ---- the simulator library -------------------------------------------------------------
SIM_DIRS := core cpu/arm64 cpu/x86_64 cpu/timing mmu devices boards hypervisor-model checkpoint debug ui
SIM_SRCS := $(sort $(foreach d,$(SIM_DIRS),$(wildcard $(d)/*.c)))
DECODE_TABLES := $(sort $(wildcard cpu/arm64/decode/*.decode))
GEN_H := $(B)/gen/a64_decode_gen.h
GEN_C := $(B)/gen/a64_decode_gen.c
X86_DECODE_TABLES := $(sort $(wildcard cpu/x86_64/decode/*.xdecode))
X86_GEN_H := $(B)/gen/x86_decode_gen.h
X86_GEN_C := $(B)/gen/x86_decode_gen.c

SIM_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(SIM_SRCS)) $(B)/obj/gen/a64_decode_gen.o \
	$(B)/obj/gen/x86_decode_gen.o
ASAN_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(SIM_SRCS)) $(B)/asan/gen/a64_decode_gen.o \
	$(B)/asan/gen/x86_decode_gen.o

$(GEN_H) $(GEN_C) &: scripts/decodegen.py $(DECODE_TABLES)
	@mkdir -p $(B)/gen
	$(PYTHON) scripts/decodegen.py --header $(GEN_H) --source $(GEN_C) $(DECODE_TABLES)
# the x86-64 decoder's forms (cpu/x86_64/decode/): order-only for the objects (their .d files
# name it where it is included, so a table edit rebuilds only those);
# `make x86-decode-report` lists the one-byte and 0F opcodes no form covers yet
$(X86_GEN_H) $(X86_GEN_C) &: scripts/x86decodegen.py $(X86_DECODE_TABLES)
	@mkdir -p $(B)/gen
	$(PYTHON) scripts/x86decodegen.py --header $(X86_GEN_H) --source $(X86_GEN_C) $(X86_DECODE_TABLES)
x86-decode-report:
	$(PYTHON) scripts/x86decodegen.py --report $(X86_DECODE_TABLES)

$(B)/obj/%.o: %.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SIM) -MMD -MP -c $< -o $@
$(B)/obj/gen/%.o: $(B)/gen/%.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SIM) -MMD -MP -c $< -o $@
$(B)/asan/%.o: %.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@
$(B)/asan/gen/%.o: $(B)/gen/%.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -MMD -MP -c $< -o $@

# Programs link the objects themselves, not an archive: the generated decoder holds weak
# fallbacks for prep functions, and an archive member is not pulled in to replace a weak one.
# the SDL window is the front end's alone: tests and fuzzers link no SDL
$(B)/obj/main/display_sdl.o: CFLAGS_SIM += $(SDL_CFLAGS)
$(B)/hvsim: $(B)/obj/main/hvsim.o $(B)/obj/main/display_sdl.o $(SIM_OBJS)
	$(CC) -o $@ $^ $(LDLIBS) $(SDL_LIBS)

# ---- unit tests (Criterion), plain and with ASan+UBSan ----------------------------------
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
$(B)/tests/unit: $(patsubst %.c,$(B)/obj/%.o,$(UNIT_SRCS)) $(SIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS) $(CRITERION_LIBS)
$(B)/tests/unit-asan: $(patsubst %.c,$(B)/asan/%.o,$(UNIT_SRCS)) $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(LDLIBS) $(CRITERION_LIBS)

# ---- differential tester against qemu-aarch64 ------------------------------------------
$(B)/tests/difftest: $(B)/obj/tests/difftest/difftest.o $(SIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS)

# ---- differential tester of the x86-64 integer instructions against qemu-x86_64 ------------
$(B)/tests/difftest-x86: $(B)/obj/tests/difftest-x86/difftest.o $(SIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS)
# the same on the ASan+UBSan objects (make difftest-x86-asan)
$(B)/tests/difftest-x86-asan: $(B)/asan/tests/difftest-x86/difftest.o $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(LDLIBS)

# ---- libFuzzer harnesses (tests/fuzz/; clang, ASan+UBSan) ------------------------------
# Every simulator object is built again with clang under build/fuzz/obj/ (coverage for the
# fuzzer, ASan and UBSan); each harness links them with its own file and fuzz_common.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_HARNESSES := snapshot inputlog rsp gdbstub console loader exec timing
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	$(FUZZ_SAN_EXTRA)
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) -I. -I$(B)/gen $(PKG_CFLAGS) -D_GNU_SOURCE \
	-fno-strict-aliasing $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_OBJS := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(SIM_SRCS)) $(B)/fuzz/obj/gen/a64_decode_gen.o \
	$(B)/fuzz/obj/gen/x86_decode_gen.o
FUZZ_COMMON := $(B)/fuzz/obj/tests/fuzz/fuzz_common.o
FUZZ_BINS := $(addprefix $(B)/fuzz/,$(FUZZ_HARNESSES))
.SECONDARY: $(patsubst %,$(B)/fuzz/obj/tests/fuzz/fuzz_%.o,$(FUZZ_HARNESSES)) $(FUZZ_OBJS)

$(B)/fuzz/obj/%.o: %.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_EXEMPT_$(subst /,_,$*)) -MMD -MP -c $< -o $@
# FUZZ_EXEMPT_<path with _ for />: sanitizer flags for one file while a finding in it is not
# fixed (listed in tests/fuzz/pending/README.md); none at the moment
$(B)/fuzz/obj/gen/%.o: $(B)/gen/%.c $(GEN_H) | $(X86_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
# the stub harness compiles debug/gdbstub.c into itself (to reach its packet handler)
$(B)/fuzz/gdbstub: $(B)/fuzz/obj/tests/fuzz/fuzz_gdbstub.o $(FUZZ_COMMON) \
		$(filter-out $(B)/fuzz/obj/debug/gdbstub.o,$(FUZZ_OBJS))
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
$(B)/fuzz/%: $(B)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_COMMON) $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# ---- guest workloads (cross compiled) ----------------------------------------------------
GUEST_CFLAGS := -O2 -g -ffreestanding -nostdlib -fno-builtin -mgeneral-regs-only \
	-fno-stack-protector -fno-pic -static -Wall -Wextra -Werror -Iworkloads/lib
GUEST_LDFLAGS := -nostdlib -static -Wl,--build-id=none -Wl,-T,workloads/lib/virt.ld
GUEST_LIB_SRCS := $(sort $(wildcard workloads/lib/*.c workloads/lib/*.S))
GUEST_LIB_OBJS := $(patsubst %,$(B)/guest/%.o,$(GUEST_LIB_SRCS))
GUEST_PROGS := $(sort $(wildcard workloads/tests/*.c workloads/bench/*.c workloads/demo/*.c))
GUEST_ELFS := $(patsubst workloads/%.c,$(B)/workloads/%.elf,$(GUEST_PROGS))

$(B)/guest/%.c.o: %.c $(wildcard workloads/lib/*.h)
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(GUEST_CFLAGS) -c $< -o $@
$(B)/guest/%.S.o: %.S workloads/lib/start.inc
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(GUEST_CFLAGS) -c $< -o $@
# The vector and FP workloads use SIMD&FP registers (arm_neon.h, FP arithmetic; they enable
# them themselves): no -mgeneral-regs-only for them, and no auto-vectorisation, so their
# vector code is the intrinsics they are written with (and the FP ones stay scalar);
# -fno-math-errno lets sqrt be FSQRT.
GUEST_FP_PROGS := workloads/bench/vecmove.c workloads/bench/vecbench.c \
	workloads/bench/fpbench.c workloads/tests/fparith.c
$(patsubst %,$(B)/guest/%.o,$(GUEST_FP_PROGS)): GUEST_CFLAGS := \
	$(filter-out -mgeneral-regs-only,$(GUEST_CFLAGS)) -fno-tree-vectorize -fno-math-errno
# the objects are intermediates of a pattern chain: kept, so one changed program rebuilds alone
.SECONDARY: $(patsubst workloads/%.c,$(B)/guest/workloads/%.c.o,$(GUEST_PROGS)) $(GUEST_LIB_OBJS)
$(B)/workloads/%.elf: $(B)/guest/workloads/%.c.o $(GUEST_LIB_OBJS) workloads/lib/virt.ld
	@mkdir -p $(dir $@)
	$(CROSS_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^) -lgcc

# ---- x86-64 bare-metal tests (workloads/tests-x86/; the host's gcc) -------------------
# Each program is linked as an ELF64 at 1 MiB with lib/start.S (Multiboot header, 32-bit
# entry that enters long mode), then converted to ELF32 (QEMU's Multiboot loader takes
# ELF32 only; hvsim takes either). Not part of `all`: an x86-64 host compiler is needed.
X86_CC ?= gcc
X86_OBJCOPY ?= objcopy
X86_CFLAGS := -m64 -O2 -g -ffreestanding -fno-pic -fno-pie -nostdlib -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -Wall -Wextra -Werror -static -no-pie
X86_LDFLAGS := -Wl,-T,workloads/tests-x86/lib/link.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments
X86_LIB := workloads/tests-x86/lib/start.S workloads/tests-x86/lib/lib.c workloads/tests-x86/lib/ap.c
X86_PROGS := $(sort $(wildcard workloads/tests-x86/*.c))
X86_ELFS := $(patsubst workloads/tests-x86/%.c,$(B)/workloads/tests-x86/%.elf,$(X86_PROGS))
$(B)/workloads/tests-x86/%.elf64: workloads/tests-x86/%.c $(X86_LIB) workloads/tests-x86/lib/x86.h \
		workloads/tests-x86/lib/link.ld
	@mkdir -p $(dir $@)
	$(X86_CC) $(X86_CFLAGS) $(X86_LDFLAGS) -o $@ $(X86_LIB) $<
$(B)/workloads/tests-x86/%.elf: $(B)/workloads/tests-x86/%.elf64
	$(X86_OBJCOPY) -O elf32-i386 $< $@
.SECONDARY: $(X86_ELFS:.elf=.elf64)
# plain ELF64 programs (no Multiboot header: entered in 64-bit mode; hvsim only)
X86_PLAIN := $(patsubst workloads/tests-x86/plain/%.c,$(B)/workloads/tests-x86/plain/%.elf,\
	$(sort $(wildcard workloads/tests-x86/plain/*.c)))
$(B)/workloads/tests-x86/plain/%.elf: workloads/tests-x86/plain/%.c \
		workloads/tests-x86/plain/start64.S workloads/tests-x86/lib/lib.c \
		workloads/tests-x86/lib/x86.h workloads/tests-x86/lib/link.ld
	@mkdir -p $(dir $@)
	$(X86_CC) $(X86_CFLAGS) $(X86_LDFLAGS) -o $@ workloads/tests-x86/plain/start64.S \
		workloads/tests-x86/lib/lib.c $<
# the shared benchmarks built for x86-64 (workloads/bench-x86/: the same source, make bench-x86)
X86_BENCH := $(patsubst workloads/bench-x86/%.c,$(B)/workloads/bench-x86/%.elf,\
	$(sort $(wildcard workloads/bench-x86/*.c)))
$(B)/workloads/bench-x86/%.elf64: workloads/bench-x86/%.c workloads/bench/%.c \
		workloads/bench-x86/lib.h $(X86_LIB) workloads/tests-x86/lib/x86.h
	@mkdir -p $(dir $@)
	$(X86_CC) $(X86_CFLAGS) -Iworkloads/bench-x86 $(X86_LDFLAGS) -o $@ $(X86_LIB) $<
# boot.c is x86-only (no workloads/bench/ source): the boot baseline Bochs's figure is net of
$(B)/workloads/bench-x86/boot.elf64: workloads/bench-x86/boot.c $(X86_LIB) \
		workloads/tests-x86/lib/x86.h workloads/tests-x86/lib/link.ld
	@mkdir -p $(dir $@)
	$(X86_CC) $(X86_CFLAGS) $(X86_LDFLAGS) -o $@ $(X86_LIB) $<
$(B)/workloads/bench-x86/%.elf: $(B)/workloads/bench-x86/%.elf64
	$(X86_OBJCOPY) -O elf32-i386 $< $@
.SECONDARY: $(X86_BENCH:.elf=.elf64)
.PHONY: workloads-x86 demo-x86 check-x86
workloads-x86: $(X86_ELFS) $(X86_PLAIN) $(X86_BENCH)
# the first program on -M pc; it exits through isa-debug-exit with 0, which is status 1
demo-x86: $(B)/hvsim $(B)/workloads/tests-x86/hello.elf
	@$(B)/hvsim -M pc -m 128M -smp 2 -kernel $(B)/workloads/tests-x86/hello.elf \
		-append "console=ttyS0 demo" -device isa-debug-exit,iobase=0xf4,iosize=4 \
		$(HVSIM_FLAGS); s=$$?; \
	[ $$s -eq 1 ] || { echo "demo-x86: hvsim exit $$s (the program's 0 is 1)" >&2; exit 1; }
check: check-x86
check-x86: $(B)/hvsim workloads-x86
	sh tests/system/x86.sh $(B)/hvsim
	sh tests/system/x86-debug.sh $(B)/hvsim
	sh tests/system/x86-bochs.sh $(B)/hvsim

include workloads/minihv/minihv.mk
include workloads/paper/paper.mk

# ---- glibc's AArch64 string routines (workloads/glibc/simd_string.c, make check-glibc) ----
# Their objects come from the cross C library's libc.a (libc6-dev-arm64-cross); every global
# symbol gets a glibc_ prefix, so they link beside workloads/lib's own memcpy, strchr, ...
CROSS_PREFIX := $(patsubst %gcc,%,$(CROSS_CC))
GLIBC_STRING_OBJS := memchr_generic strlen_asimd strchr strchrnul strrchr memrchr memcmp \
	strcpy stpcpy strnlen memset_generic memcpy_advsimd strcmp strncmp
GLIBC_DIR := $(B)/guest/glibc
$(GLIBC_DIR)/string.o:
	@mkdir -p $(GLIBC_DIR)
	@libc=$$($(CROSS_CC) -print-file-name=libc.a); [ -f "$$libc" ] || { echo \
		"check-glibc: no libc.a for $(CROSS_CC) (apt-get install libc6-dev-arm64-cross)" >&2; \
		exit 1; }; cd $(GLIBC_DIR) && $(CROSS_PREFIX)ar x "$$libc" $(addsuffix .o,$(GLIBC_STRING_OBJS))
	$(CROSS_PREFIX)ld -r -o $@.all $(addprefix $(GLIBC_DIR)/,$(addsuffix .o,$(GLIBC_STRING_OBJS)))
	$(CROSS_PREFIX)objcopy $$($(CROSS_PREFIX)nm -g --defined-only $@.all | \
		awk '{ print "--redefine-sym", $$3 "=glibc_" $$3 }') $@.all $@
$(B)/workloads/glibc/simd_string.elf: $(GLIBC_DIR)/string.o

# ---- top-level targets -------------------------------------------------------------------
.PHONY: all workloads plugins check-plugins check check-unit check-asan check-gen x86-decode-report check-system check-snapshot check-display \
	check-diff fuzz fuzz-build check-fuzz difftest-random difftest-long demo demo-hello bench bench-x86 bench-simd \
	bench-fp check-glibc clean distclean linux-image linux-demo check-linux
all: $(B)/hvsim workloads plugins

# ---- plugins: built against the public header alone (include/hvsim/plugin.h) ---------
PLUGIN_SRCS := $(sort $(wildcard plugins/*.c))
TEST_PLUGIN_SRCS := $(sort $(wildcard tests/plugins/*.c))
PLUGINS := $(patsubst plugins/%.c,$(B)/plugins/%.so,$(PLUGIN_SRCS))
TEST_PLUGINS := $(patsubst tests/plugins/%.c,$(B)/tests/plugins/%.so,$(TEST_PLUGIN_SRCS))
PLUGIN_CFLAGS := -std=gnu11 -O2 -g -fPIC -shared $(WARN) -Iinclude
GLIB_CFLAGS := $(shell pkg-config --cflags glib-2.0 2>/dev/null)   # hotpc's hash table
GLIB_LIBS := $(shell pkg-config --libs glib-2.0 2>/dev/null)
$(B)/plugins/%.so: plugins/%.c include/hvsim/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) $(GLIB_CFLAGS) -o $@ $< $(GLIB_LIBS)
$(B)/tests/plugins/%.so: tests/plugins/%.c include/hvsim/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -o $@ $<
plugins: $(PLUGINS) $(TEST_PLUGINS)
check-plugins: $(B)/hvsim workloads plugins
	sh tests/system/plugins.sh $(B)/hvsim
workloads: $(GUEST_ELFS)

check-gen:
	$(PYTHON) -m unittest discover -s tests/decodegen -q
check-unit: $(B)/tests/unit
	$(B)/tests/unit --jobs 2
check-asan: $(B)/tests/unit-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(B)/tests/unit-asan --jobs 2
check-system: $(B)/hvsim workloads
	sh tests/system/run.sh $(B)/hvsim
check-snapshot: $(B)/hvsim workloads
	sh tests/system/snapshot.sh $(B)/hvsim
check-display: $(B)/hvsim workloads
	sh tests/system/display.sh $(B)/hvsim
# The SIMD&FP groups the differential tester draws from: those of fp, simd_fp, simd_int,
# crypto and ldst_simd that have a table in cpu/arm64/decode/ (comma-separated). They run on
# -cpu max on both sides (FEAT_FP16 and friends, FPCR.FZ16), as QEMU's side always does.
comma := ,
empty :=
space := $(empty) $(empty)
DIFF_FP_GROUPS := $(subst $(space),$(comma),$(filter fp simd_fp simd_int crypto ldst_simd,\
	$(basename $(notdir $(DECODE_TABLES)))))
DIFF_ALL_GROUPS := dp_imm,dp_reg$(if $(DIFF_FP_GROUPS),$(comma)$(DIFF_FP_GROUPS))
DIFFTEST_SEED ?= $$(date +%s)
# Linux's ptrace breakpoints, single step and watchpoints (SKIP without the Debian kernel)
.PHONY: check-linux-debug
check-linux-debug: $(B)/hvsim
	sh tests/system/linux-debug.sh $(B)/hvsim
check-diff: $(B)/tests/difftest
	$(B)/tests/difftest --seed 1 --count 3000
	$(if $(DIFF_FP_GROUPS),$(B)/tests/difftest --seed 1 --count 3000 --cpu max --groups $(DIFF_FP_GROUPS))
difftest-random: $(B)/tests/difftest
	$(B)/tests/difftest --seed $$(date +%s) --count 200000
# every group, mixed in one sequence; DIFFTEST_SEED=N reruns a seed
# x86-64: a fixed seed in check (SKIP without qemu-x86_64), a long run with any seed; the x87
# and SSE are also compared with the host CPU itself (--qemu native) on an x86-64 host
.PHONY: check-diff-x86 difftest-x86-long difftest-x86-asan
check: check-diff-x86
check-diff-x86: $(B)/tests/difftest-x86
	$(B)/tests/difftest-x86 --seed 1 --count 3000
	$(B)/tests/difftest-x86 --seed 1 --count 2000 --mode 32
	$(B)/tests/difftest-x86 --seed 1 --bytes 5000
	@if [ "$$(uname -m)" = x86_64 ]; then \
		$(B)/tests/difftest-x86 --seed 1 --count 3000 --only X87 --qemu native && \
		$(B)/tests/difftest-x86 --seed 1 --count 2000 --only X87 --qemu native --mode 32 && \
		$(B)/tests/difftest-x86 --seed 1 --count 3000 --only SSE --qemu native && \
		$(B)/tests/difftest-x86 --seed 1 --count 1000 --only ADX --qemu native && \
		$(B)/tests/difftest-x86 --seed 1 --count 2000 --only VEX --qemu native; \
	else echo "SKIP difftest-x86 --qemu native: the host is not x86-64"; fi
difftest-x86-long: $(B)/tests/difftest-x86
	$(B)/tests/difftest-x86 --seed $(DIFFTEST_SEED) --count 200000 --max-report 20
	$(B)/tests/difftest-x86 --seed $(DIFFTEST_SEED) --count 100000 --max-report 20 --mode 32
	@if [ "$$(uname -m)" = x86_64 ]; then \
		$(B)/tests/difftest-x86 --seed $(DIFFTEST_SEED) --count 100000 --only X87 --qemu native && \
		$(B)/tests/difftest-x86 --seed $(DIFFTEST_SEED) --count 100000 --only SSE --qemu native; \
	else echo "SKIP difftest-x86 --qemu native: the host is not x86-64"; fi
difftest-x86-asan: $(B)/tests/difftest-x86-asan
	ASAN_OPTIONS=detect_leaks=0 $(B)/tests/difftest-x86-asan --seed 1 --count 20000
	ASAN_OPTIONS=detect_leaks=0 $(B)/tests/difftest-x86-asan --seed 1 --bytes 20000
	ASAN_OPTIONS=detect_leaks=0 $(B)/tests/difftest-x86-asan --seed 1 --bytes 20000 --mode 32
difftest-long: $(B)/tests/difftest
	$(B)/tests/difftest --seed $(DIFFTEST_SEED) --count 200000 --alloc 200000 --cpu max \
		--groups $(DIFF_ALL_GROUPS)

# libFuzzer: `make fuzz` runs every harness FUZZ_SECONDS (FUZZ_JOBS at a time) and fails on a
# finding (inputs under build/fuzz/crashes/); check-fuzz replays the seeds and regression
# inputs and runs a short fixed-seed burst of each (SKIP when clang/libFuzzer is missing).
fuzz-build: $(FUZZ_BINS)
fuzz:
	@sh tests/fuzz/run.sh probe "$(FUZZ_CC)"
	@$(MAKE) --no-print-directory fuzz-build
	sh tests/fuzz/run.sh fuzz $(B)/fuzz "$(FUZZ_SECONDS)" "$(FUZZ_JOBS)" $(FUZZ_HARNESSES)
check-fuzz:
	@if sh tests/fuzz/run.sh probe "$(FUZZ_CC)"; then \
		$(MAKE) --no-print-directory fuzz-build && \
		sh tests/fuzz/run.sh check $(B)/fuzz 0 "$(FUZZ_JOBS)" $(FUZZ_HARNESSES); \
	else echo "check-fuzz: SKIP"; fi

# Debian's arm64 Linux booted to busybox (SKIP, with the reason, when the packages can be
# neither fetched nor found in the cache under $(LINUX_DIR)).
check-linux: $(B)/hvsim
	sh tests/system/linux.sh $(B)/hvsim $(LINUX_DIR)
	sh tests/system/linux-gicv2.sh $(B)/hvsim $(LINUX_DIR)
	sh tests/system/linux-debug.sh $(B)/hvsim

check: check-gen check-unit check-asan check-system check-plugins check-snapshot check-diff check-fuzz \
	check-glibc check-linux check-display
	@echo "make check: all suites passed"

# the devices for Linux (issue 10): bare-metal drivers against QEMU, then Debian's kernel
.PHONY: check-devices check-linux-devices
check: check-devices check-linux-devices
check-devices: $(B)/hvsim workloads
	sh tests/system/devices.sh $(B)/hvsim
check-linux-devices: $(B)/hvsim
	sh tests/system/linux-devices.sh $(B)/hvsim

# The cycle model (issue 13, docs/timing.md): determinism, snapshots, sampling, plugin events
# and bad input (timing.sh); then its definition against the timing workloads
# (workloads/tests/t*.c) with small caches (timing-validate.sh).
.PHONY: check-timing
check: check-timing
check-timing: $(B)/hvsim workloads plugins
	sh tests/system/timing.sh $(B)/hvsim
	sh tests/system/timing-validate.sh $(B)/hvsim

# The default demo: minihv (workloads/minihv/) running two guests at EL1 under stage 2, with
# the VM-exit summary at the end (statistics in build/demo-stats.txt).
DEMO := $(B)/workloads/minihv/minihv.elf
demo: $(B)/hvsim workloads
	$(B)/hvsim -M virt,virtualization=on -cpu max -m 256M -kernel $(DEMO) \
		--stats-text $(B)/demo-stats.txt --force $(HVSIM_FLAGS)
demo-hello: $(B)/hvsim workloads
	$(B)/hvsim -M virt -m 256M -kernel $(B)/workloads/demo/hello.elf $(HVSIM_FLAGS)

# Debian's own arm64 kernel and busybox, fetched by name (scripts/fetch-debian.sh), booted to
# an interactive shell on the UART; `poweroff -f` ends hvsim with exit 0.
# LINUX_MACHINE / LINUX_CPU / LINUX_SMP / LINUX_APPEND choose the machine.
LINUX_DIR := $(B)/debian
LINUX_MACHINE := virt,gic-version=3
LINUX_CPU := cortex-a57
LINUX_SMP := 1
LINUX_APPEND := console=ttyAMA0 rdinit=/init
linux-image:
	sh scripts/linux-image.sh $(LINUX_DIR)
linux-demo: $(B)/hvsim linux-image
	$(B)/hvsim -M $(LINUX_MACHINE) -cpu $(LINUX_CPU) -smp $(LINUX_SMP) -m 1G \
		-kernel $(LINUX_DIR)/Image -initrd $(LINUX_DIR)/initrd.cpio.gz \
		-append "$(LINUX_APPEND)" $(HVSIM_FLAGS)

# Debian's amd64 Linux on -M pc (scripts/linux-image-x86.sh fetches the kernel and busybox by
# name into LINUX_X86_DIR, with the virtio and ext4 modules): linux-demo-x86 boots to a shell
# on the 16550 (4 cores; HVSIM_FLAGS='-drive file=D,format=raw,if=virtio' adds a disk), and
# check-linux-x86 (tests/system/linux-x86.sh; SKIP when nothing can be fetched) boots it.
LINUX_X86_DIR := $(B)/debian-amd64
LINUX_X86_SMP ?= 4
.PHONY: linux-image-x86 linux-demo-x86 check-linux-x86
linux-image-x86:
	sh scripts/linux-image-x86.sh $(LINUX_X86_DIR)
linux-demo-x86: $(B)/hvsim linux-image-x86
	$(B)/hvsim -M pc -cpu max -smp $(LINUX_X86_SMP) -m 1G -kernel $(LINUX_X86_DIR)/bzImage \
		-initrd $(LINUX_X86_DIR)/initrd.cpio.gz -append "console=ttyS0 rdinit=/init" $(HVSIM_FLAGS)
check: check-linux-x86
check-linux-x86: $(B)/hvsim
	sh tests/system/linux-x86.sh $(B)/hvsim $(LINUX_X86_DIR)
# check-linux-devices-x86 (tests/system/linux-devices-x86.sh): the same kernel with the
# virtio devices on -M pc (disk, entropy source, console), twice, and from a snapshot.
.PHONY: check-linux-devices-x86
check: check-linux-devices-x86
check-linux-devices-x86: $(B)/hvsim
	sh tests/system/linux-devices-x86.sh $(B)/hvsim $(LINUX_X86_DIR)

# KVM in Linux on hvsim (workloads/kvm-vmm/): Debian's kernel at EL2 runs the same kernel as
# a guest through the project's static VMM. kvm-image packs the host's initramfs under
# $(LINUX_DIR)/kvm/; kvm-demo boots it (KVM_CPU=max for a VHE host); check-kvm tests it.
KVM_VMM := $(B)/workloads/kvm-vmm/vmm
KVM_PTRACE := $(B)/workloads/linux/ptrace_debug
KVM_CPU := cortex-a57
$(KVM_VMM): workloads/kvm-vmm/vmm.c
	@mkdir -p $(dir $@)
	$(CROSS_CC) -O2 -static -Wall -Wextra -Werror -o $@ $<
# the nested guest's ptrace check (as tests/system/linux-debug.sh builds it: no libc)
$(KVM_PTRACE): workloads/linux/ptrace_debug.c
	@mkdir -p $(dir $@)
	$(CROSS_CC) -O2 -static -nostdlib -ffreestanding -fno-builtin -mgeneral-regs-only \
		-fno-stack-protector -fno-pic -no-pie -Wall -Wextra -Werror -o $@ $<
.PHONY: kvm-image kvm-demo check-kvm
kvm-image: $(KVM_VMM) $(KVM_PTRACE) $(B)/workloads/paper/kvm-bench.img
	sh scripts/kvm-image.sh $(LINUX_DIR) $(KVM_VMM) $(KVM_PTRACE) $(B)/workloads/paper/kvm-bench.img
kvm-demo: $(B)/hvsim kvm-image
	$(B)/hvsim -M virt,gic-version=3,virtualization=on -cpu $(KVM_CPU) -m 1G \
		-kernel $(LINUX_DIR)/Image -initrd $(LINUX_DIR)/kvm/initrd.cpio \
		-append "$(LINUX_APPEND)" --stats-text $(B)/kvm-stats.txt --force $(HVSIM_FLAGS)
check-kvm: $(B)/hvsim $(KVM_VMM) $(KVM_PTRACE)
	sh tests/system/kvm.sh $(B)/hvsim $(LINUX_DIR) $(KVM_VMM) $(KVM_PTRACE)
check: check-kvm

# Xen 4.17 (Debian's xen-hypervisor-4.17-arm64, fetched by name) at EL2 on two cores with
# dom0 (the kernel and initramfs above) handed over by -device guest-loader, to dom0's busybox
# shell; Xen's console passes the UART's input to dom0, `poweroff -f` in dom0 ends hvsim with
# exit 0, and the exit summary shows dom0's VM exits by reason. XEN_SMP / XEN_APPEND /
# XEN_DOM0_APPEND choose the machine.
XEN_SMP := 2
XEN_APPEND := dom0_mem=512M console=dtuart dtuart=/pl011@9000000
XEN_DOM0_APPEND := console=hvc0 rdinit=/init
.PHONY: xen-image xen-demo check-xen
xen-image:
	sh scripts/xen-image.sh $(LINUX_DIR)
xen-demo: $(B)/hvsim xen-image
	$(B)/hvsim -M virt,gic-version=3,virtualization=on -cpu cortex-a57 -m 2G -smp $(XEN_SMP) \
		-kernel $(LINUX_DIR)/xen -append "$(XEN_APPEND)" \
		-device guest-loader,addr=0x49000000,kernel=$(LINUX_DIR)/Image,bootargs="$(XEN_DOM0_APPEND)" \
		-device guest-loader,addr=0x50000000,initrd=$(LINUX_DIR)/initrd.cpio.gz \
		--stats-text $(B)/xen-stats.txt --force $(HVSIM_FLAGS)
# Dom0less: dom0 plus two domUs Xen starts from /chosen/domU1 and domU2, which a device tree
# overlay adds (scripts/xen-dom0less.sh), on four cores, each vCPU pinned to its own pCPU:
# dom0's two by Xen's dom0_vcpus_pin, the domUs' from dom0 by the project's xen-pin
# (workloads/xen-pin/; Debian's Xen has neither the null scheduler nor boot-time cpupools).
# xen-pin-image packs the initramfs dom0 and the domUs boot and writes the overlay; the domUs
# compute once a second, dom0's shell stays interactive (`poweroff -f` ends the run).
XEN_PIN := $(B)/workloads/xen-pin/xen-pin
XEN_PIN_DIR := $(LINUX_DIR)/xen-pin
$(XEN_PIN): workloads/xen-pin/xen-pin.c
	@mkdir -p $(dir $@)
	$(CROSS_CC) -O2 -static -Wall -Wextra -Werror -o $@ $<
.PHONY: xen-pin-image xen-dom0less-demo
xen-pin-image: $(XEN_PIN)
	sh scripts/xen-pin-image.sh $(LINUX_DIR) $(XEN_PIN)
xen-dom0less-demo: $(B)/hvsim xen-pin-image
	$(B)/hvsim -M virt,gic-version=3,virtualization=on -cpu cortex-a57 -m 2G -smp 4 \
		-kernel $(LINUX_DIR)/xen -append "$(XEN_APPEND) dom0_max_vcpus=2 dom0_vcpus_pin" \
		-device guest-loader,addr=0x49000000,kernel=$(LINUX_DIR)/Image,bootargs="$(XEN_DOM0_APPEND) hvsim.xenpin=d1v0=2 hvsim.xenpin=d2v0=3" \
		-device guest-loader,addr=0x50000000,initrd=$(XEN_PIN_DIR)/initrd.cpio.gz \
		-device loader,file=$(LINUX_DIR)/Image,addr=0x52000000 \
		-device loader,file=$(XEN_PIN_DIR)/initrd.cpio.gz,addr=0x54000000 \
		-device loader,file=$(LINUX_DIR)/Image,addr=0x56000000 \
		-device loader,file=$(XEN_PIN_DIR)/initrd.cpio.gz,addr=0x58000000 \
		--dtb-overlay $(LINUX_DIR)/dom0less.dtbo --stats-text $(B)/xen-stats.txt --force $(HVSIM_FLAGS)
# Xen + dom0: a typed command, power-off, determinism, snapshots inside Xen, pinned dom0less
# (SKIP, with the reason, when the packages can be neither fetched nor found in the cache)
check: check-xen
check-xen: $(B)/hvsim $(XEN_PIN)
	sh tests/system/xen.sh $(B)/hvsim $(LINUX_DIR) $(XEN_PIN)

# make bench: the Arm figures (scripts/bench.sh), then the x86 ones (bench-x86, below;
# BENCH_X86=0 skips them)
BENCH_X86 ?= 1
bench: $(B)/hvsim workloads $(X86_BENCH)
	sh scripts/bench.sh $(B)/hvsim "$(HVSIM_FLAGS)"
	if [ "$(BENCH_X86)" != 0 ]; then sh scripts/bench-x86.sh $(B)/hvsim "$(HVSIM_FLAGS)"; fi
# glibc's string routines on hvsim, every result checked in the guest and the output compared
# with QEMU's (qemu-system-aarch64).
GLIBC_ELF := $(B)/workloads/glibc/simd_string.elf
check-glibc: $(B)/hvsim $(GLIBC_ELF)
	qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 256M -nographic \
		-kernel $(GLIBC_ELF) </dev/null >$(B)/glibc-qemu.out
	$(B)/hvsim -M virt,gic-version=3 -cpu cortex-a57 -m 256M -kernel $(GLIBC_ELF) \
		</dev/null >$(B)/glibc-hvsim.out
	cmp $(B)/glibc-qemu.out $(B)/glibc-hvsim.out
	grep -q '^glibc string routines: ok' $(B)/glibc-hvsim.out
	@echo "check-glibc: passed (hvsim's output equals QEMU's)"
# the AdvSIMD integer loop of workloads/bench/simdbench.c, against QEMU
# The integer workload on the x86-64 core (-M pc) and, when installed, on qemu-system-x86_64
# (-M pc, TCG) and Bochs (from a GRUB ISO, net of the boot baseline boot.elf): MIPS and the
# ratios; then Debian's amd64 Linux to its selftest and to power-off on hvsim and QEMU when
# make linux-image-x86 has prepared it (scripts/bench-x86.sh).
bench-x86: $(B)/hvsim $(X86_BENCH)
	sh scripts/bench-x86.sh $(B)/hvsim "$(HVSIM_FLAGS)"
bench-simd: $(B)/hvsim workloads
	BENCH_ELF=$(B)/workloads/bench/simdbench.elf BENCH_SNAPSHOT=0 BENCH_REVERSE=0 \
		sh scripts/bench.sh $(B)/hvsim "$(HVSIM_FLAGS)"
# The floating-point workload (workloads/bench/fpbench.c) on hvsim and both QEMU modes.
bench-fp: $(B)/hvsim workloads
	BENCH_ELF=$(B)/workloads/bench/fpbench.elf BENCH_SNAPSHOT=0 BENCH_REVERSE=0 \
		sh scripts/bench.sh $(B)/hvsim "$(HVSIM_FLAGS)"

clean:
	rm -rf $(B)
distclean: clean
	rm -f config.mk

-include $(shell find $(B)/obj $(B)/asan $(B)/fuzz/obj -name '*.d' 2>/dev/null)

# Batch evaluation (issue 12): scripts/sweep on a tiny grid (resume after a kill, a failing
# run), scripts/table and scripts/plot; then the same sweep as a Slurm job array on a
# single-node Slurm started on localhost for the test (SKIP, with the reason, where Slurm
# cannot be installed or started).
.PHONY: check-sweep check-slurm
check: check-sweep check-slurm
check-sweep: $(B)/hvsim workloads
	$(PYTHON) -m unittest discover -s tests/sweep -q
	sh tests/system/sweep.sh $(B)/hvsim
check-slurm: $(B)/hvsim workloads
	sh tests/system/slurm.sh $(B)/hvsim

# The paper package (docs/paper.md): Table II of Dall et al. (ISCA 2016) reproduced on
# minihv with the guest's PMU and hvsim's VM-exit accounting, into $(B)/paper/ (CSV, tables,
# chart). PAPER_REPS runs (check-paper: 1).
# KVM's and Xen's columns need make kvm-image and make xen-image (Debian's packages, fetched
# by name); where one fails (no archive, nothing cached) its column says so and the rest is
# made all the same.
PAPER_REPS := 3
paper_hv = if $(MAKE) --no-print-directory $(1)-image >&2; then echo "--$(1) $(LINUX_DIR)"; \
	else echo "SKIP the $(1) column: make $(1)-image failed" >&2; \
	echo "--$(1)-why 'make $(1)-image failed (Debian archive unreachable, nothing cached)'"; fi
.PHONY: paper check-paper
paper: $(B)/hvsim paper-guests $(B)/workloads/tests/twalk.elf
	kvm=$$($(call paper_hv,kvm)) && xen=$$($(call paper_hv,xen)) && \
	eval scripts/paper --hvsim $(B)/hvsim --workloads $(B)/workloads \
		--reps $(PAPER_REPS) $$kvm $$xen -o $(B)/paper
check: check-paper
check-paper: $(B)/hvsim paper-guests $(B)/workloads/tests/twalk.elf
	kvm=$$($(call paper_hv,kvm)) && xen=$$($(call paper_hv,xen)) && \
	eval sh tests/system/paper.sh $(B)/hvsim $$kvm $$xen
