//===- QCAttrs.td - qc dialect attributes ------------------*- tablegen -*-===//
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//

#ifndef QC_DIALECT_QC_IR_QCATTRS_TD
#define QC_DIALECT_QC_IR_QCATTRS_TD

include "qc/Dialect/QC/IR/QCDialect.td"
include "mlir/IR/AttrTypeBase.td"

class QC_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<QC_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def QC_StatsAttr : QC_Attr<"Stats", "stats"> {
  let summary = "calibration statistics of one tensor";
  let description = [{
    Statistics gathered for one tensor while calibrating: the smallest and
    largest value seen over all calibration samples, the number of samples
    that contributed, and optionally a histogram of |x| with equal-width bins
    over [0, hist_max] (for percentile, entropy and MSE calibration).
    Quantization passes read them to choose ranges; lit tests write them by
    hand.

    ```
    #qc.stats<min = -1.5, max = 6.0, count = 128>
    #qc.stats<min = -1.5, max = 6.0, count = 128, hist_max = 6.0,
              hist = dense<[...]> : tensor<2048xi64>>
    ```
  }];
  let parameters = (ins
    "::llvm::APFloat":$min,
    "::llvm::APFloat":$max,
    "int64_t":$count,
    "::llvm::APFloat":$histMax,
    "::mlir::DenseIntElementsAttr":$hist
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "double":$min, "double":$max, "int64_t":$count), [{
      return $_get($_ctxt, ::llvm::APFloat(min), ::llvm::APFloat(max), count,
                   ::llvm::APFloat(0.0), ::mlir::DenseIntElementsAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    bool hasHistogram() const { return static_cast<bool>(getHist()); }
  }];
}

#endif // QC_DIALECT_QC_IR_QCATTRS_TD
