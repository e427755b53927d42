# Kefu: `make run` installs what is missing, builds and serves; `make test` runs every test.
.SUFFIXES:
.DELETE_ON_ERROR:

CC ?= gcc
PKGS := libmicrohttpd jansson sqlite3 libsodium inih gmime-3.0
# outbound HTTP(S) for the notification webhook (later SMTP and IMAP too)
PKGS += libcurl
# knowledge-base articles: Markdown to HTML
PKGS += md4c-html
# the .xlsx workbook of the record export
PKGS += xlsxwriter
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wwrite-strings -fno-common
CPPFLAGS := -Isrc -Ibuild/gen -D_FILE_OFFSET_BITS=64
BASE_CFLAGS := -std=c17 $(WARN) -g -pthread -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

MODE ?= rel
ifeq ($(MODE),asan)
MODE_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
MODE_CFLAGS := -O2
endif
OUT := build/$(MODE)

SRC := $(wildcard src/lib/*.c src/store/*.c src/core/*.c src/http/*.c src/jobs/*.c \
                  src/channels/*.c)
OBJ := $(SRC:src/%.c=$(OUT)/%.o)
SQL := $(sort $(wildcard src/store/sql/*.sql))
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN := build/gen/sql_gen.h build/gen/migrations_gen.h
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/%)

.PHONY: all build deps web run test unit api e2e asan bench format check-format clean

all: build

build: $(OUT)/kefu
	@if [ "$(MODE)" = rel ]; then ln -sf build/rel/kefu kefu; fi

# the folders too: a file renamed or removed changes them, not the files left
build/gen/sql_gen.h: $(SQL) src/store/sql scripts/sqlgen.awk
	@mkdir -p $(@D)
	awk -f scripts/sqlgen.awk $(SQL) > $@

build/gen/migrations_gen.h: $(MIGRATIONS) src/store/migrations scripts/migrations.awk
	@mkdir -p $(@D)
	awk -f scripts/migrations.awk $(MIGRATIONS) > $@

$(OUT)/%.o: src/%.c $(GEN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(OUT)/main.o: src/main.c $(GEN)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(OUT)/libkefu.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^

$(OUT)/kefu: $(OUT)/main.o $(OUT)/libkefu.a
	$(CC) $(BASE_CFLAGS) $(MODE_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(OUT)/tests/%: tests/unit/%.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< \
	    $(OUT)/libkefu.a $(PKG_LIBS) -lcmocka -lm

-include $(OBJ:.o=.d) $(OUT)/main.d

# Installs the Debian and npm packages that are missing (root on Debian 12).
deps:
	@scripts/deps.sh

web/dist/index.html: $(shell find web/src web/index.html web/vite.config.js web/package.json -type f 2>/dev/null)
	cd web && npm run build --silent

web: web/dist/index.html

run: deps
	@$(MAKE) --no-print-directory build web
	./kefu serve

unit: $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

test: deps
	@scripts/test.sh

bench: deps
	@$(MAKE) --no-print-directory build $(OUT)/bench/clocks $(OUT)/bench/kb $(OUT)/bench/reports
	bench/run.sh

$(OUT)/bench/clocks: bench/clocks.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libkefu.a \
	    $(PKG_LIBS) -lm

$(OUT)/bench/kb: bench/kb.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libkefu.a \
	    $(PKG_LIBS) -lm

$(OUT)/bench/reports: bench/reports.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libkefu.a \
	    $(PKG_LIBS) -lm

FORMATTED = $(SRC) src/main.c $(wildcard src/*/*.h tests/unit/*.c tests/unit/*.h bench/*.c)

format:
	clang-format -i $(FORMATTED)

check-format:
	clang-format --dry-run --Werror $(FORMATTED)

clean:
	rm -rf build kefu

# Mail intake fuzzing: libFuzzer (clang) over mail_parse and the HTML sanitizer, in build/fuzz;
# `make fuzz FUZZ_SECONDS=N` (default 600) runs it over a corpus seeded from tests/fixtures/mail.
FUZZ_SECONDS ?= 600
FUZZ_OUT := build/fuzz
FUZZ_SRC := $(wildcard src/lib/*.c) src/channels/mail_parse.c src/channels/mail_text.c \
            src/channels/html_clean.c
FUZZ_OBJ := $(FUZZ_SRC:src/%.c=$(FUZZ_OUT)/%.o)
# (clang, unlike gcc, also flags the va_list formats of strbuf_vaddf)
FUZZ_CFLAGS := -std=c17 $(WARN) -Wno-format-nonliteral -g -O1 -pthread -MMD -MP \
               -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

$(FUZZ_OUT)/%.o: src/%.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/libmail.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_OUT)/mail_fuzz: fuzz/mail_fuzz.c $(FUZZ_OUT)/libmail.a
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# The inbound hook intake likewise (hook_parse over tests/fixtures/hooks): `make fuzz-hooks`.
HOOK_FUZZ_OBJ := $(patsubst src/%.c,$(FUZZ_OUT)/%.o,$(wildcard src/lib/*.c) src/http/hook_parse.c)

$(FUZZ_OUT)/hook_fuzz: fuzz/hook_fuzz.c $(HOOK_FUZZ_OBJ)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# The WeChat message XML (channels/wechat_xml.c), seeded from tests/fixtures/wechat.
$(FUZZ_OUT)/wechat_fuzz: fuzz/wechat_fuzz.c $(FUZZ_OUT)/channels/wechat_xml.o $(FUZZ_OUT)/libmail.a
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

.PHONY: fuzz fuzz-mail fuzz-hooks fuzz-wechat
fuzz: fuzz-mail fuzz-hooks fuzz-wechat
fuzz-mail: $(FUZZ_OUT)/mail_fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS) mail
fuzz-hooks: $(FUZZ_OUT)/hook_fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS) hook
fuzz-wechat: $(FUZZ_OUT)/wechat_fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS) wechat

-include $(FUZZ_OBJ:.o=.d) $(HOOK_FUZZ_OBJ:.o=.d) $(FUZZ_OUT)/channels/wechat_xml.d

FORMATTED += $(wildcard fuzz/*.c)

# Replies mailed per second to a local SMTP sink (bench/mail_out.mjs; numbers in bench/README.md).
BENCH_REPLIES ?= 2000
.PHONY: bench-mail-out
bench-mail-out: build
	node bench/mail_out.mjs $(BENCH_REPLIES)

# Inbound hook messages per second at concurrency 16 (bench/hooks.mjs; numbers in bench/README.md).
BENCH_HOOKS ?= 4000
.PHONY: bench-hooks
bench-hooks: build
	KEFU_HOOK_RATE_LIMIT=1000000 node bench/hooks.mjs $(BENCH_HOOKS) 16

# The mail intake's parse rate and memory (bench/mail_parse.c; numbers in bench/README.md).
.PHONY: bench-mail
bench-mail: $(OUT)/bench/mail_parse
	$(OUT)/bench/mail_parse $(BENCH_SECONDS)

$(OUT)/bench/mail_parse: bench/mail_parse.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libkefu.a \
	    $(PKG_LIBS) -lm

# Mail intake over IMAP from a real Dovecot (bench/imap.mjs; numbers in bench/README.md): the
# ingest rate of BENCH_MAILS mails (default 10000) and the memory while a 15 MB mail goes in.
BENCH_MAILS ?= 10000
.PHONY: bench-imap
bench-imap: build
	node bench/imap.mjs $(BENCH_MAILS)

# The volume forecast over a year of history (bench/forecast.c; numbers in bench/README.md).
.PHONY: bench-forecast
bench-forecast: $(OUT)/bench/forecast
	$(OUT)/bench/forecast $(BENCH_TICKETS)

$(OUT)/bench/forecast: bench/forecast.c $(OUT)/libkefu.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(MODE_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OUT)/libkefu.a \
	    $(PKG_LIBS) -lm
