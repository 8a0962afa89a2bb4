//===- qc-c/Support.h - Errors of the qc C API --------------------*- C -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
//
// Every fallible call of the qc C API returns a QcError. A null error means
// success; otherwise the caller owns the error and must release it with
// qcErrorDestroy(). The message holds the full diagnostic text (errors,
// warnings and notes, each "file:line:col: severity: message" where a
// location is known), the same text qc-compile prints.
//
// The API follows MLIR's C API (mlir-c): opaque structs wrapping a pointer,
// MlirStringRef for strings, and MlirContext / MlirModule for IR, so a qc
// module can be handed to any mlir-c function. libQCCAPI.so exports MLIR's
// core C API (mlir-c/IR.h, Pass.h, Diagnostics.h, BuiltinAttributes.h,
// BuiltinTypes.h, AffineMap.h, ...) next to qc's own functions, built
// against the one libMLIR.so.
//
//===----------------------------------------------------------------------===//

#ifndef QC_C_SUPPORT_H
#define QC_C_SUPPORT_H

#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Version of the qc C API; see qcGetCAPIVersion().
#define QC_CAPI_VERSION 1

/// Returns QC_CAPI_VERSION of the library in use.
MLIR_CAPI_EXPORTED unsigned qcGetCAPIVersion(void);

/// What went wrong. Values never change meaning.
typedef enum QcErrorKind {
  /// A null handle, an unknown option value, a malformed shape, ...
  QcErrorKindInvalidArgument = 1,
  /// Import, calibration, a pass, code generation or linking failed; the
  /// message holds the diagnostics.
  QcErrorKindCompile = 2,
  /// A feature that qc does not provide yet (the message says which).
  QcErrorKindUnsupported = 3,
  /// A file could not be read or written.
  QcErrorKindIO = 4
} QcErrorKind;

#define DEFINE_C_API_STRUCT(name, storage)                                     \
  struct name {                                                                \
    storage *ptr;                                                              \
  };                                                                           \
  typedef struct name name

/// An owned error, or null for success.
DEFINE_C_API_STRUCT(QcError, void);

#undef DEFINE_C_API_STRUCT

/// True if `error` is null, i.e. the call succeeded.
static inline bool qcErrorIsNull(QcError error) { return !error.ptr; }

/// The kind of a non-null error.
MLIR_CAPI_EXPORTED QcErrorKind qcErrorGetKind(QcError error);

/// The error's text (NUL-terminated as well). Owned by the error; valid until
/// qcErrorDestroy().
MLIR_CAPI_EXPORTED MlirStringRef qcErrorGetMessage(QcError error);

/// Releases an error. A null error is a no-op.
MLIR_CAPI_EXPORTED void qcErrorDestroy(QcError error);

#ifdef __cplusplus
}
#endif

#endif // QC_C_SUPPORT_H
