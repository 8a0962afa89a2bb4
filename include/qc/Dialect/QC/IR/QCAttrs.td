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
    largest value seen over all calibration samples and the number of samples
    that contributed. Quantization passes read them to choose scales; lit
    tests write them by hand.

    ```
    #qc.stats<min = -1.5, max = 6.0, count = 128>
    ```
  }];
  let parameters = (ins
    "::llvm::APFloat":$min,
    "::llvm::APFloat":$max,
    "int64_t":$count
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // QC_DIALECT_QC_IR_QCATTRS_TD
