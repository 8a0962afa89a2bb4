# SPDX-License-Identifier: Apache-2.0
# What `cmake --install <build> --prefix <P>` puts under P, beyond the
# libraries and tools that add_qc_library / add_qc_tool install:
#
#   include/qc, include/qc-c   headers, .td files, generated .inc files,
#                              qc/qc_runtime.h
#   lib/                       libqc_runtime.so (+ static archive), QCNpz,
#                              QCSupport, libQCCAPI.so, libQCPlugin.so
#   bin/qc-run
#   lib/cmake/qc/              QCConfig.cmake, QCConfigVersion.cmake,
#                              QCTargets.cmake (targets as qc::<name>)
#
# The Python package is installed by python/CMakeLists.txt.

include(CMakePackageConfigHelpers)

set(QC_INSTALL_CMAKEDIR lib${LLVM_LIBDIR_SUFFIX}/cmake/qc)

install(DIRECTORY include/qc include/qc-c
  DESTINATION include COMPONENT qc-headers
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${CMAKE_BINARY_DIR}/include/qc
  DESTINATION include COMPONENT qc-headers
  FILES_MATCHING PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)
install(FILES runtime/include/qc/qc_runtime.h
  DESTINATION include/qc COMPONENT qc-headers)

qc_install_targets(qc_runtime qc_runtime_static QCNpz QCSupport)
set_target_properties(qc-run PROPERTIES INSTALL_RPATH "\$ORIGIN/../lib")
install(TARGETS qc-run RUNTIME DESTINATION bin COMPONENT qc-tools)

install(EXPORT QCTargets NAMESPACE qc::
  DESTINATION ${QC_INSTALL_CMAKEDIR} COMPONENT qc-cmake)
configure_package_config_file(
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules/QCConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/QCConfig.cmake
  INSTALL_DESTINATION ${QC_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/cmake/QCConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/cmake/QCConfig.cmake
  ${CMAKE_BINARY_DIR}/cmake/QCConfigVersion.cmake
  DESTINATION ${QC_INSTALL_CMAKEDIR} COMPONENT qc-cmake)
