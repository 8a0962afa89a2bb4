// RUN: qc-opt %s -split-input-file -verify-diagnostics --convert-qc-to-quant
func.func @fp8(%x: tensor<4xf32>) {
  // expected-error @+1 {{FP8 storage has no !quant.uniform form}}
  %q = qc.quantize %x : tensor<4xf32> -> tensor<4x!qc.uniform<f8E4M3FN:f32, 0.5>>
  return
}

// -----

func.func @requantize(%q: tensor<4x!qc.uniform<i32:f32, 0.001>>) {
  // expected-error @+1 {{'qc.requantize' on quantized values has no quant-dialect form}}
  %r = qc.requantize %q : tensor<4x!qc.uniform<i32:f32, 0.001>> -> tensor<4x!qc.uniform<i8:f32, 0.05>>
  return
}
