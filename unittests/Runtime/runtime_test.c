/*===- runtime_test.c - Tests of the qc runtime C API -------------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Compiled as C99 so that anything C++-only in qc/qc_runtime.h breaks the
 * build. Usage:
 *
 *   qc_runtime_test <fixture.so> <bad-signature.so> <bad-abi.so>
 *                   <no-invoke.so> <env.so>
 *
 * (the five builds of fixture_model.c). Prints every failed check and ends
 * with "N passed, M failed"; exits non-zero if anything failed. Set
 * QC_TEST_VERBOSE=1 to also print each error message the runtime produced.
 */

#define _POSIX_C_SOURCE 200809L

#include "qc/qc_runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_passed, g_failed, g_verbose;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++g_passed;                                                              \
    } else {                                                                   \
      ++g_failed;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* Checks that `expr` returns `want` and, unless NULL, that the message
 * contains `substr`. */
#define CHECK_STATUS(expr, want, substr)                                       \
  check_status((expr), (want), (substr), #expr, __FILE__, __LINE__)

static void check_status(qc_status_t got, qc_status_t want, const char *substr,
                         const char *expr, const char *file, int line) {
  const char *msg = qc_last_error();
  int ok = got == want;
  if (ok && want != QC_OK && substr && !strstr(msg, substr))
    ok = 0;
  if (ok) {
    ++g_passed;
    if (g_verbose && want != QC_OK)
      printf("  [%s] %s\n", qc_status_string(got), msg);
    return;
  }
  ++g_failed;
  fprintf(stderr,
          "%s:%d: %s\n  returned %s (%d), expected %s (%d)\n  message: %s\n",
          file, line, expr, qc_status_string(got), (int)got,
          qc_status_string(want), (int)want, msg);
  if (substr)
    fprintf(stderr, "  expected the message to contain: %s\n", substr);
}

static const char *g_fixture, *g_bad_signature, *g_bad_abi, *g_no_invoke,
    *g_env_fixture;

/*===----------------------------------------------------------------------===*/
/* Helpers for the fixture model                                              */
/*===----------------------------------------------------------------------===*/

static const int64_t kShapeX[2] = {2, 3};
static const int64_t kShapeK[1] = {3};

typedef struct fixture_io {
  float x[6];
  int8_t k[3];
  float y[6];
  int32_t s;
  qc_tensor_t in[2];
  qc_tensor_t out[2];
} fixture_io_t;

/* Fills `io` with inputs derived from `seed` and well-formed tensors. */
static void fixture_io_init(fixture_io_t *io, int named, int seed) {
  int i;
  memset(io, 0, sizeof(*io));
  for (i = 0; i < 6; ++i)
    io->x[i] = (float)(i + seed) * 0.5f - 1.0f;
  for (i = 0; i < 3; ++i)
    io->k[i] = (int8_t)((seed * 7 + i * 13) % 255 - 127);
  for (i = 0; i < 6; ++i)
    io->y[i] = -12345.0f;
  io->s = -12345;
  io->in[0].name = named ? "x" : NULL;
  io->in[0].dtype = QC_DTYPE_FLOAT32;
  io->in[0].rank = 2;
  io->in[0].shape = kShapeX;
  io->in[0].data = io->x;
  io->in[0].size_bytes = sizeof(io->x);
  io->in[1].name = named ? "k" : NULL;
  io->in[1].dtype = QC_DTYPE_INT8;
  io->in[1].rank = 1;
  io->in[1].shape = kShapeK;
  io->in[1].data = io->k;
  io->in[1].size_bytes = sizeof(io->k);
  io->out[0] = io->in[0];
  io->out[0].name = named ? "y" : NULL;
  io->out[0].data = io->y;
  io->out[0].size_bytes = sizeof(io->y);
  io->out[1].name = named ? "s" : NULL;
  io->out[1].dtype = QC_DTYPE_INT32;
  io->out[1].rank = 0;
  io->out[1].shape = NULL;
  io->out[1].data = &io->s;
  io->out[1].size_bytes = sizeof(io->s);
}

/* Whether the outputs in `io` hold the exact expected values. */
static int fixture_io_correct(const fixture_io_t *io) {
  int i, j;
  for (i = 0; i < 2; ++i)
    for (j = 0; j < 3; ++j)
      if (io->y[i * 3 + j] != io->x[i * 3 + j] * 2.0f + (float)io->k[j])
        return 0;
  return io->s == (int32_t)io->k[0] + io->k[1] + io->k[2];
}

/* Whether the outputs in `io` are untouched. */
static int fixture_io_untouched(const fixture_io_t *io) {
  int i;
  for (i = 0; i < 6; ++i)
    if (io->y[i] != -12345.0f)
      return 0;
  return io->s == -12345;
}

/*===----------------------------------------------------------------------===*/
/* Tests                                                                      */
/*===----------------------------------------------------------------------===*/

static void test_basics(void) {
  static const struct {
    qc_dtype_t dtype;
    size_t size;
    const char *name;
  } dtypes[] = {
      {QC_DTYPE_FLOAT32, 4, "float32"},
      {QC_DTYPE_UINT8, 1, "uint8"},
      {QC_DTYPE_INT8, 1, "int8"},
      {QC_DTYPE_UINT16, 2, "uint16"},
      {QC_DTYPE_INT16, 2, "int16"},
      {QC_DTYPE_INT32, 4, "int32"},
      {QC_DTYPE_INT64, 8, "int64"},
      {QC_DTYPE_BOOL, 1, "bool"},
      {QC_DTYPE_FLOAT16, 2, "float16"},
      {QC_DTYPE_FLOAT64, 8, "float64"},
      {QC_DTYPE_UINT32, 4, "uint32"},
      {QC_DTYPE_UINT64, 8, "uint64"},
      {QC_DTYPE_BFLOAT16, 2, "bfloat16"},
      {QC_DTYPE_FLOAT8E4M3FN, 1, "float8e4m3fn"},
      {QC_DTYPE_FLOAT8E5M2, 1, "float8e5m2"},
  };
  size_t i;
  int s;

  CHECK(qc_runtime_api_version() == QC_RUNTIME_API_VERSION);
  CHECK(qc_runtime_api_version() == 1);
  for (i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); ++i) {
    CHECK(qc_dtype_size(dtypes[i].dtype) == dtypes[i].size);
    CHECK(strcmp(qc_dtype_name(dtypes[i].dtype), dtypes[i].name) == 0);
  }
  CHECK(qc_dtype_size(QC_DTYPE_UNDEFINED) == 0);
  CHECK(qc_dtype_size((qc_dtype_t)8) == 0); /* ONNX string */
  CHECK(qc_dtype_size((qc_dtype_t)1000) == 0);
  CHECK(strcmp(qc_dtype_name(QC_DTYPE_UNDEFINED), "undefined") == 0);
  CHECK(strcmp(qc_dtype_name((qc_dtype_t)1000), "undefined") == 0);
  for (s = QC_OK; s <= QC_ERROR_OUT_OF_MEMORY; ++s) {
    const char *str = qc_status_string((qc_status_t)s);
    CHECK(str != NULL && *str != '\0' &&
          strcmp(str, qc_status_string((qc_status_t)(s + 1))) != 0);
  }
  CHECK(strcmp(qc_status_string(QC_OK), "ok") == 0);
  CHECK(qc_status_string((qc_status_t)-1) != NULL);
}

static void test_open_errors(void) {
  qc_model_t *model = (qc_model_t *)1;
  char path[64];
  FILE *f;

  CHECK_STATUS(qc_model_open(NULL, &model), QC_ERROR_INVALID_ARGUMENT,
               "path is NULL");
  CHECK(model == NULL);
  CHECK_STATUS(qc_model_open(g_fixture, NULL), QC_ERROR_INVALID_ARGUMENT,
               "NULL");
  CHECK_STATUS(qc_model_open("", &model), QC_ERROR_INVALID_ARGUMENT, "empty");
  CHECK_STATUS(qc_model_open("/nonexistent/dir/model.so", &model), QC_ERROR_IO,
               "cannot open model '/nonexistent/dir/model.so'");
  CHECK(strstr(qc_last_error(), "No such file") != NULL);
  CHECK(model == NULL);
  CHECK_STATUS(qc_model_open("no-such-model.so", &model), QC_ERROR_IO,
               "'no-such-model.so'");
  CHECK_STATUS(qc_model_open("/", &model), QC_ERROR_IO, "directory");

  /* A file that is not a shared object. */
  snprintf(path, sizeof(path), "/tmp/qc_runtime_test_%ld.so", (long)getpid());
  f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f) {
    fputs("this is not an ELF file\n", f);
    fclose(f);
    CHECK_STATUS(qc_model_open(path, &model), QC_ERROR_LOAD,
                 "cannot load model");
    CHECK(model == NULL);
    remove(path);
  }

  CHECK_STATUS(qc_model_open(g_no_invoke, &model), QC_ERROR_LOAD,
               "does not export 'qc_model_invoke'");
  CHECK(model == NULL);
  CHECK_STATUS(qc_model_open(g_bad_abi, &model), QC_ERROR_ABI,
               "model ABI version 2 but this runtime supports version 1");
  CHECK(model == NULL);
  CHECK_STATUS(qc_model_open(g_bad_signature, &model), QC_ERROR_ABI,
               "input 'x': dimension 1 is negative");
  CHECK(model == NULL);
}

static void test_introspection(void) {
  qc_model_t *model = NULL;
  qc_tensor_info_t info;

  CHECK_STATUS(qc_model_open(g_fixture, &model), QC_OK, NULL);
  if (!model)
    return;
  CHECK(strcmp(qc_model_name(model), "fixture") == 0);
  CHECK(qc_model_num_inputs(model) == 2);
  CHECK(qc_model_num_outputs(model) == 2);

  CHECK_STATUS(qc_model_input_info(model, 0, &info), QC_OK, NULL);
  CHECK(strcmp(info.name, "x") == 0 && info.dtype == QC_DTYPE_FLOAT32 &&
        info.rank == 2 && info.shape[0] == 2 && info.shape[1] == 3);
  CHECK_STATUS(qc_model_input_info(model, 1, &info), QC_OK, NULL);
  CHECK(strcmp(info.name, "k") == 0 && info.dtype == QC_DTYPE_INT8 &&
        info.rank == 1 && info.shape[0] == 3);
  CHECK_STATUS(qc_model_output_info(model, 0, &info), QC_OK, NULL);
  CHECK(strcmp(info.name, "y") == 0 && info.dtype == QC_DTYPE_FLOAT32 &&
        info.rank == 2 && info.shape[0] == 2 && info.shape[1] == 3);
  CHECK_STATUS(qc_model_output_info(model, 1, &info), QC_OK, NULL);
  CHECK(strcmp(info.name, "s") == 0 && info.dtype == QC_DTYPE_INT32 &&
        info.rank == 0);

  CHECK_STATUS(qc_model_input_info(model, 2, &info), QC_ERROR_INVALID_ARGUMENT,
               "input index 2 is out of range (the model has 2 inputs)");
  CHECK_STATUS(qc_model_output_info(model, (size_t)-1, &info),
               QC_ERROR_INVALID_ARGUMENT, "out of range");
  CHECK_STATUS(qc_model_input_info(model, 0, NULL), QC_ERROR_INVALID_ARGUMENT,
               "NULL");
  CHECK_STATUS(qc_model_input_info(NULL, 0, &info), QC_ERROR_INVALID_ARGUMENT,
               "model is NULL");
  CHECK_STATUS(qc_model_output_info(NULL, 0, &info), QC_ERROR_INVALID_ARGUMENT,
               "model is NULL");
  CHECK(qc_model_num_inputs(NULL) == 0);
  CHECK(qc_model_num_outputs(NULL) == 0);
  CHECK(qc_model_name(NULL) != NULL);

  /* Opening the same file twice gives two independent handles. */
  {
    qc_model_t *again = NULL;
    CHECK_STATUS(qc_model_open(g_fixture, &again), QC_OK, NULL);
    CHECK(again != NULL && again != model);
    qc_model_close(again);
    CHECK(strcmp(qc_model_name(model), "fixture") == 0);
  }
  qc_model_close(model);
  qc_model_close(NULL);
}

static void test_run(void) {
  qc_model_t *model = NULL;
  fixture_io_t io;
  qc_tensor_t in[2], out[2];

  CHECK_STATUS(qc_model_open(g_fixture, &model), QC_OK, NULL);
  if (!model)
    return;

  /* By position: exact values. */
  fixture_io_init(&io, 0, 1);
  CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
  CHECK(fixture_io_correct(&io));
  {
    /* Seed 1: x = (i + 1) * 0.5 - 1, k = {-120, -107, -94}. */
    static const float want_y[6] = {-121.0f, -107.0f, -93.0f,
                                    -118.0f, -104.0f, -90.0f};
    CHECK(io.k[0] == -120 && io.k[1] == -107 && io.k[2] == -94);
    CHECK(memcmp(io.y, want_y, sizeof(want_y)) == 0);
    CHECK(io.s == -321);
  }

  /* By name, in a different order from the signature. */
  fixture_io_init(&io, 1, 2);
  in[0] = io.in[1];
  in[1] = io.in[0];
  out[0] = io.out[1];
  out[1] = io.out[0];
  CHECK_STATUS(qc_model_run(model, in, 2, out, 2), QC_OK, NULL);
  CHECK(fixture_io_correct(&io));

  /* Named inputs with positional outputs, and the reverse. */
  fixture_io_init(&io, 1, 3);
  io.out[0].name = io.out[1].name = NULL;
  CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
  CHECK(fixture_io_correct(&io));
  fixture_io_init(&io, 0, 4);
  io.out[0].name = "y";
  io.out[1].name = "s";
  CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
  CHECK(fixture_io_correct(&io));

  /* Larger buffers than needed are fine. */
  {
    float big[16];
    fixture_io_init(&io, 0, 5);
    io.out[0].data = big;
    io.out[0].size_bytes = sizeof(big);
    CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
    CHECK(big[0] == io.x[0] * 2.0f + io.k[0]);
  }

  /* Adjacent (but not overlapping) buffers are fine. */
  {
    float both[12];
    fixture_io_init(&io, 0, 6);
    memcpy(both, io.x, sizeof(io.x));
    io.in[0].data = both;
    io.out[0].data = both + 6;
    CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
    CHECK(both[6] == io.x[0] * 2.0f + io.k[0]);
  }

  /* The same buffer may feed two inputs... of course here they differ in
   * type, so just check inputs may overlap each other. */
  {
    union {
      float f[6];
      int8_t k[3];
    } shared;
    fixture_io_init(&io, 0, 7);
    memcpy(shared.f, io.x, sizeof(io.x));
    io.in[0].data = shared.f;
    io.in[1].data = shared.k;
    CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 2), QC_OK, NULL);
  }
  qc_model_close(model);
}

static void test_run_errors(void) {
  qc_model_t *model = NULL;
  fixture_io_t io;
  qc_tensor_t in[3];
  int64_t shape3[3] = {2, 3, 1};
  int64_t shape24[2] = {2, 4};

  CHECK_STATUS(qc_model_open(g_fixture, &model), QC_OK, NULL);
  if (!model)
    return;

#define RUN() qc_model_run(model, io.in, 2, io.out, 2)

  fixture_io_init(&io, 1, 1);
  CHECK_STATUS(qc_model_run(NULL, io.in, 2, io.out, 2),
               QC_ERROR_INVALID_ARGUMENT, "model is NULL");
  CHECK_STATUS(qc_model_run(model, NULL, 2, io.out, 2),
               QC_ERROR_INVALID_ARGUMENT, "inputs array is NULL");
  CHECK_STATUS(qc_model_run(model, io.in, 2, NULL, 2),
               QC_ERROR_INVALID_ARGUMENT, "outputs array is NULL");
  CHECK(fixture_io_untouched(&io));

  /* Counts, by position. */
  fixture_io_init(&io, 0, 1);
  CHECK_STATUS(qc_model_run(model, io.in, 1, io.out, 2),
               QC_ERROR_INVALID_ARGUMENT,
               "model 'fixture' takes 2 inputs ('x', 'k'), but 1 were given");
  CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 0),
               QC_ERROR_INVALID_ARGUMENT, "takes 2 outputs");
  CHECK_STATUS(qc_model_run(model, NULL, 0, io.out, 2),
               QC_ERROR_INVALID_ARGUMENT, "but 0 were given");
  CHECK(fixture_io_untouched(&io));

  /* Names. */
  fixture_io_init(&io, 1, 1);
  io.in[1].name = NULL;
  CHECK_STATUS(RUN(), QC_ERROR_INVALID_ARGUMENT,
               "input 1 has no name but input 0 is named 'x'");
  fixture_io_init(&io, 1, 1);
  io.in[1].name = "kk";
  CHECK_STATUS(RUN(), QC_ERROR_NAME,
               "unknown input 'kk'; the model's inputs are: 'x', 'k'");
  fixture_io_init(&io, 1, 1);
  io.in[1].name = "x";
  CHECK_STATUS(RUN(), QC_ERROR_NAME, "input 'x' is given more than once");
  fixture_io_init(&io, 1, 1);
  CHECK_STATUS(qc_model_run(model, io.in, 1, io.out, 2), QC_ERROR_NAME,
               "missing input 'k'");
  fixture_io_init(&io, 1, 1);
  CHECK_STATUS(qc_model_run(model, io.in, 2, io.out, 1), QC_ERROR_NAME,
               "missing output 's'");
  fixture_io_init(&io, 1, 1);
  io.out[0].name = "x"; /* an input's name is not an output's */
  CHECK_STATUS(RUN(), QC_ERROR_NAME, "unknown output 'x'");
  fixture_io_init(&io, 1, 1);
  in[0] = io.in[0];
  in[1] = io.in[1];
  in[2] = io.in[0];
  CHECK_STATUS(qc_model_run(model, in, 3, io.out, 2), QC_ERROR_NAME,
               "input 'x' is given more than once");
  in[2].name = "extra";
  CHECK_STATUS(qc_model_run(model, in, 3, io.out, 2), QC_ERROR_NAME,
               "unknown input 'extra'");
  fixture_io_init(&io, 1, 1);
  io.in[0].name = "bad\nname\x01";
  CHECK_STATUS(RUN(), QC_ERROR_NAME, "unknown input 'bad\\x0aname\\x01'");
  CHECK(fixture_io_untouched(&io));

  /* Dtypes. */
  fixture_io_init(&io, 1, 1);
  io.in[0].dtype = QC_DTYPE_INT8;
  CHECK_STATUS(RUN(), QC_ERROR_DTYPE,
               "input 'x': expected dtype float32, got int8");
  fixture_io_init(&io, 0, 1);
  io.out[1].dtype = QC_DTYPE_INT64;
  CHECK_STATUS(RUN(), QC_ERROR_DTYPE,
               "output 's': expected dtype int32, got int64");
  fixture_io_init(&io, 1, 1);
  io.in[1].dtype = (qc_dtype_t)77;
  CHECK_STATUS(RUN(), QC_ERROR_DTYPE,
               "input 'k': expected dtype int8, got unknown dtype code 77");
  CHECK(fixture_io_untouched(&io));

  /* Shapes. */
  fixture_io_init(&io, 1, 1);
  io.in[0].rank = 3;
  io.in[0].shape = shape3;
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE,
               "input 'x': expected shape [2,3], got [2,3,1]");
  fixture_io_init(&io, 1, 1);
  io.in[0].rank = 1;
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE,
               "input 'x': expected shape [2,3], got [2]");
  fixture_io_init(&io, 1, 1);
  io.in[0].shape = shape24;
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE,
               "input 'x': expected shape [2,3], got [2,4]");
  fixture_io_init(&io, 1, 1);
  io.out[1].rank = 1;
  io.out[1].shape = kShapeK;
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE, "output 's': expected shape [], got [3]");
  fixture_io_init(&io, 1, 1);
  io.in[0].rank = -1;
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE, "input 'x': rank -1 is negative");
  fixture_io_init(&io, 1, 1);
  io.in[0].rank = 1000000; /* shape is not read that far */
  CHECK_STATUS(RUN(), QC_ERROR_SHAPE,
               "input 'x': expected shape [2,3], got a shape of rank 1000000");
  fixture_io_init(&io, 1, 1);
  io.in[0].shape = NULL;
  CHECK_STATUS(RUN(), QC_ERROR_INVALID_ARGUMENT,
               "input 'x': the shape is NULL but the rank is 2");
  CHECK(fixture_io_untouched(&io));

  /* Data and sizes. */
  fixture_io_init(&io, 1, 1);
  io.in[1].data = NULL;
  CHECK_STATUS(RUN(), QC_ERROR_INVALID_ARGUMENT,
               "input 'k': the data pointer is NULL");
  fixture_io_init(&io, 1, 1);
  io.out[1].data = NULL;
  CHECK_STATUS(RUN(), QC_ERROR_INVALID_ARGUMENT,
               "output 's': the data pointer is NULL");
  fixture_io_init(&io, 1, 1);
  io.in[0].size_bytes = 20;
  CHECK_STATUS(RUN(), QC_ERROR_SIZE,
               "input 'x': the buffer holds 20 bytes but float32 [2,3] needs "
               "24");
  fixture_io_init(&io, 1, 1);
  io.out[1].size_bytes = 0;
  CHECK_STATUS(RUN(), QC_ERROR_SIZE,
               "output 's': the buffer holds 0 bytes but int32 [] needs 4");
  CHECK(fixture_io_untouched(&io));

  /* Overlaps. */
  fixture_io_init(&io, 1, 1);
  io.out[0].data = io.x;
  CHECK_STATUS(RUN(), QC_ERROR_SIZE, "output 'y' overlaps input 'x'");
  fixture_io_init(&io, 1, 1);
  io.out[0].data = (char *)io.x + 20; /* last float of x, first of y */
  io.out[0].size_bytes = 24;
  CHECK_STATUS(RUN(), QC_ERROR_SIZE, "output 'y' overlaps input 'x'");
  fixture_io_init(&io, 1, 1);
  io.out[1].data = &io.y[5];
  CHECK_STATUS(RUN(), QC_ERROR_SIZE, "output 'y' overlaps output 's'");
  fixture_io_init(&io, 1, 1);
  io.out[1].data = io.k;
  CHECK_STATUS(RUN(), QC_ERROR_SIZE, "output 's' overlaps input 'k'");
  CHECK(fixture_io_untouched(&io));
  CHECK(io.k[0] == -120);

#undef RUN
  qc_model_close(model);
}

/* Opens the env fixture with `signature` (NULL: unset) and ABI `abi`. */
static qc_status_t open_env(const char *signature, const char *abi,
                            qc_model_t **model) {
  if (signature)
    setenv("QC_FIXTURE_SIGNATURE", signature, 1);
  else
    unsetenv("QC_FIXTURE_SIGNATURE");
  if (abi)
    setenv("QC_FIXTURE_ABI", abi, 1);
  else
    unsetenv("QC_FIXTURE_ABI");
  return qc_model_open(g_env_fixture, model);
}

#define SIG_HEAD "qc-signature 1\nmodel 1:m\n"
#define VALID_SIG                                                              \
  SIG_HEAD "inputs 2\n1:a 1 2 2 3\n3:b c 16 0\noutputs 1\n1:y 11 1 5\n"

static void test_signatures(void) {
  static const struct {
    const char *text;
    const char *message;
  } bad[] = {
      {"", "it is empty"},
      {"\n", "expected 'qc-signature 1', got ''"},
      {"qc-signature\n", "expected 'qc-signature 1'"},
      {"QC-SIGNATURE 1\n", "expected 'qc-signature 1', got 'QC-SIGNATURE 1'"},
      {"qc-signature 2\nmodel 1:m\ninputs 0\noutputs 0\n",
       "unsupported signature version '2'"},
      {"qc-signature 1 \n", "unsupported signature version"},
      {"qc-signature 1", "expected 'model <length>:<name>', but the "
                         "signature ends"},
      {"qc-signature 1\nmodl 1:m\n", "(line 2): expected 'model "
                                     "<length>:<name>', got 'modl 1:m'"},
      {"qc-signature 1\nmodel m\n", "expected the model name as "
                                    "'<length>:<name>'"},
      {"qc-signature 1\nmodel 5:m\n", "the model name is declared 5 bytes "
                                      "long but only 1 bytes remain"},
      {"qc-signature 1\nmodel 99999999999999999999999:m\n",
       "the model name has a length that is too large"},
      {"qc-signature 1\nmodel 1:mx\ninputs 0\n",
       "unexpected text after the model name: 'model 1:mx'"},
      {SIG_HEAD, "expected 'inputs <count>', but the signature ends"},
      {SIG_HEAD "input 0\n", "expected 'inputs <count>', got 'input 0'"},
      {SIG_HEAD "inputs -1\n", "expected a non-negative inputs count"},
      {SIG_HEAD "inputs x\n", "expected a non-negative inputs count"},
      {SIG_HEAD "inputs 99999999999999999999\n", "inputs count is too large"},
      {SIG_HEAD "inputs 65537\n", "inputs count is too large"},
      {SIG_HEAD "inputs 3\n1:a 1 0\n", "declares 3 inputs but only 1 lines "
                                       "follow"},
      {SIG_HEAD "inputs 1 \n1:a 1 0\n", "unexpected text after the inputs "
                                        "count"},
      {SIG_HEAD "inputs 0\n", "expected 'outputs <count>', but the "
                              "signature ends"},
      {SIG_HEAD "inputs 0\noutputs 0\n", "the model has no outputs"},
      {SIG_HEAD "inputs 0\noutputs 1\n", "declares 1 outputs but only 0 "
                                         "lines follow"},
      {SIG_HEAD "inputs 1\n1:a 1 0\noutputs 1\n", "but only 0 lines follow"},
      {SIG_HEAD "inputs 1\n0: 1 0\noutputs 1\n1:y 1 0\n",
       "input 0 has an empty name"},
      {SIG_HEAD "inputs 1\na 1 0\noutputs 1\n1:y 1 0\n",
       "expected the name of input 0 as '<length>:<name>'"},
      {SIG_HEAD "inputs 1\n9:a 1 0\noutputs 1\n1:y 1 0\n",
       "the name of input 0 is declared 9 bytes long but only 5 bytes remain"},
      {SIG_HEAD "inputs 1\n1:a\noutputs 1\n1:y 1 0\n",
       "input 'a': expected ' <dtype> <rank> <dims...>' after the name"},
      {SIG_HEAD "inputs 1\n1:a 8 0\noutputs 1\n1:y 1 0\n",
       "input 'a': unknown dtype code 8"},
      {SIG_HEAD "inputs 1\n1:a 0 0\noutputs 1\n1:y 1 0\n",
       "input 'a': unknown dtype code 0"},
      {SIG_HEAD "inputs 1\n1:a 99999999 0\noutputs 1\n1:y 1 0\n",
       "input 'a': unknown dtype code (too large)"},
      {SIG_HEAD "inputs 1\n1:a -1 0\noutputs 1\n1:y 1 0\n",
       "input 'a': expected ' <dtype> <rank> <dims...>'"},
      {SIG_HEAD "inputs 1\n1:a 1\noutputs 1\n1:y 1 0\n",
       "input 'a': expected a non-negative rank"},
      {SIG_HEAD "inputs 1\n1:a 1 -1\noutputs 1\n1:y 1 0\n",
       "input 'a': expected a non-negative rank"},
      {SIG_HEAD "inputs 1\n1:a 1 17 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
                "outputs 1\n1:y 1 0\n",
       "input 'a': rank is larger than 16"},
      {SIG_HEAD "inputs 1\n1:a 1 4294967297\noutputs 1\n1:y 1 0\n",
       "input 'a': rank is larger than 16"},
      {SIG_HEAD "inputs 1\n1:a 1 2 3\noutputs 1\n1:y 1 0\n",
       "input 'a': rank is 2 but only 1 dimensions are given"},
      {SIG_HEAD "inputs 1\n1:a 1 1 3 4\noutputs 1\n1:y 1 0\n",
       "input 'a': rank is 1 but more dimensions are given"},
      {SIG_HEAD "inputs 1\n1:a 1 1 3 \noutputs 1\n1:y 1 0\n",
       "input 'a': unexpected text after the shape"},
      {SIG_HEAD "inputs 1\n1:a 1 2 3  4\noutputs 1\n1:y 1 0\n",
       "input 'a': expected dimension 1"},
      {SIG_HEAD "inputs 1\n1:a 1 1 3x\noutputs 1\n1:y 1 0\n",
       "input 'a': unexpected text after the shape: '1:a 1 1 3x'"},
      {SIG_HEAD "inputs 1\n1:a 1 2 2 -3\noutputs 1\n1:y 1 0\n",
       "input 'a': dimension 1 is negative; dynamic dimensions are not "
       "supported"},
      {SIG_HEAD "inputs 1\n1:a 1 1 9223372036854775808\noutputs 1\n"
                "1:y 1 0\n",
       "input 'a': dimension 0 is too large"},
      {SIG_HEAD "inputs 1\n1:a 1 2 4294967296 4294967296\noutputs 1\n"
                "1:y 1 0\n",
       "input 'a': shape [4294967296,4294967296] has too many elements"},
      {SIG_HEAD "inputs 1\n1:a 11 2 2147483648 2147483648\noutputs 1\n"
                "1:y 1 0\n",
       "input 'a': shape [2147483648,2147483648] has too many elements"},
      {SIG_HEAD "inputs 1\n1:a 1 1 9223372036854775807\noutputs 1\n"
                "1:y 1 0\n",
       "has too many elements"},
      {SIG_HEAD "inputs 2\n1:a 1 0\n1:a 2 0\noutputs 1\n1:y 1 0\n",
       "input name 'a' is used twice"},
      {SIG_HEAD "inputs 0\noutputs 2\n1:y 1 0\n1:y 1 0\n",
       "output name 'y' is used twice"},
      {SIG_HEAD "inputs 0\noutputs 1\n1:y 1 0\n\n",
       "(line 6): unexpected text after the last output: ''"},
      {SIG_HEAD "inputs 0\noutputs 1\n1:y 1 0\nmore\n",
       "unexpected text after the last output: 'more'"},
      {SIG_HEAD "inputs 0\noutputs 1\n1:y 1 0\n1:z 1 0\n",
       "unexpected text after the last output"},
      {SIG_HEAD "inputs 0\noutputs 1\n1:\x01 1 0 \x7f\xff\n",
       "output '\\x01': unexpected text after the shape: '1:\\x01 1 0 "
       "\\x7f\\xff'"},
  };
  static const char *good[] = {
      VALID_SIG,
      SIG_HEAD "inputs 0\noutputs 1\n1:y 1 0", /* no final newline */
      "qc-signature 1\nmodel 0:\ninputs 0\noutputs 1\n1:y 9 0\n",
      /* names hold any byte but NUL and newline, spaces and ':' included */
      "qc-signature 1\nmodel 5:a b:c\ninputs 1\n4:x y: 17 1 0\noutputs 1\n"
      "3:\xc3\xa9\x01 19 16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n",
      /* the same name may be an input and an output */
      SIG_HEAD "inputs 1\n1:a 1 0\noutputs 1\n1:a 1 0\n",
      SIG_HEAD "inputs 0\noutputs 1\n1:y 13 1 1152921504606846975\n",
  };
  qc_model_t *model = NULL;
  qc_tensor_info_t info;
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
    qc_status_t st = open_env(bad[i].text, NULL, &model);
    CHECK_STATUS(st, QC_ERROR_ABI, bad[i].message);
    if (st != QC_ERROR_ABI || !strstr(qc_last_error(), bad[i].message))
      fprintf(stderr, "  (bad signature #%lu)\n", (unsigned long)i);
    CHECK(model == NULL);
    qc_model_close(model);
    model = NULL;
  }
  for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
    qc_status_t st = open_env(good[i], NULL, &model);
    CHECK_STATUS(st, QC_OK, NULL);
    if (st != QC_OK)
      fprintf(stderr, "  (good signature #%lu)\n", (unsigned long)i);
    qc_model_close(model);
    model = NULL;
  }

  CHECK_STATUS(open_env(NULL, NULL, &model), QC_ERROR_ABI,
               "its signature is NULL");
  CHECK_STATUS(open_env(VALID_SIG, "0", &model), QC_ERROR_ABI,
               "model ABI version 0");
  CHECK_STATUS(open_env(VALID_SIG, "4294967295", &model), QC_ERROR_ABI,
               "model ABI version 4294967295");

  /* Details of the valid signature. */
  CHECK_STATUS(open_env(VALID_SIG, NULL, &model), QC_OK, NULL);
  if (model) {
    CHECK(strcmp(qc_model_name(model), "m") == 0);
    CHECK(qc_model_num_inputs(model) == 2 && qc_model_num_outputs(model) == 1);
    CHECK_STATUS(qc_model_input_info(model, 1, &info), QC_OK, NULL);
    CHECK(strcmp(info.name, "b c") == 0 && info.dtype == QC_DTYPE_BFLOAT16 &&
          info.rank == 0);
    CHECK_STATUS(qc_model_output_info(model, 0, &info), QC_OK, NULL);
    CHECK(strcmp(info.name, "y") == 0 && info.dtype == QC_DTYPE_FLOAT64 &&
          info.rank == 1 && info.shape[0] == 5);
    qc_model_close(model);
    model = NULL;
  }

  /* Empty tensors: no bytes needed, but the data pointer must be set. */
  CHECK_STATUS(open_env(SIG_HEAD "inputs 1\n1:e 1 2 0 1000000\noutputs 1\n"
                                 "1:y 1 1 0\n",
                        NULL, &model),
               QC_OK, NULL);
  if (model) {
    int64_t eshape[2] = {0, 1000000}, yshape[1] = {0};
    char byte = 0, byte2 = 0;
    qc_tensor_t e = {"e", QC_DTYPE_FLOAT32, 2, NULL, NULL, 0};
    qc_tensor_t y = {"y", QC_DTYPE_FLOAT32, 1, NULL, NULL, 0};
    e.shape = eshape;
    y.shape = yshape;
    e.data = &byte;
    y.data = &byte2;
    CHECK_STATUS(qc_model_run(model, &e, 1, &y, 1), QC_OK, NULL);
    y.data = &byte; /* zero-byte regions never overlap */
    CHECK_STATUS(qc_model_run(model, &e, 1, &y, 1), QC_OK, NULL);
    e.data = NULL;
    CHECK_STATUS(qc_model_run(model, &e, 1, &y, 1), QC_ERROR_INVALID_ARGUMENT,
                 "input 'e': the data pointer is NULL");
    qc_model_close(model);
    model = NULL;
  }

  /* Many tensors: qc_model_run() allocates its scratch space. */
  {
    enum { N = 40 };
    static char text[N * 32 + 128];
    qc_tensor_t ins[N], outs[1];
    float vals[N], out = 0;
    size_t o;
    int j;
    o = (size_t)snprintf(text, sizeof(text), SIG_HEAD "inputs %d\n", N);
    for (j = 0; j < N; ++j)
      o += (size_t)snprintf(text + o, sizeof(text) - o, "%d:t%d 1 0\n",
                            j < 10 ? 2 : 3, j);
    snprintf(text + o, sizeof(text) - o, "outputs 1\n1:y 1 0\n");
    CHECK_STATUS(open_env(text, NULL, &model), QC_OK, NULL);
    if (model) {
      static char names[N][8];
      for (j = 0; j < N; ++j) {
        snprintf(names[j], sizeof(names[j]), "t%d", N - 1 - j);
        ins[j].name = names[j];
        ins[j].dtype = QC_DTYPE_FLOAT32;
        ins[j].rank = 0;
        ins[j].shape = NULL;
        ins[j].data = &vals[j];
        ins[j].size_bytes = sizeof(float);
      }
      outs[0] = ins[0];
      outs[0].name = "y";
      outs[0].data = &out;
      CHECK_STATUS(qc_model_run(model, ins, N, outs, 1), QC_OK, NULL);
      ins[N - 1].name = "t1"; /* now t0 is missing, t1 twice */
      CHECK_STATUS(qc_model_run(model, ins, N, outs, 1), QC_ERROR_NAME,
                   "input 't1' is given more than once");
      ins[N - 1].name = "t99";
      CHECK_STATUS(qc_model_run(model, ins, N, outs, 1), QC_ERROR_NAME,
                   "'t8', 't9', 't10'");
      qc_model_close(model);
      model = NULL;
    }
  }

  /* A signature longer than the runtime accepts. */
  {
    size_t n = 64u * 1024u * 1024u + 16u;
    char *huge = (char *)malloc(n + 1);
    CHECK(huge != NULL);
    if (huge) {
      memset(huge, 'x', n);
      huge[n] = '\0';
      memcpy(huge, VALID_SIG, strlen(VALID_SIG));
      CHECK_STATUS(open_env(huge, NULL, &model), QC_ERROR_ABI,
                   "its signature is longer than");
      free(huge);
      unsetenv("QC_FIXTURE_SIGNATURE");
    }
  }
}

/* Every prefix and many random corruptions of a valid signature are either
 * accepted or rejected with QC_ERROR_ABI; nothing crashes. */
static void test_signature_fuzz(void) {
  const char *valid = VALID_SIG;
  size_t len = strlen(valid), i;
  char buf[256];
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  int bad_status = 0, accepted = 0;
  qc_model_t *model = NULL;

  for (i = 0; i <= len; ++i) {
    qc_status_t st;
    memcpy(buf, valid, i);
    buf[i] = '\0';
    st = open_env(buf, NULL, &model);
    /* Only the full text, with or without its final newline, is valid. */
    if ((st == QC_OK) != (i >= len - 1))
      ++bad_status;
    if (st != QC_OK && st != QC_ERROR_ABI)
      ++bad_status;
    qc_model_close(model);
    model = NULL;
  }
  CHECK(bad_status == 0);

  bad_status = 0;
  for (i = 0; i < 4000; ++i) {
    size_t edits, e;
    qc_status_t st;
    memcpy(buf, valid, len + 1);
    edits = 1 + (size_t)(i % 3);
    for (e = 0; e < edits; ++e) {
      static const char alphabet[] = "0123456789 :\n-x\xff";
      size_t pos;
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      pos = (size_t)(rng % len);
      buf[pos] = alphabet[(rng >> 32) % (sizeof(alphabet) - 1)];
    }
    st = open_env(buf, NULL, &model);
    if (st != QC_OK && st != QC_ERROR_ABI)
      ++bad_status;
    if (st == QC_OK) {
      /* What was accepted must be self-consistent. */
      size_t t;
      qc_tensor_info_t info;
      ++accepted;
      for (t = 0; t < qc_model_num_inputs(model); ++t)
        if (qc_model_input_info(model, t, &info) != QC_OK || info.rank < 0 ||
            info.rank > 16 || qc_dtype_size(info.dtype) == 0 || !*info.name)
          ++bad_status;
      for (t = 0; t < qc_model_num_outputs(model); ++t)
        if (qc_model_output_info(model, t, &info) != QC_OK || info.rank < 0 ||
            info.rank > 16 || qc_dtype_size(info.dtype) == 0 || !*info.name)
          ++bad_status;
    }
    qc_model_close(model);
    model = NULL;
  }
  CHECK(bad_status == 0);
  CHECK(accepted > 0 && accepted < 4000);
  unsetenv("QC_FIXTURE_SIGNATURE");
}

/*===----------------------------------------------------------------------===*/
/* Threads                                                                    */
/*===----------------------------------------------------------------------===*/

enum { kThreads = 8, kRunsPerThread = 2000 };

typedef struct thread_arg {
  const qc_model_t *model;
  int index;
  int failures;
  char first_error[256];
} thread_arg_t;

static void *run_thread(void *p) {
  thread_arg_t *arg = (thread_arg_t *)p;
  int r;
  for (r = 0; r < kRunsPerThread; ++r) {
    fixture_io_t io;
    qc_status_t st;
    fixture_io_init(&io, (r + arg->index) % 2, arg->index * 1000 + r);
    st = qc_model_run(arg->model, io.in, 2, io.out, 2);
    if (st != QC_OK || !fixture_io_correct(&io)) {
      if (!arg->failures++)
        snprintf(arg->first_error, sizeof(arg->first_error), "%s",
                 st == QC_OK ? "wrong result" : qc_last_error());
    }
    /* Errors on this thread do not disturb the others. */
    if (r % 100 == 0) {
      io.in[0].dtype = QC_DTYPE_INT8;
      io.in[0].name = io.in[1].name = io.out[0].name = io.out[1].name = NULL;
      if (qc_model_run(arg->model, io.in, 2, io.out, 2) != QC_ERROR_DTYPE ||
          !strstr(qc_last_error(), "input 'x': expected dtype float32")) {
        if (!arg->failures++)
          snprintf(arg->first_error, sizeof(arg->first_error),
                   "expected a dtype error, got: %s", qc_last_error());
      }
    }
  }
  return NULL;
}

static void *error_thread(void *p) {
  qc_model_t *model = NULL;
  (void)p;
  qc_model_open("/nonexistent/from-thread.so", &model);
  return NULL;
}

static void test_threads(void) {
  qc_model_t *model = NULL;
  pthread_t threads[kThreads];
  thread_arg_t args[kThreads];
  int i, started = 0;

  CHECK_STATUS(qc_model_open(g_fixture, &model), QC_OK, NULL);
  if (!model)
    return;
  for (i = 0; i < kThreads; ++i) {
    args[i].model = model;
    args[i].index = i;
    args[i].failures = 0;
    args[i].first_error[0] = '\0';
    if (pthread_create(&threads[i], NULL, run_thread, &args[i]) == 0)
      ++started;
  }
  CHECK(started == kThreads);
  for (i = 0; i < started; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(args[i].failures == 0);
    if (args[i].failures)
      fprintf(stderr, "  thread %d: %d failures, first: %s\n", i,
              args[i].failures, args[i].first_error);
  }
  qc_model_close(model);

  /* qc_last_error() is per thread. */
  {
    pthread_t t;
    qc_model_open("/nonexistent/main-thread.so", &model);
    CHECK(pthread_create(&t, NULL, error_thread, NULL) == 0);
    pthread_join(t, NULL);
    CHECK(strstr(qc_last_error(), "main-thread.so") != NULL);
  }
}

int main(int argc, char **argv) {
  const char *verbose = getenv("QC_TEST_VERBOSE");
  g_verbose = verbose && *verbose && strcmp(verbose, "0") != 0;
  if (argc != 6) {
    fprintf(stderr,
            "usage: %s <fixture.so> <bad-signature.so> <bad-abi.so> "
            "<no-invoke.so> <env.so>\n",
            argv[0]);
    return 2;
  }
  g_fixture = argv[1];
  g_bad_signature = argv[2];
  g_bad_abi = argv[3];
  g_no_invoke = argv[4];
  g_env_fixture = argv[5];

  test_basics();
  test_open_errors();
  test_introspection();
  test_run();
  test_run_errors();
  test_signatures();
  test_signature_fuzz();
  test_threads();

  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
