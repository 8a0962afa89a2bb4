// RUN: qc-opt %s -split-input-file --qc-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>

// The producer of a matmul operand is read N times per element: not fused.
// CHECK-LABEL: func.func @no_fusion_into_reduction
// CHECK: %[[SCALED:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[SCALED]], %arg1
func.func @no_fusion_into_reduction(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %m = arith.mulf %in, %two : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<4x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%scaled, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%init : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %mm : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Elementwise chains still fuse into one generic.
// CHECK-LABEL: func.func @chain_fuses
// CHECK: linalg.generic
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
func.func @chain_fuses(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %b : tensor<4x8xf32>
}

// -----

// A channels-last result transposed to NCHW for a global sum: the sum reads
// the channels-last tensor through the permuted map, the transpose goes away,
// and the elementwise producer (now read through a permutation) fuses in.
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#sum = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-DAG: #[[XT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @transpose_into_consumer
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[XT]], #[[S]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x4x4x8xf32>)
// CHECK:   arith.maximumf
// CHECK:   arith.addf
// CHECK-NOT: linalg.transpose
func.func @transpose_into_consumer(%x: tensor<2x4x4x8xf32>) -> tensor<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4x8xf32>
  %relu = linalg.generic {indexing_maps = [#nhwc, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x4x4x8xf32>) outs(%e : tensor<2x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4x8xf32>
  %et = tensor.empty() : tensor<2x8x4x4xf32>
  %t = linalg.transpose ins(%relu : tensor<2x4x4x8xf32>) outs(%et : tensor<2x8x4x4xf32>) permutation = [0, 3, 1, 2]
  %es = tensor.empty() : tensor<2x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%es : tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = linalg.generic {indexing_maps = [#nhwc, #sum], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%t : tensor<2x8x4x4xf32>) outs(%init : tensor<2x8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %acc, %in : f32
    linalg.yield %a : f32
  } -> tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

// Max pooling computed in NCHW and transposed back to channels-last: the
// pooling writes channels-last directly, into a fill of the transposed shape.
#pin = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#pwin = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#pout = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[POUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @transpose_into_producer
// CHECK: %[[MIN:.*]] = arith.constant -128 : i8
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4x4x8xi8>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[MIN]] : i8) outs(%[[E]] : tensor<2x4x4x8xi8>)
// CHECK: %[[P:.*]] = linalg.generic {{{.*}}, #[[POUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%arg0, %arg1 : {{.*}}) outs(%[[F]] : tensor<2x4x4x8xi8>)
// CHECK:   arith.maxsi
// CHECK-NOT: linalg.transpose
// CHECK: return %[[P]]
func.func @transpose_into_producer(%x: tensor<2x8x8x8xi8>, %w: tensor<2x2xi1>) -> tensor<2x4x4x8xi8> {
  %min = arith.constant -128 : i8
  %e = tensor.empty() : tensor<2x8x4x4xi8>
  %init = linalg.fill ins(%min : i8) outs(%e : tensor<2x8x4x4xi8>) -> tensor<2x8x4x4xi8>
  %p = linalg.generic {indexing_maps = [#pin, #pwin, #pout], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : tensor<2x8x8x8xi8>, tensor<2x2xi1>) outs(%init : tensor<2x8x4x4xi8>) {
  ^bb0(%in: i8, %unused: i1, %acc: i8):
    %m = arith.maxsi %acc, %in : i8
    linalg.yield %m : i8
  } -> tensor<2x8x4x4xi8>
  %et = tensor.empty() : tensor<2x4x4x8xi8>
  %t = linalg.transpose ins(%p : tensor<2x8x4x4xi8>) outs(%et : tensor<2x4x4x8xi8>) permutation = [0, 2, 3, 1]
  return %t : tensor<2x4x4x8xi8>
}

// -----

// A producer whose result is also returned keeps its layout (writing both
// layouts would need a second output): the transpose stays.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @producer_with_two_uses
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[R]] : tensor<2x4x4x8xf32>)
// CHECK: return %[[R]], %[[T]]
func.func @producer_with_two_uses(%x: tensor<2x4x4x8xf32>) -> (tensor<2x4x4x8xf32>, tensor<2x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4x8xf32>
  %relu = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x4x4x8xf32>) outs(%e : tensor<2x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x4x4x8xf32>
  %et = tensor.empty() : tensor<2x8x4x4xf32>
  %t = linalg.transpose ins(%relu : tensor<2x4x4x8xf32>) outs(%et : tensor<2x8x4x4xf32>) permutation = [0, 3, 1, 2]
  return %relu, %t : tensor<2x4x4x8xf32>, tensor<2x8x4x4xf32>
}

// -----

// A reduction whose init is not a fill (an accumulator passed in) is not
// rewritten: transposing the init would need a copy.
#rin = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#rout = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @producer_reads_argument_init
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: linalg.transpose ins(%[[R]] : tensor<4x8xf32>)
func.func @producer_reads_argument_init(%x: tensor<4x8x2xf32>, %acc: tensor<4x8xf32>) -> tensor<8x4xf32> {
  %r = linalg.generic {indexing_maps = [#rin, #rout], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<4x8x2xf32>) outs(%acc : tensor<4x8xf32>) {
  ^bb0(%in: f32, %a: f32):
    %s = arith.addf %a, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %et = tensor.empty() : tensor<8x4xf32>
  %t = linalg.transpose ins(%r : tensor<4x8xf32>) outs(%et : tensor<8x4xf32>) permutation = [1, 0]
  return %t : tensor<8x4xf32>
}
