# Thin wrapper over the CMake build. On a fresh Debian machine, as root,
# `make demo` and `make check` install what is missing first.
#
#   make                 build (into build/)
#   make check           the whole test suite through CTest
#   make check SANITIZE=1   the same, built with ASan + UBSan (build-sanitize/)
#   make demo            build and run the example study
#   make bench           the benchmarks under bench/
#   make install         PREFIX=/usr/local: binary, man page, library, headers

PREFIX ?= /usr/local
SANITIZE ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
BUILD ?= build-sanitize
CMAKE_FLAGS += -DBT_SANITIZE=ON
else
BUILD ?= build
endif

.PHONY: all build deps deps-check check demo bench install clean

all: build

deps:
	@sh scripts/install-deps.sh build

deps-bench:
	@sh scripts/install-deps.sh bench

deps-check:
	@sh scripts/install-deps.sh check

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

check: deps-check $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	sh examples/local/demo.sh $(BUILD)

bench: deps-bench $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	sh bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build build-sanitize demo
