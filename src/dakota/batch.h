/* A batch parameters file split into its evaluations, streaming: each
 * evaluation comes with the exact bytes Dakota wrote for it and its parsed
 * parameters. */
#ifndef BATCHTILE_DAKOTA_BATCH_H
#define BATCHTILE_DAKOTA_BATCH_H
#include <stddef.h>

#include "format.h"
#include "params.h"

typedef struct dak_batch dak_batch;

typedef struct dak_eval {
    const char *text;   /* the evaluation's bytes, verbatim (points into the buffer) */
    size_t len;
    size_t line;        /* line number of text[0] in the batch file */
    size_t index;       /* 0-based position in the batch */
    dak_params *params; /* parsed; the caller frees it with dak_params_free */
} dak_eval;

/* Start reading a batch held in buf (which must outlive the reader). The
 * format is detected from the first line. name is used in error messages. */
dak_batch *dak_batch_open(const char *buf, size_t len, const char *name, dak_error *err);
/* The batch's format. */
dak_format dak_batch_format(const dak_batch *b);
/* The next evaluation: 1 and *ev filled, 0 at the end, -1 on malformed
 * input (err filled). */
int dak_batch_next(dak_batch *b, dak_eval *ev, dak_error *err);
/* 1 when the file was one lone JSON object, not a batch (known once
 * dak_batch_next has returned its evaluation): the answer is one object. */
int dak_batch_single(const dak_batch *b);
/* Release the reader (not the evaluations it returned). */
void dak_batch_close(dak_batch *b);

#endif
