# A thin wrapper around meson: `make run` and `make test` set up everything.
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=

.PHONY: all deps test-deps build run test test-build bench soak clean

all: build

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	$(BUILD)/sitrep $(ARGS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug $(MESON_OPTS)

test-build: test-deps $(BUILD)/build.ninja $(ASAN_BUILD)/build.ninja
	@# a build configured by `make run` before cmocka was installed has no unit tests
	@# (meson makes tests/unit even without cmocka: look for the test targets)
	@grep -q "tests/unit/test-" $(BUILD)/build.ninja || meson setup --reconfigure $(BUILD)
	@grep -q "tests/unit/test-" $(ASAN_BUILD)/build.ninja || meson setup --reconfigure $(ASAN_BUILD)
	ninja -C $(BUILD)
	ninja -C $(ASAN_BUILD)

test: test-build
	@scripts/run-tests $(BUILD) $(ASAN_BUILD)

bench: test-deps build
	bench/run-all $(BUILD)

# 10 minutes under ASan with every pane live (SOAK_SECONDS to change it)
soak: test-build
	scripts/soak $(ASAN_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# the binary, themes, man page and bash/zsh/fish completions under meson's
# prefix (DESTDIR=... to stage them)
.PHONY: install
install: build
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

# the two outages sitrep exists for, replayed on real local servers (scripts/lab):
# sitrep opens on them; quitting it (or Ctrl-C) stops every server the lab started
.PHONY: demo
demo: test-deps build
	scripts/lab demo "$$(mktemp -d "$${TMPDIR:-/tmp}/sitrep-demo.XXXXXX")" $(BUILD)/sitrep
