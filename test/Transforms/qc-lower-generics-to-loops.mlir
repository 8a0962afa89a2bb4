// RUN: qc-opt %s -split-input-file --qc-lower-generics-to-loops | FileCheck %s
// RUN: qc-opt %s -split-input-file --qc-lower-generics-to-loops="parallel=true min-parallel-work=64" | FileCheck %s --check-prefix=PAR

#in = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A row maximum: the accumulator is loaded once per row, carried through
// the k loop as an iter_arg and stored once; no store inside the k loop.
// CHECK-LABEL: func.func @row_max
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[INIT:.*]] = memref.load %arg1[%[[I]]]
// CHECK:   %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK:     %[[X:.*]] = memref.load %arg0[%[[I]], %[[K]]]
// CHECK:     %[[M:.*]] = arith.maximumf %[[ACC]], %[[X]] : f32
// CHECK-NOT: memref.store
// CHECK:     scf.yield %[[M]] : f32
// CHECK:   memref.store %[[R]], %arg1[%[[I]]]
// CHECK-NOT: linalg.generic
func.func @row_max(%x: memref<4x8xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]} ins(%x : memref<4x8xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%v: f32, %m: f32):
    %r = arith.maximumf %m, %v : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#bcast = affine_map<(d0, d1) -> (d0, 0)>

// Elementwise with a value broadcast along the row (softmax's x - max): the
// row's value is loaded before the inner loop; the store stays inside. (Rows
// longer than 64 elements stay loops, for LLVM's loop vectorizer.)
// CHECK-LABEL: func.func @subtract_row_max
// CHECK: scf.for %[[I:.*]] =
// CHECK:   %[[M:.*]] = memref.load %arg1[%[[I]], %{{.*}}] : memref<4x1xf32>
// CHECK:   scf.for %[[J:.*]] =
// CHECK:     %[[X:.*]] = memref.load %arg0[%[[I]], %[[J]]]
// CHECK:     %[[D:.*]] = arith.subf %[[X]], %[[M]]
// CHECK:     memref.store %[[D]], %arg0[%[[I]], %[[J]]]
func.func @subtract_row_max(%x: memref<4x100xf32>, %m: memref<4x1xf32>) {
  linalg.generic {indexing_maps = [#in, #bcast, #in], iterator_types = ["parallel", "parallel"]} ins(%x, %m : memref<4x100xf32>, memref<4x1xf32>) outs(%x : memref<4x100xf32>) {
  ^bb0(%v: f32, %mx: f32, %o: f32):
    %d = arith.subf %v, %mx : f32
    linalg.yield %d : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#out = affine_map<(d0, d1, d2) -> (d0, d1)>

// Index ops read the loop indices; a transposed read indexes by them.
// CHECK-LABEL: func.func @index_and_stride
// CHECK: scf.for %[[A:.*]] =
// CHECK:   scf.for %[[B:.*]] =
// CHECK:     scf.for %[[C:.*]] = {{.*}} iter_args
// CHECK:       memref.load %arg0[%[[A]], %[[C]], %[[B]]]
// CHECK:       arith.index_cast %[[C]]
func.func @index_and_stride(%x: memref<2x5x3xi32>, %out: memref<2x3xi32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x5x3xi32>) outs(%out : memref<2x3xi32>) {
  ^bb0(%v: i32, %s: i32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %p = arith.muli %v, %ki : i32
    %a = arith.addi %s, %p : i32
    linalg.yield %a : i32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A reduction that is not innermost over a row too long for one vector (a
// column sum of 100 columns), tensors, and an in-place reduction (an input
// that is also the output) are left alone.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.generic
func.func @left_alone(%x: memref<4x100xf32>, %out: memref<100xf32>, %t: tensor<4x8xf32>, %acc: memref<4x4xf32>) -> tensor<4x8xf32> {
  linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]} ins(%x : memref<4x100xf32>) outs(%out : memref<100xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  }
  %r = linalg.generic {indexing_maps = [#in, #in], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<4x8xf32>) outs(%t : tensor<4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  linalg.generic {indexing_maps = [#in, affine_map<(d0, d1) -> (d0, 0)>], iterator_types = ["parallel", "reduction"]} ins(%acc : memref<4x4xf32>) outs(%acc : memref<4x4xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  }
  return %r : tensor<4x8xf32>
}

// -----

#in = affine_map<(d0, d1, d2, d3) -> (d0, d1 * 2 + d2, d3)>
#win = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d1)>

// A pooling window (two trailing reductions): both window loops carry the
// accumulator, the strided read becomes an affine.apply, one store per
// output after the nest.
// CHECK-LABEL: func.func @max_pool
// CHECK: scf.for %[[N:.*]] =
// CHECK:   scf.for %[[Y:.*]] =
// CHECK:     %[[INIT:.*]] = memref.load %arg2[%[[N]], %[[Y]]]
// CHECK:     %[[R:.*]] = scf.for %[[KY:.*]] = {{.*}} iter_args(%[[A0:.*]] = %[[INIT]]) -> (i8)
// CHECK:       %[[R2:.*]] = scf.for %[[KX:.*]] = {{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (i8)
// CHECK:         %[[ROW:.*]] = affine.apply #{{.*}}(%[[N]], %[[Y]], %[[KY]], %[[KX]])
// CHECK:         %[[V:.*]] = memref.load %arg0[%[[N]], %[[ROW]], %[[KX]]]
// CHECK:         %[[M:.*]] = arith.maxui %[[A1]], %[[V]] : i8
// CHECK:         scf.yield %[[M]] : i8
// CHECK:       scf.yield %[[R2]] : i8
// CHECK:     memref.store %[[R]], %arg2[%[[N]], %[[Y]]]
func.func @max_pool(%x: memref<2x8x2xi8>, %w: memref<2x2xi1>, %out: memref<2x4xi8>) {
  linalg.generic {indexing_maps = [#in, #win, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x, %w : memref<2x8x2xi8>, memref<2x2xi1>) outs(%out : memref<2x4xi8>) {
  ^bb0(%v: i8, %unused: i1, %m: i8):
    %r = arith.maxui %m, %v : i8
    linalg.yield %r : i8
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#bcast = affine_map<(d0, d1) -> (d0, 0)>

// A short row (8 elements): one vector load per operand that reads it, the
// body on vectors (the row's broadcast value splat), one vector store.
// CHECK-LABEL: func.func @short_row
// CHECK: scf.for %[[I:.*]] =
// CHECK:   %[[M:.*]] = memref.load %arg1[%[[I]], %{{.*}}] : memref<4x1xf32>
// CHECK-NOT: scf.for
// CHECK:   %[[X:.*]] = vector.load %arg0[%[[I]], %{{.*}}] : memref<4x8xf32>, vector<8xf32>
// CHECK:   %[[S:.*]] = vector.broadcast %[[M]] : f32 to vector<8xf32>
// CHECK:   %[[D:.*]] = arith.subf %[[X]], %[[S]] : vector<8xf32>
// CHECK:   vector.store %[[D]], %arg2[%[[I]], %{{.*}}] : memref<4x8xf32>, vector<8xf32>
func.func @short_row(%x: memref<4x8xf32>, %m: memref<4x1xf32>, %out: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [#in, #bcast, #in], iterator_types = ["parallel", "parallel"]} ins(%x, %m : memref<4x8xf32>, memref<4x1xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %mx: f32, %o: f32):
    %d = arith.subf %v, %mx : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// A channels-last patch copy into a strided view, via linalg.copy (what
// qc-expand-memref-copy makes of memref.copy): 16-byte vector rows.
// CHECK-LABEL: func.func @copy_rows
// CHECK-NOT: linalg
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     %[[V:.*]] = vector.load %arg0[{{.*}}] : memref<2x3x16xi8>, vector<16xi8>
// CHECK:     vector.store %[[V]], %arg1[{{.*}}] : memref<2x3x16xi8, strided<[80, 16, 1], offset: 17>>, vector<16xi8>
func.func @copy_rows(%x: memref<2x3x16xi8>, %out: memref<2x3x16xi8, strided<[80, 16, 1], offset: 17>>) {
  linalg.copy ins(%x : memref<2x3x16xi8>) outs(%out : memref<2x3x16xi8, strided<[80, 16, 1], offset: 17>>)
  return
}

// -----

#in = affine_map<(d0, d1) -> (d1, d0)>
#out = affine_map<(d0, d1) -> (d0, d1)>

// A row read across (a transpose) is not contiguous: it stays a loop. So
// do a body that reads the row's index and rows of booleans (i1 vectors are
// bit-packed in memory, i1 memref elements are bytes).
// CHECK-LABEL: func.func @not_vector_rows
// CHECK-NOT: vector.
// CHECK: scf.for %[[I:.*]] =
// CHECK:   scf.for %[[J:.*]] =
// CHECK:     memref.load %arg0[%[[J]], %[[I]]]
// CHECK: scf.for
// CHECK:   scf.for %[[J2:.*]] =
// CHECK:     arith.index_cast %[[J2]]
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     memref.load %arg3
// CHECK:     arith.xori
// CHECK-NOT: vector.
// CHECK: return
func.func @not_vector_rows(%x: memref<8x4xf32>, %out: memref<4x8xf32>, %idx: memref<4x8xi32>, %b: memref<4x8xi1>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel"]} ins(%x : memref<8x4xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#out], iterator_types = ["parallel", "parallel"]} outs(%idx : memref<4x8xi32>) {
  ^bb0(%o: i32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    linalg.yield %ji : i32
  }
  %true = arith.constant true
  linalg.generic {indexing_maps = [#out, #out], iterator_types = ["parallel", "parallel"]} ins(%b : memref<4x8xi1>) outs(%b : memref<4x8xi1>) {
  ^bb0(%v: i1, %o: i1):
    %n = arith.xori %v, %true : i1
    linalg.yield %n : i1
  }
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#red = affine_map<(d0, d1, d2) -> (d0, d1)>

// With `parallel`, one loop per nest runs as scf.parallel: the outermost
// outer loop with more than one iteration (here the second: the first has
// one), only for nests of at least min-parallel-work iterations. Reductions
// too (the loops above the reduction loops), never the reduction loops.
// PAR-LABEL: func.func @parallel_nests
// PAR:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// PAR:        scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// PAR:          vector.load %arg0
// PAR:      scf.for
// PAR:        scf.for
// PAR:          vector.load %arg2
// PAR:      scf.for
// PAR:        scf.parallel
// PAR:          scf.for {{.*}} iter_args
// PAR-NOT:  scf.parallel
// PAR:      return
func.func @parallel_nests(%x: memref<1x64x8xf32>, %y: memref<1x64x8xf32>, %small: memref<1x2x8xf32>, %sum: memref<1x64xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : memref<1x64x8xf32>) outs(%y : memref<1x64x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%small : memref<1x2x8xf32>) outs(%small : memref<1x2x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<1x64x8xf32>) outs(%sum : memref<1x64xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  }
  return
}

// -----

#nchw = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#nhwc = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>

// A one-channel image written channels-last (the CNN's input quantize): the
// row is the last loop, and in the output it is followed by the channel
// index, a dimension of size 1. That dimension is dropped by a rank-reducing
// subview made before the loops, so the row is still one vector access.
// CHECK-LABEL: func.func @unit_channel
// CHECK:      %[[OUT:.*]] = memref.subview %arg1[0, 0, 0, 0] [4, 2, 8, 1] [1, 1, 1, 1] : memref<4x2x8x1xf32> to memref<4x2x8xf32, strided<[16, 8, 1]>>
// CHECK:      scf.for %[[N:.*]] =
// CHECK:        scf.for %[[C:.*]] =
// CHECK:          scf.for %[[H:.*]] =
// CHECK-NOT:        scf.for
// CHECK:            %[[X:.*]] = vector.load %arg0[%[[N]], %[[C]], %[[H]], %{{.*}}] : memref<4x1x2x8xf32>, vector<8xf32>
// CHECK:            %[[D:.*]] = arith.divf %[[X]], %{{.*}} : vector<8xf32>
// CHECK:            vector.store %[[D]], %[[OUT]][%[[N]], %[[H]], %{{.*}}] : memref<4x2x8xf32, strided<[16, 8, 1]>>, vector<8xf32>
func.func @unit_channel(%x: memref<4x1x2x8xf32>, %out: memref<4x2x8x1xf32>) {
  %s = arith.constant 3.0 : f32
  linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<4x1x2x8xf32>) outs(%out : memref<4x2x8x1xf32>) {
  ^bb0(%v: f32, %o: f32):
    %d = arith.divf %v, %s : f32
    linalg.yield %d : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#swap = affine_map<(d0, d1, d2) -> (d1, d0, d2)>

// Loops of one iteration after the row (a pooled 1x1 map): the row is the
// last loop with more than one iteration; the loops after it are not loops.
// A row that is not the innermost non-unit dimension of an operand (the
// second op reads it transposed) stays a scalar loop.
// CHECK-LABEL: func.func @trailing_unit_loops
// CHECK:      %[[IN:.*]] = memref.subview %arg0[0, 0, 0, 0] [4, 8, 1, 1]
// CHECK:      %[[OUT:.*]] = memref.subview %arg1[0, 0, 0, 0] [4, 8, 1, 1]
// CHECK:      scf.for %[[I:.*]] =
// CHECK-NOT:    scf.for
// CHECK:        %[[X:.*]] = vector.load %[[IN]][%[[I]], %{{.*}}] : memref<4x8xf32, strided<[8, 1]>>, vector<8xf32>
// CHECK:        %[[N:.*]] = arith.negf %[[X]] : vector<8xf32>
// CHECK:        vector.store %[[N]], %[[OUT]][%[[I]], %{{.*}}] : memref<4x8xf32, strided<[8, 1]>>, vector<8xf32>
// CHECK:      scf.for %[[A:.*]] =
// CHECK:        scf.for %[[B:.*]] =
// CHECK:          memref.load %arg2[%[[B]], %[[A]], %{{.*}}]
// CHECK-NOT:  vector.
// CHECK:      return
func.func @trailing_unit_loops(%x: memref<4x8x1x1xf32>, %out: memref<4x8x1x1xf32>, %y: memref<8x4x1xf32>, %out2: memref<4x8x1xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<4x8x1x1xf32>) outs(%out : memref<4x8x1x1xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#swap, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y : memref<8x4x1xf32>) outs(%out2 : memref<4x8x1xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Fills and maps on buffers (a padded buffer's zeros, from tensor.pad; a
// pooling accumulator's start) are elementwise generics too: vector rows of
// the splat value, and with `parallel` one scf.parallel loop.
// CHECK-LABEL: func.func @fill_and_map
// CHECK-NOT:  linalg.
// CHECK:      scf.for %[[I:.*]] =
// CHECK:        %[[S:.*]] = vector.broadcast %{{.*}} : i8 to vector<16xi8>
// CHECK:        vector.store %[[S]], %arg0[%[[I]], %{{.*}}] : memref<8x16xi8>, vector<16xi8>
// CHECK:      %[[PAD:.*]] = memref.subview %arg1[0, 0, 0] [8, 10, 1] [1, 1, 1]
// CHECK:      scf.for %[[J:.*]] =
// CHECK:        %[[Z:.*]] = vector.broadcast %{{.*}} : f32 to vector<10xf32>
// CHECK:        vector.store %[[Z]], %[[PAD]][%[[J]], %{{.*}}] : memref<8x10xf32, strided<[10, 1]>>, vector<10xf32>
// CHECK-NOT:  linalg.
// PAR-LABEL: func.func @fill_and_map
// PAR:        scf.parallel
// PAR:          vector.store %{{.*}}, %arg0
// PAR:        scf.parallel
// PAR:          vector.store
func.func @fill_and_map(%acc: memref<8x16xi8>, %pad: memref<8x10x1xf32>) {
  %c = arith.constant 7 : i8
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%c : i8) outs(%acc : memref<8x16xi8>)
  linalg.map outs(%pad : memref<8x10x1xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  return
}

// -----

#in = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#out = affine_map<(d0, d1, d2, d3) -> (d0, d3)>

// A spatial sum with the channels innermost (global average pooling after
// qc-reorder-reduction-loops): parallel, reduction, reduction, parallel.
// Each output row is one vector, loaded once, carried through both
// reduction loops as an iter_arg and stored once; a per-channel input that
// no reduction iteration changes (the bias) is loaded before them. Each lane
// adds in the original order, so results are unchanged.
// CHECK-LABEL: func.func @channel_row_sum
// CHECK:      scf.for %[[N:.*]] =
// CHECK-DAG:    %[[BIAS:.*]] = vector.load %arg1[%{{.*}}] : memref<8xf32>, vector<8xf32>
// CHECK-DAG:    %[[INIT:.*]] = vector.load %arg2[%[[N]], %{{.*}}] : memref<2x8xf32>, vector<8xf32>
// CHECK:        %[[R:.*]] = scf.for %[[H:.*]] = {{.*}} iter_args(%[[A0:.*]] = %[[INIT]]) -> (vector<8xf32>)
// CHECK:          %[[R2:.*]] = scf.for %[[W:.*]] = {{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (vector<8xf32>)
// CHECK:            %[[X:.*]] = vector.load %arg0[%[[N]], %[[H]], %[[W]], %{{.*}}] : memref<2x3x3x8xf32>, vector<8xf32>
// CHECK:            %[[B:.*]] = arith.addf %[[X]], %[[BIAS]] : vector<8xf32>
// CHECK:            %[[S:.*]] = arith.addf %[[A1]], %[[B]] : vector<8xf32>
// CHECK:            scf.yield %[[S]] : vector<8xf32>
// CHECK:          scf.yield %[[R2]] : vector<8xf32>
// CHECK:        vector.store %[[R]], %arg2[%[[N]], %{{.*}}] : memref<2x8xf32>, vector<8xf32>
// CHECK-NOT:  linalg.generic
// PAR-LABEL: func.func @channel_row_sum
// PAR:        scf.parallel
// PAR:          scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>)
func.func @channel_row_sum(%x: memref<2x3x3x8xf32>, %bias: memref<8xf32>, %out: memref<2x8xf32>) {
  linalg.generic {indexing_maps = [#in, #ch, #out], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x, %bias : memref<2x3x3x8xf32>, memref<8xf32>) outs(%out : memref<2x8xf32>) {
  ^bb0(%v: f32, %b: f32, %s: f32):
    %t = arith.addf %v, %b : f32
    %a = arith.addf %s, %t : f32
    linalg.yield %a : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d2)>
#rows = affine_map<(d0, d1, d2) -> (d0, d1)>

// A fill just before a reduction that stores every element of the filled
// buffer: the reduction starts from the fill's value (for a vector row, its
// splat; for a scalar accumulator, the value) and the fill goes. A fill
// with a store to the buffer between it and the reduction stays.
// CHECK-LABEL: func.func @fill_then_reduce
// CHECK:      scf.for %[[N:.*]] =
// CHECK-NOT:    vector.load %arg1
// CHECK:        %[[Z:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK:        %[[R:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[Z]]) -> (vector<8xf32>)
// CHECK:        vector.store %[[R]], %arg1[%[[N]], %{{.*}}] : memref<2x8xf32>, vector<8xf32>
// CHECK:      scf.for
// CHECK:        scf.for
// CHECK-NOT:      memref.load %arg2
// CHECK:          scf.for {{.*}} iter_args(%{{.*}} = %cst) -> (f32)
// CHECK:      vector.store %{{.*}}, %arg3
// CHECK:      memref.store %{{.*}}, %arg3
// CHECK:      scf.for
// CHECK:        vector.load %arg3
// CHECK-NOT:  linalg.
func.func @fill_then_reduce(%x: memref<2x3x8xf32>, %sum: memref<2x8xf32>, %rowmax: memref<2x3xf32>, %kept: memref<2x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  linalg.fill ins(%zero : f32) outs(%sum : memref<2x8xf32>)
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : memref<2x3x8xf32>) outs(%sum : memref<2x8xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  }
  linalg.fill ins(%zero : f32) outs(%rowmax : memref<2x3xf32>)
  linalg.generic {indexing_maps = [#in, #rows], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : memref<2x3x8xf32>) outs(%rowmax : memref<2x3xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.maximumf %s, %v : f32
    linalg.yield %a : f32
  }
  linalg.fill ins(%zero : f32) outs(%kept : memref<2x8xf32>)
  memref.store %one, %kept[%c0, %c0] : memref<2x8xf32>
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : memref<2x3x8xf32>) outs(%kept : memref<2x8xf32>) {
  ^bb0(%v: f32, %s: f32):
    %a = arith.addf %s, %v : f32
    linalg.yield %a : f32
  }
  return
}
