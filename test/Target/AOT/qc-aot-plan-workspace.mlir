// RUN: qc-opt %s -split-input-file --qc-aot-plan-workspace | FileCheck %s
// RUN: qc-opt %s -split-input-file --qc-aot-plan-workspace="entry=escapes" | FileCheck %s --check-prefix=ESC

// %a (1024 B) dies when %c (512 B) is born, so %c reuses its offset; %b
// (256 B) lives across both and goes after %a. Workspace: 1024 + 256.
// CHECK: module attributes {qc.workspace_size = 1280 : i64}
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: %[[WS:[a-z0-9]+]]: memref<1280xi8>
// CHECK-NOT: memref.alloc
// CHECK: memref.view %[[WS]][%c0{{[_0-9]*}}][] : memref<1280xi8> to memref<256xf32>
// CHECK: memref.view %[[WS]][%c1024{{[_0-9]*}}][] : memref<1280xi8> to memref<64xf32>
// CHECK: memref.view %[[WS]][%c0{{[_0-9]*}}][] : memref<1280xi8> to memref<128xf32>
func.func @main_graph(%in: memref<256xf32>, %out: memref<128xf32>) {
  %a = memref.alloc() : memref<256xf32>
  memref.copy %in, %a : memref<256xf32> to memref<256xf32>
  %b = memref.alloc() : memref<64xf32>
  %sa = memref.subview %a[0] [64] [1] : memref<256xf32> to memref<64xf32, strided<[1]>>
  memref.copy %sa, %b : memref<64xf32, strided<[1]>> to memref<64xf32>
  %c = memref.alloc() : memref<128xf32>
  %sc = memref.subview %c[0] [64] [1] : memref<128xf32> to memref<64xf32, strided<[1]>>
  memref.copy %b, %sc : memref<64xf32> to memref<64xf32, strided<[1]>>
  memref.copy %c, %out : memref<128xf32> to memref<128xf32>
  return
}

// -----

// Returned (escaping) and dynamically sized buffers stay allocations.
// ESC-LABEL: func.func @escapes
// ESC-NOT: memref.view
// ESC: memref.alloc() : memref<4xf32>
// ESC: memref.alloc(%{{.*}}) : memref<?xf32>
func.func @escapes(%n: index) -> memref<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  return %a : memref<4xf32>
}

// -----

// i1 elements take a byte each in memory: 100 of them need 100 bytes.
// CHECK: module attributes {qc.workspace_size = 128 : i64}
// CHECK-LABEL: func.func @main_graph
// CHECK: memref.view %{{.*}}[%c0{{[_0-9]*}}][] : memref<128xi8> to memref<100xi1>
func.func @main_graph(%in: memref<100xi1>, %out: memref<100xi1>) {
  %a = memref.alloc() : memref<100xi1>
  memref.copy %in, %a : memref<100xi1> to memref<100xi1>
  memref.copy %a, %out : memref<100xi1> to memref<100xi1>
  return
}
