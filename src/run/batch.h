/* A batch parameters file loaded whole: every evaluation parsed and checked
 * before anything is written, so bad input leaves nothing half-done. */
#ifndef BATCHTILE_RUN_BATCH_H
#define BATCHTILE_RUN_BATCH_H
#include <stddef.h>

#include "dakota/dakota.h"
#include "util/file.h"

typedef struct run_batch {
    const char *path;
    ut_map map;       /* the file's bytes; evaluations point into it */
    dak_format format;
    size_t n;
    dak_eval *evals;  /* in batch order */
} run_batch;

enum { RUN_LOAD_OK = 0, RUN_LOAD_SYSTEM = -1, RUN_LOAD_INPUT = -2 };

/* Load and parse path. On failure returns RUN_LOAD_SYSTEM (cannot read) or
 * RUN_LOAD_INPUT (malformed; "file:line: what was expected") with msg set. */
int run_batch_load(run_batch *b, const char *path, char *msg, size_t msgsz);
/* Release everything load allocated. */
void run_batch_free(run_batch *b);

#endif
