# SPDX-License-Identifier: Apache-2.0
# Thin wrappers over the MLIR CMake helpers. Every qc library links the single
# shared libMLIR.so (never the static MLIR component libraries next to it:
# that silently links a second copy of MLIR).

# qc_install_targets(targets...)
# Installs libraries into lib/ and adds them to the QCTargets export set, so
# that find_package(QC) provides them as qc::<name>.
function(qc_install_targets)
  install(TARGETS ${ARGN} EXPORT QCTargets
    LIBRARY DESTINATION lib${LLVM_LIBDIR_SUFFIX} COMPONENT qc-libraries
    ARCHIVE DESTINATION lib${LLVM_LIBDIR_SUFFIX} COMPONENT qc-libraries
    RUNTIME DESTINATION bin COMPONENT qc-libraries)
endfunction()

# add_qc_library(name sources... [DEPENDS ...] [LINK_LIBS ...])
function(add_qc_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_mlir_library(${name} ${ARG_UNPARSED_ARGUMENTS}
    DISABLE_INSTALL
    DEPENDS ${ARG_DEPENDS}
    LINK_LIBS PUBLIC ${ARG_LINK_LIBS} MLIR)
  # Installed, the headers live under <prefix>/include.
  target_include_directories(${name} INTERFACE $<INSTALL_INTERFACE:include>)
  qc_install_targets(${name})
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
  # LLVM's default install RPATH ($ORIGIN/../lib) does not reach Debian's
  # libMLIR.so.
  set_property(TARGET ${name} APPEND PROPERTY INSTALL_RPATH
    ${LLVM_LIBRARY_DIR})
  install(TARGETS ${name} RUNTIME DESTINATION bin COMPONENT qc-tools)
  set_property(GLOBAL APPEND PROPERTY QC_ALL_TOOLS ${name})
endfunction()
