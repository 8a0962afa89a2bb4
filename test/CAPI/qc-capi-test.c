/*===- qc-capi-test.c - Exercises the qc C API from C --------------*- C
-*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * qc-capi-test <linear.onnxtext> <digits_cnn.onnx> <digits_calib.npz> <tmpdir>
 *
 * Compiled as C99, so a C++-only construct in a qc-c header fails the build.
 * Prints what each call did; capi.test checks the output with FileCheck.
 * Exits non-zero when a call that must succeed fails or the reverse.
 */

#include "qc-c/Compiler.h"
#include "qc-c/Dialects.h"
#include "qc/qc_runtime.h"

#include "mlir-c/IR.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static MlirStringRef ref(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

static void printToStdout(MlirStringRef text, void *user) {
  (void)user;
  fwrite(text.data, 1, text.length, stdout);
}

/* Prints "<label>: ok" or fails the test with the error's text. */
static void expectOk(const char *label, QcError error) {
  if (qcErrorIsNull(error)) {
    printf("%s: ok\n", label);
    return;
  }
  printf("%s: unexpected error: %s\n", label, qcErrorGetMessage(error).data);
  qcErrorDestroy(error);
  ++failures;
}

/* Prints "<label>: error <kind>: <message>", failing the test on success or
 * on another kind. */
static void expectError(const char *label, QcError error, QcErrorKind kind) {
  if (qcErrorIsNull(error)) {
    printf("%s: unexpected success\n", label);
    ++failures;
    return;
  }
  printf("%s: error %d: %s\n", label, (int)qcErrorGetKind(error),
         qcErrorGetMessage(error).data);
  if (qcErrorGetKind(error) != kind)
    ++failures;
  qcErrorDestroy(error);
}

static MlirContext createContext(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  qcRegisterAllDialects(registry);
  MlirContext context = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  return context;
}

static void testPipeline(void) {
  MlirContext context = createContext();
  const char *source =
      "func.func @q(%x: tensor<4xf32>) -> tensor<4x!qc.uniform<i8:f32, "
      "0.5:-3>> {\n"
      "  %q = qc.quantize %x : tensor<4xf32> -> "
      "tensor<4x!qc.uniform<i8:f32, 0.5:-3>>\n"
      "  return %q : tensor<4x!qc.uniform<i8:f32, 0.5:-3>>\n"
      "}\n";
  MlirModule module = mlirModuleCreateParse(context, ref(source));
  if (mlirModuleIsNull(module)) {
    printf("pipeline: cannot parse\n");
    ++failures;
    mlirContextDestroy(context);
    return;
  }
  expectOk("pipeline",
           qcRunPassPipeline(module, ref("builtin.module(convert-qc-to-linalg,"
                                         "canonicalize)")));
  mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
  printf("\n");
  expectError("bad pipeline", qcRunPassPipeline(module, ref("no-such-pass")),
              QcErrorKindInvalidArgument);
  expectError(
      "object of tensor IR",
      qcEmitObject(module, (QcCompileOptions){NULL}, ref("/nonexistent/x.o")),
      QcErrorKindInvalidArgument);
  mlirModuleDestroy(module);
  mlirContextDestroy(context);
}

static void testImportAndEmit(const char *linear, const char *tmp) {
  MlirContext context = createContext();
  QcCompileOptions options = qcCompileOptionsCreate();
  int64_t shape[] = {2, 4};
  expectOk("input shape",
           qcCompileOptionsSetInputShape(options, ref("x"), 2, shape));
  int64_t negative[] = {-2, 4};
  expectError("negative shape",
              qcCompileOptionsSetInputShape(options, ref("x"), 2, negative),
              QcErrorKindInvalidArgument);

  MlirModule module = {NULL};
  expectError(
      "import without shape",
      qcImportONNXFile(context, ref(linear), (QcCompileOptions){NULL}, &module),
      QcErrorKindCompile);
  expectError("import missing file",
              qcImportONNXFile(context, ref("/nonexistent/model.onnx"), options,
                               &module),
              QcErrorKindIO);
  expectError(
      "import garbage bytes",
      qcImportONNXBytes(context, ref("not a model"), ref(""), options, &module),
      QcErrorKindCompile);
  expectOk("import", qcImportONNXFile(context, ref(linear), options, &module));
  if (mlirModuleIsNull(module)) {
    ++failures;
  } else {
    mlirOperationPrint(mlirModuleGetOperation(module), printToStdout, NULL);
    printf("\n");
    expectOk("lower", qcRunPassPipeline(module, ref("qc-cpu-pipeline{aot=true "
                                                    "model-name=linear}")));
    char object[4096];
    snprintf(object, sizeof object, "%s/linear.o", tmp);
    expectOk("emit object", qcEmitObject(module, options, ref(object)));
    FILE *file = fopen(object, "rb");
    unsigned char magic[4] = {0};
    if (!file || fread(magic, 1, 4, file) != 4 ||
        memcmp(magic, "\177ELF", 4) != 0) {
      printf("emit object: not an ELF file\n");
      ++failures;
    } else {
      printf("emit object: ELF\n");
    }
    if (file)
      fclose(file);
    mlirModuleDestroy(module);
  }
  qcCompileOptionsDestroy(options);
  mlirContextDestroy(context);
}

static void onMessage(QcMessageKind kind, MlirStringRef text, void *user) {
  (void)text;
  if (kind == QcMessageKindProgress)
    ++*(int *)user;
}

static void appendTo(MlirStringRef text, void *user) {
  char *buffer = (char *)user;
  size_t used = strlen(buffer);
  size_t room = 65536 - used - 1;
  size_t n = text.length < room ? text.length : room;
  memcpy(buffer + used, text.data, n);
  buffer[used + n] = '\0';
}

/* Keeps the report's JSON (its table is printed by qc-compile). */
static void onReport(MlirStringRef json, MlirStringRef table, void *user) {
  (void)table;
  size_t n = json.length < 65535 ? json.length : 65535;
  memcpy(user, json.data, n);
  ((char *)user)[n] = '\0';
}

/* Runs a compiled linear model on one fixed input through the runtime,
 * writing its output to `y`. */
static void runLinear(const char *so, const char *label, float y[6]) {
  qc_model_t *model = NULL;
  if (qc_model_open(so, &model) != QC_OK) {
    printf("%s: cannot open: %s\n", label, qc_last_error());
    ++failures;
    return;
  }
  float x[8] = {1, 2, 3, 4, -1, 0.5f, 2, -3};
  int64_t xShape[] = {2, 4}, yShape[] = {2, 3};
  qc_tensor_t input = {"x", QC_DTYPE_FLOAT32, 2, xShape, x, sizeof x};
  qc_tensor_t output = {"y", QC_DTYPE_FLOAT32, 2, yShape, y, 6 * sizeof *y};
  if (qc_model_run(model, &input, 1, &output, 1) != QC_OK) {
    printf("%s: run failed: %s\n", label, qc_last_error());
    ++failures;
  } else {
    printf("%s: y = [%.3f %.3f %.3f; %.3f %.3f %.3f]\n", label, y[0], y[1],
           y[2], y[3], y[4], y[5]);
  }
  qc_model_close(model);
}

static void testCompile(const char *linear, const char *digits,
                        const char *digitsCalib, const char *tmp) {
  char so[4096], header[4096];
  snprintf(so, sizeof so, "%s/linear.so", tmp);
  snprintf(header, sizeof header, "%s/linear.h", tmp);

  expectError("null options",
              qcCompile((QcCompileOptions){NULL}, ref(so), ref(header)),
              QcErrorKindInvalidArgument);

  /* Float. */
  QcCompileOptions options = qcCompileOptionsCreate();
  qcCompileOptionsSetModelPath(options, ref(linear));
  int64_t shape[] = {2, 4};
  expectOk("shape", qcCompileOptionsSetInputShape(options, ref("x"), 2, shape));
  expectOk("compile float", qcCompile(options, ref(so), ref(header)));
  float reference[6] = {0}, quantized[6] = {0};
  runLinear(so, "float", reference);

  /* INT8 with calibration arrays passed as memory: 16 samples of [2, 4]
   * spanning [-4, 4], the range of the test input. */
  float calib[16 * 8];
  for (int i = 0; i < 16 * 8; ++i)
    calib[i] = (float)((i * 37) % 81) / 10.0f - 4.0f;
  int64_t calibShape[] = {16, 2, 4};
  expectError("calib size",
              qcCompileOptionsAddCalibArray(options, ref("x"), QC_DTYPE_FLOAT32,
                                            3, calibShape, calib,
                                            sizeof calib - 4),
              QcErrorKindInvalidArgument);
  expectOk("calib array",
           qcCompileOptionsAddCalibArray(options, ref("x"), QC_DTYPE_FLOAT32, 3,
                                         calibShape, calib, sizeof calib));
  qcCompileOptionsSetQuantize(options, ref("int8"));
  int progress = 0;
  qcCompileOptionsSetMessageCallback(options, onMessage, &progress);
  expectOk("compile int8", qcCompile(options, ref(so), ref("")));
  printf("progress lines: %s\n", progress > 0 ? "yes" : "no");
  runLinear(so, "int8", quantized);
  /* One 8-bit step of x (8/255) times the largest |row sum| of w (3.5),
   * plus the weights' own rounding: well under 0.25. */
  float worst = 0;
  for (int i = 0; i < 6; ++i) {
    float d = quantized[i] - reference[i];
    if (d < 0)
      d = -d;
    if (d > worst)
      worst = d;
  }
  /* Identical outputs would mean nothing was quantized. */
  printf("int8 within 0.25 of float, not equal: %s\n",
         worst <= 0.25f && worst > 0 ? "yes" : "no");
  if (worst > 0.25f || worst == 0)
    ++failures;

  static char table[65536];
  table[0] = '\0';
  expectOk("calibrate", qcCalibrate(options, appendTo, table));
  printf("table has tensors: %s\n",
         strstr(table, "\"tensors\"") && strstr(table, "\"min\"") ? "yes"
                                                                  : "no");

  /* Weight-only W4A16 with round-to-nearest: one group of 4 input
   * channels per output column. The largest column range is 2.5, so a
   * weight moves by at most 2.5 / 15 / 2 and an output by that times the
   * largest |row sum| of x (10): under 1. */
  float w4[6] = {0};
  qcCompileOptionsSetQuantize(options, ref("w4a16"));
  qcCompileOptionsSetWeightGroupSize(options, 0);
  expectOk("compile w4a16", qcCompile(options, ref(so), ref("")));
  runLinear(so, "w4a16", w4);
  worst = 0;
  for (int i = 0; i < 6; ++i) {
    float d = w4[i] - reference[i];
    if (d < 0)
      d = -d;
    if (d > worst)
      worst = d;
  }
  printf("w4a16 within 1 of float, not equal: %s\n",
         worst < 1.0f && worst > 0 ? "yes" : "no");
  if (worst >= 1.0f || worst == 0)
    ++failures;
  qcCompileOptionsSetAlgorithm(options, ref("gptq"));
  expectOk("compile w4a16 gptq", qcCompile(options, ref(so), ref("")));
  static char noReport[65536];
  qcCompileOptionsSetReportCallback(options, onReport, noReport);
  expectError("w4a16 report", qcCompile(options, ref(so), ref("")),
              QcErrorKindUnsupported);
  qcCompileOptionsSetReportCallback(options, NULL, NULL);
  qcCompileOptionsSetWeightGroupSize(options, -3);
  expectError("negative group size", qcCompile(options, ref(so), ref("")),
              QcErrorKindInvalidArgument);
  qcCompileOptionsSetWeightGroupSize(options, 0);
  qcCompileOptionsSetWeightOnlyCompute(options, ref("fast"));
  expectError("unknown weight-only compute",
              qcCompile(options, ref(so), ref("")), QcErrorKindCompile);
  qcCompileOptionsSetWeightOnlyCompute(options, ref(""));

  /* Bad values. */
  qcCompileOptionsSetQuantize(options, ref("int8"));
  expectError("algorithm", qcCompile(options, ref(so), ref("")),
              QcErrorKindCompile);
  qcCompileOptionsSetAlgorithm(options, ref("optq"));
  qcCompileOptionsSetQuantize(options, ref("w4a16"));
  expectError("unknown algorithm", qcCompile(options, ref(so), ref("")),
              QcErrorKindCompile);
  qcCompileOptionsSetAlgorithm(options, ref(""));
  qcCompileOptionsSetQuantize(options, ref("int4"));
  expectError("scheme", qcCompile(options, ref(so), ref("")),
              QcErrorKindCompile);
  qcCompileOptionsSetQuantize(options, ref("int8"));
  qcCompileOptionsSetCalibMethod(options, ref("median"));
  expectError("calib method", qcCompile(options, ref(so), ref("")),
              QcErrorKindCompile);
  qcCompileOptionsDestroy(options);

  /* A real model from bytes, calibrated from an .npz, through a context of
   * the caller's own (qcBuildModule + qcEmitSharedObject). */
  FILE *file = fopen(digits, "rb");
  static char bytes[1 << 20];
  size_t size = file ? fread(bytes, 1, sizeof bytes, file) : 0;
  if (file)
    fclose(file);
  options = qcCompileOptionsCreate();
  qcCompileOptionsSetModelBytes(options, mlirStringRefCreate(bytes, size));
  qcCompileOptionsSetModelName(options, ref("digits"));
  int64_t imageShape[] = {1, 1, 8, 8};
  expectOk("digits shape",
           qcCompileOptionsSetInputShape(options, ref("image"), 4, imageShape));
  qcCompileOptionsSetQuantize(options, ref("int8"));
  qcCompileOptionsSetCalibPath(options, ref(digitsCalib));
  /* With the quantization report, measured while building. */
  static char reportJson[65536];
  reportJson[0] = '\0';
  qcCompileOptionsSetReportCallback(options, onReport, reportJson);
  MlirContext context = createContext();
  MlirModule module = {NULL};
  expectOk("build", qcBuildModule(context, options, &module));
  printf("report has layers and outputs: %s\n",
         strstr(reportJson, "\"layers\"") &&
                 strstr(reportJson, "\"outputs\"") &&
                 strstr(reportJson, "\"sqnr_db\"")
             ? "yes"
             : "no");
  if (!mlirModuleIsNull(module)) {
    char digitsSo[4096], digitsHeader[4096];
    snprintf(digitsSo, sizeof digitsSo, "%s/digits.so", tmp);
    snprintf(digitsHeader, sizeof digitsHeader, "%s/digits.h", tmp);
    expectOk(
        "emit shared object",
        qcEmitSharedObject(module, options, ref(digitsSo), ref(digitsHeader)));
    qc_model_t *model = NULL;
    if (qc_model_open(digitsSo, &model) == QC_OK) {
      qc_tensor_info_t info;
      qc_model_output_info(model, 0, &info);
      printf("digits: %s -> %s rank %d\n", qc_model_name(model), info.name,
             (int)info.rank);
      qc_model_close(model);
    } else {
      printf("digits: cannot open: %s\n", qc_last_error());
      ++failures;
    }
    mlirModuleDestroy(module);
  }
  mlirContextDestroy(context);
  qcCompileOptionsDestroy(options);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: qc-capi-test <linear.onnxtext> <digits_cnn.onnx> "
                    "<digits_calib.npz> <tmpdir>\n");
    return 2;
  }
  printf("C API version %u\n", qcGetCAPIVersion());
  qcRegisterAllPasses();
  qcRegisterAllPasses(); /* idempotent */
  testPipeline();
  testImportAndEmit(argv[1], argv[4]);
  testCompile(argv[1], argv[2], argv[3], argv[4]);
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
