/*===- run_raw.c - Run a compiled model on raw binary files -----*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * A minimal, dependency-free driver for testing cross-compiled models under
 * qemu-user: run_raw MODEL.so IN0.bin ... OUT0.bin ... Each file holds the
 * dense little-endian bytes of one tensor, in signature order. Built from
 * the same runtime sources as the host runtime.
 */

#include "qc/qc_runtime.h"

#include <stdio.h>
#include <stdlib.h>

static size_t tensorBytes(const qc_tensor_info_t *info) {
  size_t n = qc_dtype_size(info->dtype);
  for (int32_t i = 0; i < info->rank; ++i)
    n *= (size_t)info->shape[i];
  return n;
}

int main(int argc, char **argv) {
  qc_model_t *model;
  if (argc < 2 || qc_model_open(argv[1], &model) != QC_OK) {
    fprintf(stderr, "run_raw: %s\n",
            argc < 2 ? "usage: run_raw MODEL.so IN... OUT..."
                     : qc_last_error());
    return 1;
  }
  size_t nin = qc_model_num_inputs(model), nout = qc_model_num_outputs(model);
  if ((size_t)argc != 2 + nin + nout) {
    fprintf(stderr, "run_raw: model takes %zu inputs and %zu outputs\n", nin,
            nout);
    return 1;
  }
  qc_tensor_t *tensors = calloc(nin + nout, sizeof(qc_tensor_t));
  for (size_t i = 0; i < nin + nout; ++i) {
    qc_tensor_info_t info;
    if (i < nin)
      qc_model_input_info(model, i, &info);
    else
      qc_model_output_info(model, i - nin, &info);
    size_t bytes = tensorBytes(&info);
    tensors[i] = (qc_tensor_t){NULL,       info.dtype,        info.rank,
                               info.shape, malloc(bytes + 1), bytes};
    if (i < nin) {
      FILE *f = fopen(argv[2 + i], "rb");
      if (!f || fread(tensors[i].data, 1, bytes, f) != bytes) {
        fprintf(stderr, "run_raw: cannot read %zu bytes from %s\n", bytes,
                argv[2 + i]);
        return 1;
      }
      fclose(f);
    }
  }
  if (qc_model_run(model, tensors, nin, tensors + nin, nout) != QC_OK) {
    fprintf(stderr, "run_raw: %s\n", qc_last_error());
    return 1;
  }
  for (size_t i = 0; i < nout; ++i) {
    FILE *f = fopen(argv[2 + nin + i], "wb");
    if (!f || fwrite(tensors[nin + i].data, 1, tensors[nin + i].size_bytes,
                     f) != tensors[nin + i].size_bytes) {
      fprintf(stderr, "run_raw: cannot write %s\n", argv[2 + nin + i]);
      return 1;
    }
    fclose(f);
  }
  qc_model_close(model);
  return 0;
}
