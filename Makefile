# childlink - build, test, benchmark, demo.  See README.md.
#
#   make          build libchildlink.a and the childlink CLI into $(BUILD)/
#   make check    all tests (unit, command, fuzz smoke); ends "N passed, N failed"
#   make demo     the whole pipeline on a synthetic population
#   make bench    throughput and peak-memory benchmarks
#   make check SANITIZE=1   the same tests under ASan+UBSan (into build-asan/)
#
# Missing Debian -dev packages are installed by tools/ensure-deps.sh when run
# as root; otherwise it prints the exact apt-get line.

CC ?= cc
ifeq ($(SANITIZE),1)
BUILD ?= build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT ?= -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT ?= -O2
endif

PKGS := sqlite3 libutf8proc jansson libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
             $(SAN_FLAGS) -fvisibility=hidden -Iinclude -Isrc $(PKG_CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(sort $(wildcard src/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))

SCHEMA_JSON := $(sort $(wildcard schemas/*.json))
GEN_SCHEMAS := $(BUILD)/gen/builtin_schemas.c
LIB_OBJ = $(LIB_SRC:src/%.c=$(BUILD)/obj/src/%.o) $(BUILD)/obj/gen/builtin_schemas.o
CLI_OBJ := $(CLI_SRC:cli/%.c=$(BUILD)/obj/cli/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
DEPS_STAMP := $(BUILD)/.deps-ok
CHECK_DEPS_STAMP := $(BUILD)/.check-deps-ok

.PHONY: all check demo bench clean deps unit fuzz
all: $(BUILD)/childlink

$(DEPS_STAMP):
	@sh tools/ensure-deps.sh build
	@mkdir -p $(BUILD) && touch $@

$(CHECK_DEPS_STAMP): | $(DEPS_STAMP)
	@sh tools/ensure-deps.sh check
	@mkdir -p $(BUILD) && touch $@

deps: $(CHECK_DEPS_STAMP)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(GEN_SCHEMAS): $(SCHEMA_JSON) tools/embed-schemas.sh
	@mkdir -p $(dir $@)
	sh tools/embed-schemas.sh $(SCHEMA_JSON) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/builtin_schemas.o: $(GEN_SCHEMAS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/libchildlink.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/childlink: $(CLI_OBJ) $(BUILD)/libchildlink.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libchildlink.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libchildlink.a | $(CHECK_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -o $@ $< $(BUILD)/libchildlink.a $(LIBS) $(CMOCKA_LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libchildlink.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libchildlink.a $(LIBS)

# libFuzzer targets are built with clang from the library sources directly,
# since they need the fuzzer instrumentation throughout.
$(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRC) $(GEN_SCHEMAS) | $(CHECK_DEPS_STAMP)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Iinclude -Isrc \
	  $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(GEN_SCHEMAS) $(LIBS)

unit: $(TEST_BIN)
fuzz: $(FUZZ_BIN)

# Fuzz targets already run under ASan+UBSan, so the sanitizer tier skips them.
FUZZ_SECONDS ?= 10
ifeq ($(SANITIZE),1)
CHECK_FUZZ :=
else
CHECK_FUZZ := $(FUZZ_BIN)
endif
check: $(BUILD)/childlink $(TEST_BIN) $(CHECK_FUZZ)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) RUN_FUZZ=$(if $(CHECK_FUZZ),1,0) sh tests/run-all.sh $(BUILD)

bench: $(BUILD)/childlink $(BENCH_BIN)
	@sh bench/run-all.sh $(BUILD)

demo: $(BUILD)/childlink
	@sh tools/demo.sh $(BUILD)

clean:
	rm -rf build build-asan demo-out

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)
