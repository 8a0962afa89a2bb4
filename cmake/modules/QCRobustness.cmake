# SPDX-License-Identifier: Apache-2.0
# Sanitizer builds and libFuzzer detection (docs/robustness.md).
#
#   -DQC_SANITIZE=address,undefined   instrument everything qc builds
#   -DQC_ENABLE_FUZZERS=AUTO|ON|OFF   build fuzz/ and its ctests (label
#                                     `fuzz`: replay the crash regressions,
#                                     then fuzz each target QC_FUZZ_SECONDS,
#                                     60 by default, so `make check` fuzzes
#                                     about a minute per target). AUTO (the
#                                     default): when clang's libFuzzer is
#                                     installed (libclang-rt-22-dev); ON
#                                     insists on it. `make fuzz` runs longer.

set(QC_SANITIZE "" CACHE STRING
  "Sanitizers for every qc target, e.g. address,undefined (empty: none)")

if(QC_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "QC_SANITIZE needs clang")
  endif()
  # Stop at the first report: a sanitizer finding must fail the test that
  # triggered it, not scroll by in a log.
  add_compile_options(-fsanitize=${QC_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${QC_SANITIZE})
  # Shared libraries get the sanitizer runtime from the executable that
  # loads them, so HandleLLVMOptions' -z defs (and a target's own
  # --no-undefined) cannot hold for them: -z undefs, given with the
  # libraries, comes after every such flag on the link line.
  foreach(var CMAKE_SHARED_LINKER_FLAGS CMAKE_MODULE_LINKER_FLAGS)
    string(REPLACE "-Wl,-z,defs" "" ${var} "${${var}}")
  endforeach()
  link_libraries("-Wl,-z,undefs")
  # Code that qc-compile links into every compiled model (like the models
  # themselves) stays uninstrumented: models are loaded by uninstrumented
  # programs too. Deferred until all targets exist.
  function(qc_unsanitize_model_parts)
    foreach(target qc_cuda_support)
      if(TARGET ${target})
        target_compile_options(${target} PRIVATE -fno-sanitize=all)
      endif()
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR}
                 CALL qc_unsanitize_model_parts)
  message(STATUS "qc: building with -fsanitize=${QC_SANITIZE}")
endif()

set(QC_ENABLE_FUZZERS AUTO CACHE STRING
  "Build the libFuzzer targets in fuzz/: AUTO (when libFuzzer is found), ON, OFF")

# libFuzzer ships with clang (Debian: libclang-rt-22-dev). Probe for it, so
# that asking for the fuzzers without it fails here with the reason.
set(QC_BUILD_FUZZERS OFF)
if(QC_ENABLE_FUZZERS)
  set(QC_HAVE_LIBFUZZER OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address")
    set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer,address")
    check_cxx_source_compiles([[
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }
]] QC_LIBFUZZER_LINKS)
    unset(CMAKE_REQUIRED_FLAGS)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(QC_LIBFUZZER_LINKS)
      set(QC_HAVE_LIBFUZZER ON)
    endif()
  endif()
  if(QC_HAVE_LIBFUZZER)
    set(QC_BUILD_FUZZERS ON)
  elseif(QC_ENABLE_FUZZERS STREQUAL "AUTO")
    message(STATUS "qc: libFuzzer not found (libclang-rt-22-dev): no fuzz "
                   "targets, make check will not fuzz")
  else()
    message(FATAL_ERROR "QC_ENABLE_FUZZERS needs clang with libFuzzer "
                        "(libclang-rt-22-dev)")
  endif()
endif()
