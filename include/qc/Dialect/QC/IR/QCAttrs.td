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
    that contributed, optionally a histogram of |x| with equal-width bins
    over [0, hist_max] (for percentile, entropy and MSE calibration), and
    optionally the smallest and largest value of every channel along
    `channel_axis` (1-D float tensors with one entry per channel; the
    calibrator records them for the data operand of `qc.matmul`, channel =
    the last, contracted dimension, for SmoothQuant). Quantization passes
    read them to choose ranges; lit tests write them by hand.

    ```
    #qc.stats<min = -1.5, max = 6.0, count = 128>
    #qc.stats<min = -1.5, max = 6.0, count = 128, hist_max = 6.0,
              hist = dense<[...]> : tensor<2048xi64>>
    #qc.stats<min = -1.5, max = 6.0, count = 128, channel_axis = 1,
              channel_min = dense<[-1.5, 0.0]> : tensor<2xf32>,
              channel_max = dense<[0.5, 6.0]> : tensor<2xf32>>
    ```

    The verifier checks that every value is finite, min <= max (also per
    channel), histogram counts are non-negative, and the per-channel arrays
    have the same non-zero size. That the channel count matches the observed
    tensor's dimension is checked where the statistics are used.
  }];
  let parameters = (ins
    "::llvm::APFloat":$min,
    "::llvm::APFloat":$max,
    "int64_t":$count,
    "::llvm::APFloat":$histMax,
    "::mlir::DenseIntElementsAttr":$hist,
    "int64_t":$channelAxis,
    "::mlir::DenseFPElementsAttr":$channelMin,
    "::mlir::DenseFPElementsAttr":$channelMax
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "double":$min, "double":$max, "int64_t":$count), [{
      return $_get($_ctxt, ::llvm::APFloat(min), ::llvm::APFloat(max), count,
                   ::llvm::APFloat(0.0), ::mlir::DenseIntElementsAttr(),
                   /*channelAxis=*/-1, ::mlir::DenseFPElementsAttr(),
                   ::mlir::DenseFPElementsAttr());
    }]>,
    // Without per-channel statistics (the form before they existed).
    AttrBuilder<(ins "::llvm::APFloat":$min, "::llvm::APFloat":$max,
                     "int64_t":$count, "::llvm::APFloat":$histMax,
                     "::mlir::DenseIntElementsAttr":$hist), [{
      return $_get($_ctxt, min, max, count, histMax, hist, /*channelAxis=*/-1,
                   ::mlir::DenseFPElementsAttr(),
                   ::mlir::DenseFPElementsAttr());
    }]>
  ];
  let extraClassDeclaration = [{
    bool hasHistogram() const { return static_cast<bool>(getHist()); }
    /// True if per-channel min/max are present (then getChannelAxis() >= 0).
    bool hasChannelStats() const { return static_cast<bool>(getChannelMin()); }
    /// Number of channels of the per-channel statistics (0 if none).
    int64_t getNumChannels() const {
      return hasChannelStats() ? getChannelMin().getNumElements() : 0;
    }
  }];
}

#endif // QC_DIALECT_QC_IR_QCATTRS_TD
