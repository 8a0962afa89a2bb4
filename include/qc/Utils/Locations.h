//===- Locations.h - ONNX names in MLIR locations ---------------*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_UTILS_LOCATIONS_H
#define QC_UTILS_LOCATIONS_H

#include "mlir/IR/Location.h"

#include <optional>
#include <string>

namespace mlir::qc {

/// The ONNX node name the importer put in `loc`: a NameLoc, possibly inside
/// the FusedLoc that also carries the node's output tensor name.
std::optional<std::string> getONNXNodeName(Location loc);

} // namespace mlir::qc

#endif // QC_UTILS_LOCATIONS_H
