module {
  func.func @main_graph(%x: tensor<4x96xf32> {qc.name = "x"}) -> (tensor<4x40xf32> {qc.name = "y"}, tensor<4x40xf32> {qc.name = "z"}) {
    %q = qc.quantize %x : tensor<4x96xf32> -> tensor<4x96x!qc.uniform<u8:f32, 0.05:128>>
    %wb = arith.constant dense<3> : tensor<96x40xi8>
    %w = qc.storage_cast %wb : tensor<96x40xi8> -> tensor<96x40x!qc.uniform<i8:f32, 0.01>>
    %y = qc.matmul %q, %w : (tensor<4x96x!qc.uniform<u8:f32, 0.05:128>>, tensor<96x40x!qc.uniform<i8:f32, 0.01>>) -> tensor<4x40xf32>
    %q8 = qc.quantize %x : tensor<4x96xf32> -> tensor<4x96x!qc.uniform<f8E4M3FN:f32, 0.5>>
    %w8b = arith.constant dense<56> : tensor<96x40xi8>
    %w8 = qc.storage_cast %w8b : tensor<96x40xi8> -> tensor<96x40x!qc.uniform<f8E4M3FN:f32, 0.25>>
    %z = qc.matmul %q8, %w8 : (tensor<4x96x!qc.uniform<f8E4M3FN:f32, 0.5>>, tensor<96x40x!qc.uniform<f8E4M3FN:f32, 0.25>>) -> tensor<4x40xf32>
    return %y, %z : tensor<4x40xf32>, tensor<4x40xf32>
  }
}
