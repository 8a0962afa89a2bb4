# SPDX-License-Identifier: Apache-2.0
#
# The two quick-start commands (see README.md):
#   make demo   - install what is missing, build, compile and run the bundled
#                 example model, quantized
#   make check  - install what is missing, build, run every test suite
#
# Both work on a fresh Debian 12 machine with apt access.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

LLVM_BIN := /usr/lib/llvm-22/bin
CCACHE := $(shell command -v ccache 2>/dev/null)

.PHONY: all deps configure build check demo bench docs format format-check clean

all: build

deps:
	@utils/install-deps.sh

$(BUILD_DIR)/build.ninja:
	@$(MAKE) --no-print-directory deps
	cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_C_COMPILER=$(LLVM_BIN)/clang \
	  -DCMAKE_CXX_COMPILER=$(LLVM_BIN)/clang++ \
	  -DLLVM_USE_LINKER=lld \
	  $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) \
	  $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

check: build format-check
	@utils/fetch-models.sh
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: build
	@utils/demo.sh $(BUILD_DIR)

# CPU benchmarks against oneDNN and onnxruntime (docs/benchmarks.md);
# BENCH_ARGS e.g. "--quick" or "--suite gemm --threads 1".
bench:
	@utils/install-deps.sh bench
	@$(MAKE) --no-print-directory configure
	cmake $(BUILD_DIR) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)
	@utils/fetch-models.sh
	/usr/bin/python3 bench/run_bench.py --bin $(BUILD_DIR)/bin $(BENCH_ARGS)

# Regenerates docs/passes.md and docs/dialect.md from the TableGen sources
# (the ctest docs-up-to-date fails while they differ from them).
docs:
	@utils/gen-docs.py

format:
	@git ls-files '*.c' '*.cpp' '*.h' | xargs $(LLVM_BIN)/clang-format -i

# Fails if any tracked C/C++ source is not clang-formatted.
format-check:
	@utils/check-format.sh

clean:
	rm -rf $(BUILD_DIR)

# Robustness (docs/robustness.md):
#   make fuzz            builds the libFuzzer targets in FUZZ_BUILD_DIR
#                        (default build-fuzz) and runs each for FUZZ_SECONDS
#                        (default 600); `make check` fuzzes 60 s per target
#   make check-sanitize  every test suite on an ASan+UBSan build in
#                        SANITIZE_BUILD_DIR (default build-asan)
FUZZ_SECONDS ?= 600
FUZZ_BUILD_DIR ?= build-fuzz
SANITIZE_BUILD_DIR ?= build-asan

.PHONY: fuzz check-sanitize

fuzz: deps
	@$(MAKE) --no-print-directory configure BUILD_DIR=$(FUZZ_BUILD_DIR) \
	  CMAKE_FLAGS="$(CMAKE_FLAGS) -DQC_ENABLE_FUZZERS=ON"
	cmake -S . -B $(FUZZ_BUILD_DIR) -DQC_ENABLE_FUZZERS=ON >/dev/null
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target qc-compile qc-fuzzers
	@utils/fetch-models.sh
	cd $(FUZZ_BUILD_DIR) && QC_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest -L fuzz \
	  --timeout $$(( $(FUZZ_SECONDS) + 600 )) --output-on-failure -j $(JOBS)

check-sanitize: deps
	@utils/check-sanitize.sh $(SANITIZE_BUILD_DIR)

# Low-bit evidence on the 4-layer byte-level LM (docs/accuracy.md): trains
# models/small_lm into .cache/models/small_lm (not committed; 2400 steps,
# about 21 minutes on one idle core with Debian's libopenblas0-pthread as
# libblas.so.3, about 10x longer with the reference BLAS) when it is
# missing, then evaluates FP32, w8a16, fp8, w4a16 RTN/AWQ/GPTQ and w4a8 on it
# and on its copy with planted outlier channels. LM_EVAL_ARGS e.g.
# "--no-outliers" or "--work DIR".
SMALL_LM := .cache/models/small_lm/small_lm.onnx

.PHONY: lm-eval

$(SMALL_LM):
	/usr/bin/python3 models/small_lm/train.py --out $(dir $(SMALL_LM))

lm-eval: build $(SMALL_LM)
	/usr/bin/python3 models/tiny_lm/lowbit_eval.py --model small_lm \
	  --onnx $(SMALL_LM) --bin $(BUILD_DIR)/bin $(LM_EVAL_ARGS)
