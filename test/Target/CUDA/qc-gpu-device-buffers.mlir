// RUN: qc-opt %s --split-input-file --verify-diagnostics --qc-gpu-device-buffers | FileCheck %s

// The entry's buffers (one input, one output per qc.signature) get device
// copies: the input is copied in at entry, the output copied back before
// returning; the temporary becomes device memory, and the constant the
// kernel reads moves into the kernel.
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: %[[DX:.*]] = gpu.alloc () : memref<4xf32>
// CHECK: gpu.memcpy %[[DX]], %[[X]] : memref<4xf32>, memref<4xf32>
// CHECK: %[[DY:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NOT: gpu.memcpy %[[DY]]
// CHECK: %[[T:.*]] = gpu.alloc () : memref<4xf32>
// CHECK-NOT: memref.get_global
// CHECK: gpu.launch
// CHECK: memref.get_global @cst : memref<4xf32>
// CHECK: memref.load %[[DX]]
// CHECK: memref.store %{{.*}}, %[[T]]
// CHECK: gpu.launch
// CHECK: memref.load %[[T]]
// CHECK: memref.store %{{.*}}, %[[DY]]
// CHECK: gpu.dealloc %[[T]]
// CHECK: gpu.memcpy %[[Y]], %[[DY]] : memref<4xf32>, memref<4xf32>
// CHECK: gpu.dealloc %[[DX]]
// CHECK: gpu.dealloc %[[DY]]
// CHECK: return
module attributes {qc.signature = "qc-signature 1\0Amodel 1:m\0Ainputs 1\0A1:x 1 1 4\0Aoutputs 1\0A1:y 1 1 4\0A"} {
  memref.global "private" constant @cst : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
  func.func @main_graph(%x: memref<4xf32>, %y: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %cst = memref.get_global @cst : memref<4xf32>
    %t = memref.alloc() : memref<4xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %v = memref.load %x[%tx] : memref<4xf32>
      %w = memref.load %cst[%tx] : memref<4xf32>
      %s = arith.addf %v, %w : f32
      memref.store %s, %t[%tx] : memref<4xf32>
      gpu.terminator
    }
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %v = memref.load %t[%tx] : memref<4xf32>
      memref.store %v, %y[%tx] : memref<4xf32>
      gpu.terminator
    }
    memref.dealloc %t : memref<4xf32>
    return
  }
}

// -----

// Host code that reads tensor data cannot run on the CUDA target.
func.func @host_read(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{host code accesses tensor data}}
  %v = memref.load %x[%c0] : memref<4xf32>
  memref.store %v, %y[%c0] : memref<4xf32>
  return
}

// -----

// A scalar read from tensor data that only a kernel uses (a runtime zero
// point) is read by the kernel itself, with the host arithmetic on it.
// CHECK-LABEL: func.func @scalar_into_kernel
// CHECK-NOT: memref.load
// CHECK: gpu.launch
// CHECK: %[[Z:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[Z2:.*]] = arith.mulf %[[Z]], %[[Z]]
// CHECK: arith.addf %{{.*}}, %[[Z2]]
func.func @scalar_into_kernel(%x: memref<4xf32>, %zp: memref<f32>, %y: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = memref.load %zp[] : memref<f32>
  %z2 = arith.mulf %z, %z : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<4xf32>
    %s = arith.addf %v, %z2 : f32
    memref.store %s, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// A scalar the host computes from a kernel's result and writes to a 0-d
// output (DynamicQuantizeLinear's scale): the kernel may not be moved past
// the second write of the buffer, so the host reads and writes through
// host copies.
// CHECK-LABEL: func.func @scalar_on_host
// CHECK: gpu.launch
// CHECK: %[[TMP:.*]] = memref.alloca() : memref<f32>
// CHECK: gpu.memcpy %[[TMP]], %[[DEV:.*]] : memref<f32>, memref<f32>
// CHECK: %[[V:.*]] = memref.load %[[TMP]][] : memref<f32>
// CHECK: gpu.launch
// CHECK: %[[S:.*]] = arith.mulf %[[V]]
// CHECK: %[[OUT:.*]] = memref.alloca() : memref<f32>
// CHECK: memref.store %[[S]], %[[OUT]][] : memref<f32>
// CHECK: gpu.memcpy %{{.*}}, %[[OUT]] : memref<f32>, memref<f32>
func.func @scalar_on_host(%x: memref<4xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.alloc() : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%c0] : memref<4xf32>
    memref.store %v, %t[] : memref<f32>
    gpu.terminator
  }
  %m = memref.load %t[] : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%c1] : memref<4xf32>
    memref.store %v, %t[] : memref<f32>
    gpu.terminator
  }
  %s = arith.mulf %m, %m : f32
  memref.store %s, %out[] : memref<f32>
  memref.dealloc %t : memref<f32>
  return
}
