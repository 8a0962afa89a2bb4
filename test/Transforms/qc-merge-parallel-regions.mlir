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
