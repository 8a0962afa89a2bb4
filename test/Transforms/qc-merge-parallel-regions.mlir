// RUN: qc-opt %s -split-input-file --qc-merge-parallel-regions | FileCheck %s

// Two regions with the same team size and a sequential fill between them:
// one region; the view (no memory effects) moves above it, the fill runs in
// omp.single between the two worksharing loops.
// CHECK-LABEL: func.func @merge
// CHECK:      %[[VIEW:.*]] = memref.subview %arg1
// CHECK:      omp.parallel num_threads
// CHECK:        omp.wsloop
// CHECK:          memref.store %{{.*}}, %arg0
// CHECK:        omp.single {
// CHECK:          scf.for
// CHECK:            memref.store %{{.*}}, %[[VIEW]]
// CHECK:          omp.terminator
// CHECK:        }
// CHECK:        omp.wsloop
// CHECK:          memref.store %{{.*}}, %arg1
// CHECK:        omp.terminator
// CHECK-NOT:  omp.parallel
// CHECK:      return
func.func @merge(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 2 : i32
  omp.parallel num_threads(%n : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %view = memref.subview %b[0] [8] [1] : memref<64xf32> to memref<8xf32, strided<[1]>>
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %view[%i] : memref<8xf32, strided<[1]>>
  }
  %m = arith.constant 2 : i32
  omp.parallel num_threads(%m : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %a[%i] : memref<64xf32>
        memref.store %v, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Not merged: different team sizes; a load between two regions (an effect
// whose result later code reads); a loop that holds a region of its own.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: omp.parallel
// CHECK-NOT: omp.single
func.func @kept(%a: memref<64xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2 : i32
  %four = arith.constant 4 : i32
  omp.parallel num_threads(%two : i32) {
    omp.terminator
  }
  omp.parallel num_threads(%four : i32) {
    omp.terminator
  }
  %v = memref.load %a[%c0] : memref<64xf32>
  omp.parallel num_threads(%four : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %v, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  scf.for %j = %c0 to %c2 step %c1 {
    omp.parallel num_threads(%four : i32) {
      omp.terminator
    }
  }
  return
}

// -----

// A collapsed worksharing loop runs its longest loop outermost, so that a
// static schedule splits it (the row blocks of a GEMM kernel, like the
// batch loops around it) rather than the short one (its two column blocks):
// each thread then reads the rows the loop before wrote on the same thread.
// Loops already in that order and loops with non-constant bounds keep
// their order.
// CHECK-LABEL: func.func @collapsed_order
// CHECK:      omp.loop_nest (%[[R:.*]], %[[C:.*]]) : index = (%{{.*}}, %{{.*}}) to (%c16, %c2) step (%{{.*}}, %{{.*}}) collapse(2) {
// CHECK:        memref.store %{{.*}}, %arg0[%[[C]], %[[R]]]
// CHECK:      omp.loop_nest (%[[I:.*]], %[[J:.*]]) : index = (%{{.*}}, %{{.*}}) to (%c16, %c2) step
// CHECK:        memref.store %{{.*}}, %arg0[%[[J]], %[[I]]]
// CHECK:      omp.loop_nest (%[[P:.*]], %[[Q:.*]]) : index = (%{{.*}}, %{{.*}}) to (%c2, %arg1) step
// CHECK:        memref.store %{{.*}}, %arg0[%[[P]], %[[Q]]]
func.func @collapsed_order(%a: memref<2x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %t = arith.constant 2 : i32
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%c2, %c16) step (%c1, %c1) collapse(2) {
        memref.store %zero, %a[%i, %j] : memref<2x16xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%j, %i) : index = (%c0, %c0) to (%c16, %c2) step (%c1, %c1) collapse(2) {
        memref.store %zero, %a[%i, %j] : memref<2x16xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%c2, %n) step (%c1, %c1) collapse(2) {
        memref.store %zero, %a[%i, %j] : memref<2x16xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Worksharing loops without the barrier nothing needs (nowait). Byte
// ranges are followed through views of one buffer: iteration i of loop 1
// writes row i of %a, which only iteration i of loop 2 reads; a static
// schedule runs both on the same thread (same trip count, made explicit).
// Loop 3 reads row 0 of %b in every iteration, so loop 2 keeps its barrier.
// Loop 3 and the omp.single touch disjoint bytes. Loop 5 (32 iterations)
// and loop 6 (64) split differently: loop 5 keeps its barrier. The last
// loop needs none (the region ends with one).
// CHECK-LABEL: func.func @barriers
// CHECK:      omp.wsloop nowait schedule(static) {
// CHECK:        memref.store %{{.*}}, %[[A:.*]][
// CHECK:      omp.wsloop schedule(static) {
// CHECK:        vector.store
// CHECK:      omp.wsloop nowait schedule(static) {
// CHECK:        vector.load %{{.*}}[%c0, %c0]
// CHECK:      omp.single {
// CHECK:      omp.wsloop {
// CHECK:        affine.apply
// CHECK:      omp.wsloop nowait {
// CHECK:      omp.terminator
func.func @barriers(%ws: memref<4096xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %c3072 = arith.constant 3072 : index
  %x = arith.constant 7 : i8
  %t = arith.constant 2 : i32
  %a = memref.view %ws[%c0][] : memref<4096xi8> to memref<64x16xi8>
  %b = memref.view %ws[%c1024][] : memref<4096xi8> to memref<64x16xi8>
  %c = memref.view %ws[%c2048][] : memref<4096xi8> to memref<64x16xi8>
  %d = memref.view %ws[%c3072][] : memref<4096xi8> to memref<16xi8>
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        scf.for %j = %c0 to %c16 step %c1 {
          memref.store %x, %a[%i, %j] : memref<64x16xi8>
        }
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = vector.load %a[%i, %c0] : memref<64x16xi8>, vector<16xi8>
        vector.store %v, %b[%i, %c0] : memref<64x16xi8>, vector<16xi8>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = vector.load %b[%c0, %c0] : memref<64x16xi8>, vector<16xi8>
        vector.store %v, %c[%i, %c0] : memref<64x16xi8>, vector<16xi8>
        omp.yield
      }
    }
    omp.single {
      memref.store %x, %d[%c0] : memref<16xi8>
      omp.terminator
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c32) step (%c1) {
        %r = affine.apply affine_map<(d0) -> (d0 * 2)>(%i)
        %r1 = arith.addi %r, %c1 : index
        %v = vector.load %c[%r, %c0] : memref<64x16xi8>, vector<16xi8>
        vector.store %v, %a[%r, %c0] : memref<64x16xi8>, vector<16xi8>
        vector.store %v, %a[%r1, %c0] : memref<64x16xi8>, vector<16xi8>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = vector.load %a[%i, %c0] : memref<64x16xi8>, vector<16xi8>
        vector.store %v, %b[%i, %c0] : memref<64x16xi8>, vector<16xi8>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Unknown accesses keep the barriers: a loop whose index comes from memory,
// and two buffers that are distinct arguments (which may be one buffer).
// CHECK-LABEL: func.func @kept_barriers
// CHECK:      omp.wsloop {
// CHECK:        memref.load %arg2
// CHECK:      omp.wsloop {
// CHECK:        memref.store %{{.*}}, %arg0
// CHECK:      omp.wsloop nowait {
func.func @kept_barriers(%a: memref<64xf32>, %b: memref<64xf32>, %idx: memref<64xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %t = arith.constant 2 : i32
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %j = memref.load %idx[%i] : memref<64xindex>
        memref.store %zero, %a[%j] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %b[%i] : memref<64xf32>
        memref.store %v, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Buffers by identity: two get_global of one mutable global are one buffer
// (loop 1 keeps its barrier: loop 2 reads element 0 in every iteration);
// loop 2 keeps its barrier too (loop 3 writes element 0 of %tmp in every
// iteration); an allocation is not an argument (loop 3 writes only %tmp,
// loop 4 only the argument: no barrier).
// CHECK-LABEL: func.func @buffers
// CHECK:      omp.wsloop {
// CHECK:        memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<64xf32>
// CHECK:      omp.wsloop {
// CHECK:        memref.load %{{.*}}[%c0] : memref<64xf32>
// CHECK:      omp.wsloop nowait schedule(static) {
// CHECK:        memref.store %{{.*}}, %alloc[%c0]
// CHECK:      omp.wsloop nowait schedule(static) {
// CHECK:        memref.store %{{.*}}, %arg0[%c0]
memref.global "private" @g : memref<64xf32> = uninitialized
func.func @buffers(%arg: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %t = arith.constant 2 : i32
  %g1 = memref.get_global @g : memref<64xf32>
  %g2 = memref.get_global @g : memref<64xf32>
  %tmp = memref.alloc() : memref<64xf32>
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %g1[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %g2[%c0] : memref<64xf32>
        memref.store %v, %tmp[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %tmp[%c0] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %arg[%c0] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  memref.dealloc %tmp : memref<64xf32>
  return
}

// -----

// A region whose loops already skip barriers is left alone.
// CHECK-LABEL: func.func @already_nowait
// CHECK:      omp.wsloop nowait {
// CHECK:      omp.wsloop {
// CHECK:      omp.wsloop {
func.func @already_nowait(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %t = arith.constant 2 : i32
  omp.parallel num_threads(%t : i32) {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %a[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %b[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Worksharing loops with at most one iteration per thread and few nested
// iterations run inside the omp.single next to them (before or after), as
// plain loops in iteration order; adjacent singles become one, and the
// single that ends the region needs no barrier. A loop with more
// iterations than threads, or with many nested iterations, stays.
// CHECK-LABEL: func.func @fold_small_loops
// CHECK:      omp.wsloop {
// CHECK:        omp.loop_nest (%{{.*}}) : index = (%c0) to (%c3)
// CHECK:      omp.wsloop {
// CHECK:        omp.loop_nest (%{{.*}}) : index = (%c0) to (%c2)
// CHECK:          scf.for %{{.*}} = %c0 to %c1000
// CHECK:      omp.single nowait {
// CHECK-NEXT:   memref.store %{{.*}}, %arg0[%c0]
// CHECK-NEXT:   scf.for %[[I:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT:     scf.for %[[J:.*]] = %c0 to %c4 step %c1 {
// CHECK-NEXT:       memref.store %{{.*}}, %arg1[%[[I]], %[[J]]]
// CHECK:        memref.store %{{.*}}, %arg0[%c1]
// CHECK-NEXT:   scf.for %[[K:.*]] = %c0 to %c1 step %c1 {
// CHECK-NEXT:     memref.store %{{.*}}, %arg0[%[[K]]]
// CHECK:        omp.terminator
// CHECK-NOT:  omp.wsloop
// CHECK:      omp.terminator
func.func @fold_small_loops(%a: memref<4xf32>, %b: memref<2x4xf32>, %c: memref<3x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c1000 = arith.constant 1000 : index
  %zero = arith.constant 0.0 : f32
  %t = arith.constant 2 : i32
  omp.parallel num_threads(%t : i32) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c3) step (%c1) {
        memref.store %zero, %c[%i, %c0] : memref<3x1000xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c2) step (%c1) {
        scf.for %j = %c0 to %c1000 step %c1 {
          memref.store %zero, %c[%i, %j] : memref<3x1000xf32>
        }
        omp.yield
      }
    }
    omp.single {
      memref.store %zero, %a[%c0] : memref<4xf32>
      omp.terminator
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c2) step (%c1) {
        scf.for %j = %c0 to %c4 step %c1 {
          memref.store %zero, %b[%i, %j] : memref<2x4xf32>
        }
        omp.yield
      }
    }
    omp.single {
      memref.store %zero, %a[%c1] : memref<4xf32>
      omp.terminator
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c1) step (%c1) {
        memref.store %zero, %a[%i] : memref<4xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
