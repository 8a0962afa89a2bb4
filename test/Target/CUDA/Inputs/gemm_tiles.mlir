// An INT8 and an FP8 matmul large enough for the default 128 x 128 tiles
// (M = 256, N = 128, K = 128; splat weights).
module {
  func.func @main_graph(%x: tensor<256x128xf32> {qc.name = "x"}) -> (tensor<256x128xf32> {qc.name = "y"}, tensor<256x128xf32> {qc.name = "z"}) {
    %q = qc.quantize %x : tensor<256x128xf32> -> tensor<256x128x!qc.uniform<u8:f32, 0.05:128>>
    %wb = arith.constant dense<3> : tensor<128x128xi8>
    %w = qc.storage_cast %wb : tensor<128x128xi8> -> tensor<128x128x!qc.uniform<i8:f32, 0.01>>
    %y = qc.matmul %q, %w : (tensor<256x128x!qc.uniform<u8:f32, 0.05:128>>, tensor<128x128x!qc.uniform<i8:f32, 0.01>>) -> tensor<256x128xf32>
    %q8 = qc.quantize %x : tensor<256x128xf32> -> tensor<256x128x!qc.uniform<f8E4M3FN:f32, 0.5>>
    %w8b = arith.constant dense<56> : tensor<128x128xi8>
    %w8 = qc.storage_cast %w8b : tensor<128x128xi8> -> tensor<128x128x!qc.uniform<f8E4M3FN:f32, 0.25>>
    %z = qc.matmul %q8, %w8 : (tensor<256x128x!qc.uniform<f8E4M3FN:f32, 0.5>>, tensor<128x128x!qc.uniform<f8E4M3FN:f32, 0.25>>) -> tensor<256x128xf32>
    return %y, %z : tensor<256x128xf32>, tensor<256x128xf32>
  }
}
