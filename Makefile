# Thin wrapper over the CMake build. On a fresh Debian machine, as root,
# `make demo` and `make check` install what is missing first.
#
#   make                 build (into build/)
#   make demo            build and run the example study
#   make check           the whole test suite through CTest
#   make check SANITIZE=1   the same, built with ASan + UBSan (build-sanitize/)
#   make unit            only the unit tests (what a build machine needs: cmocka)
#   make fresh           the fresh-machine test (debootstrap, make demo inside)
#   make fuzz            a longer fuzzing campaign over every parser (FUZZ_SECONDS each, 600)
#   make bench           the benchmarks under bench/
#   make install         PREFIX=/usr/local: binary, man page, library, headers
#
# The tests are configured when their dependencies are installed; `make demo`
# does not need them, `make check` and `make unit` install them first. A
# configure that failed or was interrupted never leaves a build directory
# that breaks the next run: the build is marked configured only once CMake
# succeeded, and an unmarked one is configured again from a clean cache.

PREFIX ?= /usr/local
SANITIZE ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TESTS_REQUIRED ?= OFF
FUZZ_SECONDS ?= 600

ifeq ($(SANITIZE),1)
BUILD ?= build-sanitize
CMAKE_FLAGS += -DBT_SANITIZE=ON
else
BUILD ?= build
endif

.PHONY: all build configure deps deps-unit deps-check deps-bench check unit demo fresh fuzz bench install clean

all: build

deps:
	@sh scripts/install-deps.sh build

deps-unit:
	@sh scripts/install-deps.sh unit

deps-check:
	@sh scripts/install-deps.sh check

deps-bench:
	@sh scripts/install-deps.sh bench

configure:
	@if [ ! -f $(BUILD)/.bt-configured ]; then rm -rf $(BUILD)/CMakeCache.txt $(BUILD)/CMakeFiles; fi
	@rm -f $(BUILD)/.bt-configured
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DBT_TESTS_REQUIRED=$(TESTS_REQUIRED) $(CMAKE_FLAGS)
	@touch $(BUILD)/.bt-configured

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

check: TESTS_REQUIRED = ON
check: deps-check configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

unit: TESTS_REQUIRED = ON
unit: deps-unit configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

demo: build
	sh examples/local/demo.sh $(BUILD)

fresh:
	bash tests/fresh/fresh.sh

fuzz: TESTS_REQUIRED = ON
fuzz: deps-check configure
	cmake --build $(BUILD) -j $(JOBS)
	sh tests/fuzz/campaign.sh $(BUILD) $(FUZZ_SECONDS)

bench: deps-bench configure
	cmake --build $(BUILD) -j $(JOBS)
	sh bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-sanitize demo
