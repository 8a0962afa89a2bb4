/*===- qc_signature.c - Model signature parser --------------------*- C -*-===*\
|*                                                                            *|
|* SPDX-License-Identifier: Apache-2.0                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/*
 * Parses the signature text a compiled model exports. The text comes from a
 * file we did not write, so every field is checked: the parser never reads
 * past `length`, never allocates more than the text can describe, and turns
 * every defect into QC_ERROR_ABI with a message that says what was expected.
 */

#include "qc_signature.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest possible tensor line, "1:a 1 0", is 7 bytes plus a newline. */
#define MIN_TENSOR_LINE 8

typedef struct parser {
  const char *text;
  const char *end;
  const char *line;     /* start of the current line */
  const char *line_end; /* its '\n' or `end` */
  const char *cur;      /* cursor within [line, line_end] */
  const char *next;     /* start of the next line, NULL if none */
  size_t line_no;       /* 1-based */
  char *err;
  size_t err_size;
} parser_t;

static void fail(parser_t *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void qc_internal_escape(char *out, size_t out_size, const char *s, size_t n,
                        size_t max) {
  size_t o = 0, i;
  if (out_size == 0)
    return;
  for (i = 0; i < n && i < max; ++i) {
    unsigned char c = (unsigned char)s[i];
    char tmp[5];
    size_t tn;
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      tmp[0] = (char)c;
      tn = 1;
    } else {
      snprintf(tmp, sizeof(tmp), "\\x%02x", c);
      tn = 4;
    }
    if (o + tn + 1 > out_size)
      break;
    memcpy(out + o, tmp, tn);
    o += tn;
  }
  if (i < n && o + 4 <= out_size) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

static void fail(parser_t *p, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  snprintf(p->err, p->err_size, "invalid model signature (line %lu): %s",
           (unsigned long)p->line_no, msg);
}

/* Moves to the next line; returns 0 at the end of the text. A final '\n'
 * ends the last line; it does not start an empty one. */
static int next_line(parser_t *p) {
  const char *nl;
  if (!p->next)
    return 0;
  p->line = p->next;
  nl = (const char *)memchr(p->line, '\n', (size_t)(p->end - p->line));
  p->line_end = nl ? nl : p->end;
  p->next = nl && nl + 1 < p->end ? nl + 1 : NULL;
  p->cur = p->line;
  ++p->line_no;
  return 1;
}

/* Number of lines after the current one. */
static size_t lines_left(const parser_t *p) {
  size_t n = 0;
  const char *s = p->next;
  while (s) {
    const char *nl = (const char *)memchr(s, '\n', (size_t)(p->end - s));
    ++n;
    s = nl && nl + 1 < p->end ? nl + 1 : NULL;
  }
  return n;
}

/* An escaped excerpt of the current line, for messages. */
static const char *line_excerpt(const parser_t *p, char *buf, size_t size) {
  qc_internal_escape(buf, size, p->line, (size_t)(p->line_end - p->line), 48);
  return buf;
}

static int at_eol(const parser_t *p) { return p->cur == p->line_end; }

static int eat_literal(parser_t *p, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(p->line_end - p->cur) < n || memcmp(p->cur, lit, n) != 0)
    return 0;
  p->cur += n;
  return 1;
}

/*
 * Reads a decimal integer in [0, max]. Returns 1 on success, 0 if there is no
 * digit at the cursor, -1 on a leading '-', -2 if the value exceeds `max`.
 */
static int eat_uint(parser_t *p, uint64_t max, uint64_t *value) {
  uint64_t v = 0;
  const char *s = p->cur;
  if (s < p->line_end && *s == '-')
    return -1;
  if (s >= p->line_end || *s < '0' || *s > '9')
    return 0;
  while (s < p->line_end && *s >= '0' && *s <= '9') {
    unsigned d = (unsigned)(*s - '0');
    if (v > (max - d) / 10)
      return -2;
    v = v * 10 + d;
    ++s;
  }
  p->cur = s;
  *value = v;
  return 1;
}

/* Reads "<len>:<bytes>" into a fresh NUL-terminated string. */
static qc_status_t eat_name(parser_t *p, const char *what, char **out,
                            size_t *out_len) {
  uint64_t len = 0;
  char *s;
  int r = eat_uint(p, UINT64_MAX, &len);
  char buf[128];
  if (r == -2) {
    fail(p, "%s has a length that is too large", what);
    return QC_ERROR_ABI;
  }
  if (r != 1 || !eat_literal(p, ":")) {
    fail(p, "expected %s as '<length>:<name>', got '%s'", what,
         line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  if (len > (uint64_t)(p->line_end - p->cur)) {
    fail(p,
         "%s is declared %llu bytes long but only %lu bytes remain on the "
         "line",
         what, (unsigned long long)len, (unsigned long)(p->line_end - p->cur));
    return QC_ERROR_ABI;
  }
  s = (char *)malloc((size_t)len + 1);
  if (!s) {
    snprintf(p->err, p->err_size, "out of memory reading model signature");
    return QC_ERROR_OUT_OF_MEMORY;
  }
  memcpy(s, p->cur, (size_t)len);
  s[len] = '\0';
  p->cur += len;
  *out = s;
  *out_len = (size_t)len;
  return QC_OK;
}

/* Reads "<keyword> <count>" on its own line. */
static qc_status_t eat_count_line(parser_t *p, const char *keyword,
                                  size_t *count) {
  uint64_t v = 0;
  int r;
  char buf[128];
  size_t room;
  if (!next_line(p)) {
    fail(p, "expected '%s <count>', but the signature ends", keyword);
    return QC_ERROR_ABI;
  }
  if (!eat_literal(p, keyword) || !eat_literal(p, " ")) {
    fail(p, "expected '%s <count>', got '%s'", keyword,
         line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  r = eat_uint(p, UINT64_MAX, &v);
  if (r != 1 && r != -2) {
    fail(p, "expected a non-negative %s count, got '%s'", keyword,
         line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  if (r == -2 || v > QC_MAX_TENSORS) {
    fail(p, "%s count is too large (at most %u are supported)", keyword,
         (unsigned)QC_MAX_TENSORS);
    return QC_ERROR_ABI;
  }
  if (!at_eol(p)) {
    fail(p, "unexpected text after the %s count: '%s'", keyword,
         line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  room = lines_left(p);
  if (v > room) {
    fail(p, "signature declares %llu %s but only %lu lines follow",
         (unsigned long long)v, keyword, (unsigned long)room);
    return QC_ERROR_ABI;
  }
  *count = (size_t)v;
  return QC_OK;
}

void qc_internal_format_shape(char *buf, size_t size, const int64_t *shape,
                              int32_t rank) {
  size_t o = 1;
  int32_t i;
  if (size < 8) {
    if (size)
      buf[0] = '\0';
    return;
  }
  buf[0] = '[';
  for (i = 0; i < rank; ++i) {
    char dim[24];
    int n =
        snprintf(dim, sizeof(dim), i ? ",%lld" : "%lld", (long long)shape[i]);
    /* Keep room for ",...]" and the NUL. */
    if (n < 0 || o + (size_t)n + 6 > size) {
      memcpy(buf + o, ",...", 4);
      o += 4;
      break;
    }
    memcpy(buf + o, dim, (size_t)n);
    o += (size_t)n;
  }
  buf[o++] = ']';
  buf[o] = '\0';
}

/* Reads one tensor line into `t`. `kind` is "input" or "output". */
static qc_status_t eat_tensor(parser_t *p, const char *kind, size_t index,
                              qc_tensor_desc_t *t) {
  char what[64], nbuf[96], buf[128];
  uint64_t v = 0;
  int32_t i;
  int r;
  size_t elems = 1, dsize;
  int has_zero = 0;
  qc_status_t st;

  if (!next_line(p)) {
    fail(p, "expected %s %lu, but the signature ends", kind,
         (unsigned long)index);
    return QC_ERROR_ABI;
  }
  snprintf(what, sizeof(what), "the name of %s %lu", kind,
           (unsigned long)index);
  st = eat_name(p, what, &t->name, &t->name_len);
  if (st != QC_OK)
    return st;
  qc_internal_escape(nbuf, sizeof(nbuf), t->name, t->name_len, 64);
  if (t->name_len == 0) {
    fail(p, "%s %lu has an empty name", kind, (unsigned long)index);
    return QC_ERROR_ABI;
  }

  /* dtype */
  if (!eat_literal(p, " ") || (r = eat_uint(p, 1000000, &v)) == 0 || r == -1) {
    fail(p,
         "%s '%s': expected ' <dtype> <rank> <dims...>' after the name, "
         "got '%s'",
         kind, nbuf, line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  if (r == -2 || qc_dtype_size((qc_dtype_t)v) == 0) {
    if (r == -2)
      snprintf(buf, sizeof(buf), "(too large)");
    else
      snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    fail(p, "%s '%s': unknown dtype code %s", kind, nbuf, buf);
    return QC_ERROR_ABI;
  }
  t->dtype = (qc_dtype_t)v;

  /* rank */
  if (!eat_literal(p, " ") || (r = eat_uint(p, UINT64_MAX, &v)) == 0 ||
      r == -1) {
    fail(p, "%s '%s': expected a non-negative rank after the dtype, got '%s'",
         kind, nbuf, line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  if (r == -2 || v > QC_MAX_RANK) {
    fail(p, "%s '%s': rank is larger than %d, the most supported", kind, nbuf,
         QC_MAX_RANK);
    return QC_ERROR_ABI;
  }
  t->rank = (int32_t)v;

  /* dims */
  for (i = 0; i < t->rank; ++i) {
    if (!eat_literal(p, " ")) {
      fail(p, "%s '%s': rank is %d but only %d dimensions are given", kind,
           nbuf, (int)t->rank, (int)i);
      return QC_ERROR_ABI;
    }
    r = eat_uint(p, (uint64_t)INT64_MAX, &v);
    if (r == -1) {
      fail(p,
           "%s '%s': dimension %d is negative; dynamic dimensions are not "
           "supported",
           kind, nbuf, (int)i);
      return QC_ERROR_ABI;
    }
    if (r == -2) {
      fail(p, "%s '%s': dimension %d is too large", kind, nbuf, (int)i);
      return QC_ERROR_ABI;
    }
    if (r == 0) {
      fail(p, "%s '%s': expected dimension %d, got '%s'", kind, nbuf, (int)i,
           line_excerpt(p, buf, sizeof(buf)));
      return QC_ERROR_ABI;
    }
    t->shape[i] = (int64_t)v;
  }
  if (!at_eol(p)) {
    if (*p->cur == ' ' && p->cur + 1 < p->line_end && p->cur[1] >= '0' &&
        p->cur[1] <= '9')
      fail(p, "%s '%s': rank is %d but more dimensions are given", kind, nbuf,
           (int)t->rank);
    else
      fail(p, "%s '%s': unexpected text after the shape: '%s'", kind, nbuf,
           line_excerpt(p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }

  /* element and byte counts, checked for overflow */
  for (i = 0; i < t->rank; ++i)
    if (t->shape[i] == 0)
      has_zero = 1;
  dsize = qc_dtype_size(t->dtype);
  if (has_zero) {
    elems = 0;
  } else {
    for (i = 0; i < t->rank; ++i) {
      uint64_t d = (uint64_t)t->shape[i];
      if (d > (uint64_t)SIZE_MAX / elems ||
          (uint64_t)elems * d > (uint64_t)PTRDIFF_MAX / dsize) {
        qc_internal_format_shape(buf, sizeof(buf), t->shape, t->rank);
        fail(p, "%s '%s': shape %s has too many elements", kind, nbuf, buf);
        return QC_ERROR_ABI;
      }
      elems *= (size_t)d;
    }
  }
  t->num_elements = elems;
  t->num_bytes = elems * dsize;
  return QC_OK;
}

static int compare_desc_ptr(const void *a, const void *b) {
  const qc_tensor_desc_t *x = *(const qc_tensor_desc_t *const *)a;
  const qc_tensor_desc_t *y = *(const qc_tensor_desc_t *const *)b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->name, y->name, n);
  if (c)
    return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Rejects a name used twice within `count` descriptors. */
static qc_status_t check_unique(parser_t *p, const char *kind,
                                qc_tensor_desc_t *descs, size_t count) {
  const qc_tensor_desc_t **sorted;
  size_t i;
  qc_status_t st = QC_OK;
  if (count < 2)
    return QC_OK;
  sorted = (const qc_tensor_desc_t **)malloc(count * sizeof(*sorted));
  if (!sorted) {
    snprintf(p->err, p->err_size, "out of memory reading model signature");
    return QC_ERROR_OUT_OF_MEMORY;
  }
  for (i = 0; i < count; ++i)
    sorted[i] = &descs[i];
  qsort(sorted, count, sizeof(*sorted), compare_desc_ptr);
  for (i = 1; i < count; ++i) {
    if (compare_desc_ptr(&sorted[i - 1], &sorted[i]) == 0) {
      char nbuf[96];
      qc_internal_escape(nbuf, sizeof(nbuf), sorted[i]->name,
                         sorted[i]->name_len, 64);
      snprintf(p->err, p->err_size,
               "invalid model signature: %s name '%s' is used twice", kind,
               nbuf);
      st = QC_ERROR_ABI;
      break;
    }
  }
  free(sorted);
  return st;
}

qc_status_t qc_internal_signature_parse(const char *text, size_t length,
                                        qc_signature_t *sig, char *err,
                                        size_t err_size) {
  parser_t p;
  qc_status_t st;
  size_t i, model_name_len = 0, n_in = 0, n_out = 0;
  char buf[128];

  memset(sig, 0, sizeof(*sig));
  memset(&p, 0, sizeof(p));
  p.text = text;
  p.end = text + length;
  p.next = text;
  p.err = err;
  p.err_size = err_size;

  if (length == 0) {
    snprintf(err, err_size, "invalid model signature: it is empty");
    return QC_ERROR_ABI;
  }

  /* header */
  next_line(&p);
  if (!eat_literal(&p, "qc-signature ")) {
    fail(&p, "expected 'qc-signature 1', got '%s'",
         line_excerpt(&p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  if (!eat_literal(&p, "1") || !at_eol(&p)) {
    fail(&p,
         "unsupported signature version '%s' (this runtime reads version "
         "1); recompile the model with a matching qc-compile",
         line_excerpt(&p, buf, sizeof(buf)) + strlen("qc-signature "));
    return QC_ERROR_ABI;
  }

  /* model name */
  if (!next_line(&p)) {
    fail(&p, "expected 'model <length>:<name>', but the signature ends");
    return QC_ERROR_ABI;
  }
  if (!eat_literal(&p, "model ")) {
    fail(&p, "expected 'model <length>:<name>', got '%s'",
         line_excerpt(&p, buf, sizeof(buf)));
    return QC_ERROR_ABI;
  }
  st = eat_name(&p, "the model name", &sig->model_name, &model_name_len);
  if (st != QC_OK)
    goto error;
  if (!at_eol(&p)) {
    fail(&p, "unexpected text after the model name: '%s'",
         line_excerpt(&p, buf, sizeof(buf)));
    st = QC_ERROR_ABI;
    goto error;
  }

  /* inputs */
  st = eat_count_line(&p, "inputs", &n_in);
  if (st != QC_OK)
    goto error;
  /* Allocate for the inputs now; the outputs are added once counted. Each
   * tensor needs a line, so this is bounded by the text's size. */
  sig->tensors =
      (qc_tensor_desc_t *)calloc(n_in ? n_in : 1, sizeof(qc_tensor_desc_t));
  if (!sig->tensors) {
    snprintf(err, err_size, "out of memory reading model signature");
    st = QC_ERROR_OUT_OF_MEMORY;
    goto error;
  }
  sig->num_inputs = n_in;
  for (i = 0; i < n_in; ++i) {
    st = eat_tensor(&p, "input", i, &sig->tensors[i]);
    if (st != QC_OK)
      goto error;
  }

  /* outputs */
  st = eat_count_line(&p, "outputs", &n_out);
  if (st != QC_OK)
    goto error;
  if (n_out == 0) {
    fail(&p, "the model has no outputs");
    st = QC_ERROR_ABI;
    goto error;
  }
  {
    qc_tensor_desc_t *grown = (qc_tensor_desc_t *)realloc(
        sig->tensors, (n_in + n_out) * sizeof(qc_tensor_desc_t));
    if (!grown) {
      snprintf(err, err_size, "out of memory reading model signature");
      st = QC_ERROR_OUT_OF_MEMORY;
      goto error;
    }
    memset(grown + n_in, 0, n_out * sizeof(qc_tensor_desc_t));
    sig->tensors = grown;
    sig->num_outputs = n_out;
  }
  for (i = 0; i < n_out; ++i) {
    st = eat_tensor(&p, "output", i, &sig->tensors[n_in + i]);
    if (st != QC_OK)
      goto error;
  }

  /* Nothing may follow but the last line's newline. */
  if (next_line(&p)) {
    fail(&p, "unexpected text after the last output: '%s'",
         line_excerpt(&p, buf, sizeof(buf)));
    st = QC_ERROR_ABI;
    goto error;
  }

  st = check_unique(&p, "input", sig->tensors, n_in);
  if (st != QC_OK)
    goto error;
  st = check_unique(&p, "output", sig->tensors + n_in, n_out);
  if (st != QC_OK)
    goto error;
  return QC_OK;

error:
  qc_internal_signature_free(sig);
  return st;
}

void qc_internal_signature_free(qc_signature_t *sig) {
  size_t i;
  if (!sig)
    return;
  if (sig->tensors)
    for (i = 0; i < sig->num_inputs + sig->num_outputs; ++i)
      free(sig->tensors[i].name);
  free(sig->tensors);
  free(sig->model_name);
  memset(sig, 0, sizeof(*sig));
}
