# SPDX-License-Identifier: Apache-2.0
# Thin wrappers over the MLIR CMake helpers. Every qc library links the single
# shared libMLIR.so (never the static MLIR component libraries next to it:
# that silently links a second copy of MLIR).

# add_qc_library(name sources... [DEPENDS ...] [LINK_LIBS ...])
function(add_qc_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DISABLE_INSTALL
    DEPENDS ${ARG_DEPENDS}
    LINK_LIBS PUBLIC ${ARG_LINK_LIBS} MLIR)
  set_property(GLOBAL APPEND PROPERTY QC_ALL_LIBS ${name})
endfunction()

# add_qc_tool(name sources... [LINK_LIBS ...])
function(add_qc_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_llvm_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR)
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${QC_TOOLS_DIR})
  set_property(GLOBAL APPEND PROPERTY QC_ALL_TOOLS ${name})
endfunction()
