// RUN: qc-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize{calib-method=minmax}))" | FileCheck %s --check-prefix=MINMAX
// RUN: qc-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize{calib-method=percentile percentile=90}))" | FileCheck %s --check-prefix=PCT
// RUN: not qc-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize{calib-method=median}))" 2>&1 | FileCheck %s --check-prefix=BAD

// |x| histogram over [0, 10] in 10 bins: 90% of the mass is below 1, the
// rest reaches 10. minmax keeps [0, 10]; the 90th percentile clips at 1.
// MINMAX: qc.quantize %{{.*}} -> tensor<4x!qc.uniform<u8:f32, 0.039215688>>
// PCT: qc.quantize %{{.*}} -> tensor<4x!qc.uniform<u8:f32, 0.003921569>>
// BAD: error: unknown calibration method 'median' (expected minmax, percentile, entropy or mse)
func.func @methods(%x: tensor<4xf32>) -> tensor<f32> {
  qc.observe %x {name = "x", stats = #qc.stats<min = 0.0, max = 10.0, count = 4, hist_max = 10.0, hist = dense<[90, 0, 0, 0, 0, 0, 0, 0, 0, 10]> : tensor<10xi64>>} : tensor<4xf32>
  %w = arith.constant dense<1.0> : tensor<4xf32>
  %y = qc.matmul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return %y : tensor<f32>
}
