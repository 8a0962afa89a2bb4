/*===- model_guard_test.c - Runtime guarantees on compiled models -*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Checks the guarantees qc/qc_runtime.h makes, on real models compiled by
 * qc-compile (test/Integration/Robustness/runtime-guarantees.test):
 *
 *  1. Every call is validated: wrong names, dtypes, ranks, dimensions, buffer
 *     sizes, NULL pointers, missing or extra tensors and overlapping outputs
 *     fail with their status and a message, and leave the output buffers
 *     untouched.
 *  2. The model reads and writes only inside the caller's buffers: every
 *     buffer is put against a PROT_NONE guard page, once flush with its end
 *     and once with its start (so it is only as aligned as its element
 *     type), and the results must equal those of a run on malloc'ed buffers.
 *  3. Hostile values (NaN, infinities, huge and out-of-range integers, used
 *     as indices by Gather) run without a fault, against the guard pages.
 *  4. One loaded model runs from several threads at once, each thread with
 *     its own inputs (or inputs shared with the others) and outputs, and
 *     every result equals the serial one, bit for bit.
 *
 * usage: qc_model_guard_test MODEL.so...
 */

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif

#include "qc/qc_runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_TENSORS 64
#define THREADS 4
#define THREAD_ITERATIONS 6

static int g_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__,  \
              __LINE__, #cond, qc_last_error());                               \
      ++g_failed;                                                              \
    }                                                                          \
  } while (0)

/*===----------------------------------------------------------------------===*/
/* Buffers                                                                    */
/*===----------------------------------------------------------------------===*/

enum placement { PLAIN, GUARD_END, GUARD_START };

/* A buffer of `size` bytes, plain or against a guard page. */
typedef struct buffer {
  void *data;
  size_t size;
  void *map;
  size_t map_size;
} buffer_t;

static int buffer_alloc(buffer_t *b, size_t size, enum placement where) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t pages = size ? (size + page - 1) / page : 1;
  char *map;
  memset(b, 0, sizeof(*b));
  b->size = size;
  if (where == PLAIN) {
    b->data = malloc(size ? size : 1);
    return b->data != NULL;
  }
  b->map_size = (pages + 2) * page;
  map = (char *)mmap(NULL, b->map_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
  if (map == MAP_FAILED)
    return 0;
  if (mprotect(map + page, pages * page, PROT_READ | PROT_WRITE) != 0) {
    munmap(map, b->map_size);
    return 0;
  }
  b->map = map;
  b->data = where == GUARD_END ? map + page + pages * page - size : map + page;
  return 1;
}

static void buffer_free(buffer_t *b) {
  if (b->map)
    munmap(b->map, b->map_size);
  else
    free(b->data);
  memset(b, 0, sizeof(*b));
}

/*===----------------------------------------------------------------------===*/
/* Models                                                                     */
/*===----------------------------------------------------------------------===*/

typedef struct model_io {
  size_t n_in, n_out;
  qc_tensor_info_t info[MAX_TENSORS]; /* inputs, then outputs */
  size_t bytes[MAX_TENSORS];
} model_io_t;

static size_t info_bytes(const qc_tensor_info_t *t) {
  size_t n = qc_dtype_size(t->dtype);
  int32_t i;
  for (i = 0; i < t->rank; ++i)
    n *= (size_t)t->shape[i];
  return n;
}

static int describe(const qc_model_t *m, model_io_t *io) {
  size_t i;
  io->n_in = qc_model_num_inputs(m);
  io->n_out = qc_model_num_outputs(m);
  if (io->n_in + io->n_out > MAX_TENSORS)
    return 0;
  for (i = 0; i < io->n_in + io->n_out; ++i) {
    qc_status_t st = i < io->n_in
                         ? qc_model_input_info(m, i, &io->info[i])
                         : qc_model_output_info(m, i - io->n_in, &io->info[i]);
    if (st != QC_OK)
      return 0;
    io->bytes[i] = info_bytes(&io->info[i]);
  }
  return 1;
}

/* A deterministic generator (splitmix64), so that runs are reproducible. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Fills an input. Ordinary values are small (valid token ids, floats in
 * [-2, 2]); hostile ones are NaN, infinities, huge and arbitrary integers. */
static void fill_input(void *data, const qc_tensor_info_t *t, size_t bytes,
                       uint64_t seed, int hostile) {
  size_t n = bytes / qc_dtype_size(t->dtype), i;
  uint64_t s = seed;
  for (i = 0; i < n; ++i) {
    uint64_t r = next_random(&s);
    switch (t->dtype) {
    case QC_DTYPE_FLOAT32: {
      static const float special[] = {NAN,    INFINITY, -INFINITY, 3e38f,
                                      -3e38f, 1e-45f,   -0.0f};
      float v = hostile && r % 3 == 0
                    ? special[(r >> 8) % 7]
                    : (float)((double)(r >> 11) / 9007199254740992.0 * 4 - 2);
      ((float *)data)[i] = v;
      break;
    }
    case QC_DTYPE_INT64:
      ((int64_t *)data)[i] = hostile ? (int64_t)r : (int64_t)(r % 8);
      break;
    case QC_DTYPE_INT32:
      ((int32_t *)data)[i] = hostile ? (int32_t)r : (int32_t)(r % 8);
      break;
    default:
      ((unsigned char *)data)[i * qc_dtype_size(t->dtype)] =
          (unsigned char)(hostile ? r : r % 8);
      break;
    }
  }
}

/* Runs `m` on inputs made from `seed` with every buffer placed as `where`;
 * copies the outputs into `out` (one malloc'ed block per output). */
static qc_status_t run_once(const qc_model_t *m, const model_io_t *io,
                            uint64_t seed, int hostile, enum placement where,
                            void **out) {
  buffer_t bufs[MAX_TENSORS];
  qc_tensor_t tensors[MAX_TENSORS];
  size_t i, total = io->n_in + io->n_out;
  qc_status_t st;
  for (i = 0; i < total; ++i) {
    if (!buffer_alloc(&bufs[i], io->bytes[i], where)) {
      fprintf(stderr, "cannot allocate %lu bytes\n",
              (unsigned long)io->bytes[i]);
      exit(2);
    }
    if (i < io->n_in)
      fill_input(bufs[i].data, &io->info[i], io->bytes[i], seed + i, hostile);
    tensors[i].name = io->info[i].name;
    tensors[i].dtype = io->info[i].dtype;
    tensors[i].rank = io->info[i].rank;
    tensors[i].shape = io->info[i].shape;
    tensors[i].data = bufs[i].data;
    tensors[i].size_bytes = io->bytes[i];
  }
  st = qc_model_run(m, tensors, io->n_in, tensors + io->n_in, io->n_out);
  for (i = 0; i < total; ++i) {
    if (i >= io->n_in && out) {
      out[i - io->n_in] = malloc(io->bytes[i] ? io->bytes[i] : 1);
      memcpy(out[i - io->n_in], bufs[i].data, io->bytes[i]);
    }
    buffer_free(&bufs[i]);
  }
  return st;
}

static void free_outputs(const model_io_t *io, void **out) {
  size_t i;
  for (i = 0; i < io->n_out; ++i)
    free(out[i]);
}

static int same_outputs(const model_io_t *io, void **a, void **b) {
  size_t i;
  for (i = 0; i < io->n_out; ++i)
    if (memcmp(a[i], b[i], io->bytes[io->n_in + i]) != 0)
      return 0;
  return 1;
}

/*===----------------------------------------------------------------------===*/
/* 1. Validation                                                              */
/*===----------------------------------------------------------------------===*/

/* Valid tensors on plain buffers, with the outputs filled with 0x5a. */
typedef struct call {
  qc_tensor_t t[MAX_TENSORS];
  buffer_t b[MAX_TENSORS];
  int64_t shapes[MAX_TENSORS][16];
} call_t;

static void call_init(call_t *c, const model_io_t *io) {
  size_t i;
  for (i = 0; i < io->n_in + io->n_out; ++i) {
    if (!buffer_alloc(&c->b[i], io->bytes[i], GUARD_END))
      exit(2);
    if (i < io->n_in)
      fill_input(c->b[i].data, &io->info[i], io->bytes[i], 7 + i, 0);
    else
      memset(c->b[i].data, 0x5a, io->bytes[i]);
    memcpy(c->shapes[i], io->info[i].shape,
           sizeof(int64_t) * (size_t)io->info[i].rank);
    c->t[i].name = io->info[i].name;
    c->t[i].dtype = io->info[i].dtype;
    c->t[i].rank = io->info[i].rank;
    c->t[i].shape = c->shapes[i];
    c->t[i].data = c->b[i].data;
    c->t[i].size_bytes = io->bytes[i];
  }
}

/* Frees the call; checks that no output byte changed. */
static int call_finish(call_t *c, const model_io_t *io) {
  size_t i, k;
  int untouched = 1;
  for (i = 0; i < io->n_in + io->n_out; ++i) {
    if (i >= io->n_in)
      for (k = 0; k < io->bytes[i]; ++k)
        untouched &= ((unsigned char *)c->b[i].data)[k] == 0x5a;
    buffer_free(&c->b[i]);
  }
  return untouched;
}

static qc_status_t call_run(const qc_model_t *m, call_t *c,
                            const model_io_t *io) {
  return qc_model_run(m, c->t, io->n_in, c->t + io->n_in, io->n_out);
}

/* Runs one broken call and checks its status, message and untouched
 * outputs. */
#define EXPECT_FAILURE(want, mutate)                                           \
  do {                                                                         \
    call_t c;                                                                  \
    qc_status_t st;                                                            \
    call_init(&c, io);                                                         \
    mutate;                                                                    \
    st = call_run(m, &c, io);                                                  \
    if (st != (want))                                                          \
      fprintf(stderr, "  %s: got status %d, want %d (%s)\n", #mutate, (int)st, \
              (int)(want), qc_last_error());                                   \
    CHECK(st == (want));                                                       \
    CHECK(qc_last_error()[0] != '\0');                                         \
    CHECK(call_finish(&c, io));                                                \
  } while (0)

static void test_validation(const qc_model_t *m, const model_io_t *io) {
  size_t last = io->n_in + io->n_out - 1; /* an output */
  char other[] = "no-such-tensor";
  /* The valid call succeeds (and writes its outputs). */
  {
    call_t c;
    call_init(&c, io);
    CHECK(call_run(m, &c, io) == QC_OK);
    CHECK(!call_finish(&c, io) || io->bytes[last] == 0);
  }
  EXPECT_FAILURE(QC_ERROR_NAME, c.t[0].name = other);
  EXPECT_FAILURE(QC_ERROR_NAME, c.t[last].name = other);
  EXPECT_FAILURE(QC_ERROR_DTYPE, c.t[0].dtype = c.t[0].dtype == QC_DTYPE_FLOAT32
                                                    ? QC_DTYPE_FLOAT64
                                                    : QC_DTYPE_FLOAT32);
  EXPECT_FAILURE(QC_ERROR_DTYPE, c.t[0].dtype = (qc_dtype_t)12345);
  EXPECT_FAILURE(QC_ERROR_SHAPE, c.t[0].rank += 1);
  EXPECT_FAILURE(QC_ERROR_SHAPE, c.t[0].rank = -1);
  if (io->info[0].rank > 0) {
    EXPECT_FAILURE(QC_ERROR_SHAPE, c.shapes[0][0] += 1);
    EXPECT_FAILURE(QC_ERROR_SHAPE, c.shapes[0][0] = -1);
    EXPECT_FAILURE(QC_ERROR_INVALID_ARGUMENT, c.t[0].shape = NULL);
  }
  if (io->bytes[0] > 0) {
    EXPECT_FAILURE(QC_ERROR_SIZE, c.t[0].size_bytes -= 1);
    EXPECT_FAILURE(QC_ERROR_INVALID_ARGUMENT, c.t[0].data = NULL);
  }
  if (io->bytes[last] > 0) {
    EXPECT_FAILURE(QC_ERROR_SIZE, c.t[last].size_bytes -= 1);
    /* An output that overlaps an input. */
    if (io->bytes[0] >= io->bytes[last])
      EXPECT_FAILURE(QC_ERROR_SIZE, c.t[last].data = c.t[0].data);
  }
  /* Missing and extra tensors. */
  {
    call_t c;
    call_init(&c, io);
    /* Named tensors: a missing name; none at all: a count mismatch. */
    CHECK(qc_model_run(m, c.t, io->n_in - 1, c.t + io->n_in, io->n_out) ==
          (io->n_in > 1 ? QC_ERROR_NAME : QC_ERROR_INVALID_ARGUMENT));
    CHECK(qc_model_run(m, c.t, io->n_in, c.t + io->n_in, io->n_out - 1) ==
          (io->n_out > 1 ? QC_ERROR_NAME : QC_ERROR_INVALID_ARGUMENT));
    CHECK(qc_model_run(m, c.t, io->n_in + 1, c.t + io->n_in, io->n_out) !=
          QC_OK);
    CHECK(qc_model_run(m, c.t + io->n_in, io->n_out, c.t, io->n_in) != QC_OK);
    CHECK(qc_model_run(m, NULL, io->n_in, c.t + io->n_in, io->n_out) ==
          QC_ERROR_INVALID_ARGUMENT);
    CHECK(call_finish(&c, io));
  }
  /* Positional (unnamed) tensors are matched by order. */
  {
    call_t c;
    size_t i;
    call_init(&c, io);
    for (i = 0; i < io->n_in + io->n_out; ++i)
      c.t[i].name = NULL;
    CHECK(call_run(m, &c, io) == QC_OK);
    (void)call_finish(&c, io);
  }
}

/*===----------------------------------------------------------------------===*/
/* 2, 3. Guard pages and hostile values                                       */
/*===----------------------------------------------------------------------===*/

static void test_guards(const qc_model_t *m, const model_io_t *io) {
  void *plain[MAX_TENSORS], *end[MAX_TENSORS], *start[MAX_TENSORS];
  CHECK(run_once(m, io, 1, 0, PLAIN, plain) == QC_OK);
  CHECK(run_once(m, io, 1, 0, GUARD_END, end) == QC_OK);
  CHECK(run_once(m, io, 1, 0, GUARD_START, start) == QC_OK);
  CHECK(same_outputs(io, plain, end));
  CHECK(same_outputs(io, plain, start));
  free_outputs(io, plain);
  free_outputs(io, end);
  free_outputs(io, start);
  /* A fault here kills the test: there is nothing to compare. */
  CHECK(run_once(m, io, 2, 1, GUARD_END, NULL) == QC_OK);
  CHECK(run_once(m, io, 3, 1, GUARD_START, NULL) == QC_OK);
}

/*===----------------------------------------------------------------------===*/
/* 4. Threads                                                                 */
/*===----------------------------------------------------------------------===*/

/* Runs `m` on the given input buffers; `out` receives malloc'ed outputs. */
static qc_status_t run_on(const qc_model_t *m, const model_io_t *io,
                          const buffer_t *inputs, void **out) {
  qc_tensor_t t[MAX_TENSORS];
  size_t i;
  for (i = 0; i < io->n_in + io->n_out; ++i) {
    t[i].name = io->info[i].name;
    t[i].dtype = io->info[i].dtype;
    t[i].rank = io->info[i].rank;
    t[i].shape = io->info[i].shape;
    t[i].size_bytes = io->bytes[i];
    if (i < io->n_in) {
      t[i].data = inputs[i].data;
    } else {
      out[i - io->n_in] = malloc(io->bytes[i] ? io->bytes[i] : 1);
      t[i].data = out[i - io->n_in];
    }
  }
  return qc_model_run(m, t, io->n_in, t + io->n_in, io->n_out);
}

typedef struct thread_arg {
  const qc_model_t *m;
  const model_io_t *io;
  uint64_t seed;
  const buffer_t *shared_inputs; /* NULL: inputs of its own, from `seed` */
  void *expected[MAX_TENSORS];
  int mismatches, errors;
} thread_arg_t;

static void *thread_main(void *p) {
  thread_arg_t *a = (thread_arg_t *)p;
  int it;
  for (it = 0; it < THREAD_ITERATIONS; ++it) {
    void *out[MAX_TENSORS];
    qc_status_t st = a->shared_inputs
                         ? run_on(a->m, a->io, a->shared_inputs, out)
                         : run_once(a->m, a->io, a->seed, 0, PLAIN, out);
    if (st != QC_OK)
      ++a->errors;
    else if (!same_outputs(a->io, out, a->expected))
      ++a->mismatches;
    free_outputs(a->io, out);
  }
  return NULL;
}

/* Even threads run inputs of their own, odd threads all read one shared
 * input set at the same time; each compares with a serial run. */
static void test_threads(const qc_model_t *m, const model_io_t *io) {
  pthread_t threads[THREADS];
  thread_arg_t args[THREADS];
  buffer_t shared[MAX_TENSORS];
  size_t i;
  int t;
  for (i = 0; i < io->n_in; ++i) {
    if (!buffer_alloc(&shared[i], io->bytes[i], PLAIN))
      exit(2);
    fill_input(shared[i].data, &io->info[i], io->bytes[i], 100 + i, 0);
  }
  for (t = 0; t < THREADS; ++t) {
    thread_arg_t *a = &args[t];
    a->m = m;
    a->io = io;
    a->seed = 200 + 10 * (uint64_t)t;
    a->shared_inputs = t % 2 ? shared : NULL;
    a->mismatches = a->errors = 0;
    CHECK((a->shared_inputs
               ? run_on(m, io, shared, a->expected)
               : run_once(m, io, a->seed, 0, PLAIN, a->expected)) == QC_OK);
  }
  for (t = 0; t < THREADS; ++t)
    CHECK(pthread_create(&threads[t], NULL, thread_main, &args[t]) == 0);
  for (t = 0; t < THREADS; ++t) {
    pthread_join(threads[t], NULL);
    if (args[t].errors || args[t].mismatches)
      fprintf(stderr, "  thread %d: %d errors, %d results differ\n", t,
              args[t].errors, args[t].mismatches);
    CHECK(args[t].errors == 0 && args[t].mismatches == 0);
    free_outputs(io, args[t].expected);
  }
  for (i = 0; i < io->n_in; ++i)
    buffer_free(&shared[i]);
}

int main(int argc, char **argv) {
  int i;
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.so...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; ++i) {
    qc_model_t *m = NULL;
    model_io_t io;
    int before = g_failed;
    if (qc_model_open(argv[i], &m) != QC_OK) {
      fprintf(stderr, "%s: %s\n", argv[i], qc_last_error());
      return 1;
    }
    if (!describe(m, &io) || io.n_in == 0) {
      fprintf(stderr, "%s: needs 1 to %d tensors with at least one input\n",
              argv[i], MAX_TENSORS);
      return 1;
    }
    test_validation(m, &io);
    test_guards(m, &io);
    test_threads(m, &io);
    qc_model_close(m);
    printf("%s: %s (%lu inputs, %lu outputs, %d threads)\n", argv[i],
           g_failed == before ? "ok" : "FAILED", (unsigned long)io.n_in,
           (unsigned long)io.n_out, THREADS);
  }
  return g_failed ? 1 : 0;
}
