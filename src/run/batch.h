/* A batch parameters file loaded whole: every evaluation parsed and checked
 * before anything is written, so bad input leaves nothing half-done. */
#ifndef BATCHTILE_RUN_BATCH_H
#define BATCHTILE_RUN_BATCH_H
#include <stddef.h>

#include "dakota/dakota.h"
#include "util/file.h"
#include "workdir.h"

/* One evaluation of the batch. */
typedef struct run_item {
    const char *text;   /* its bytes in the batch file, verbatim */
    size_t len;
    size_t line;        /* where it starts in the batch file */
    long eval;          /* evaluation number */
    unsigned long long hash; /* its identity (resume, the journal): the hash of its exact
                              * bytes but for Dakota's batch number (run_batch_load) */
    unsigned long long bytes; /* the hash of its exact bytes (run_item_copy's check) */
    dak_params *params; /* parsed, when loaded with keep_params (else NULL) */
} run_item;

typedef struct run_batch {
    const char *path;
    ut_map map;       /* the file's bytes; items point into it */
    dak_format format;
    int single;       /* one lone JSON object, not a batch: answered alike */
    long batch_id;    /* Dakota's batch number in the first evaluation's eval_id
                       * (the field before the evaluation number), -1 if none */
    size_t n;
    run_item *items;  /* in batch order */
} run_batch;

enum { RUN_LOAD_OK = 0, RUN_LOAD_SYSTEM = -1, RUN_LOAD_INPUT = -2 };

/* Load and parse path. keep_params keeps every evaluation's parsed record
 * (else they are dropped after checking, to save memory on large batches,
 * and run_item_params parses one again when needed). On failure returns
 * RUN_LOAD_SYSTEM (cannot read) or RUN_LOAD_INPUT (malformed; "file:line:
 * what was expected") with msg set. */
int run_batch_load(run_batch *b, const char *path, int keep_params, char *msg, size_t msgsz);
/* An item's parameters: its kept record, or a fresh parse the caller frees
 * (*owned set). NULL with errno: ENOMEM, or ESTALE when the batch file
 * changed underneath (its bytes are no longer what was read at the start). */
dak_params *run_item_params(const run_batch *b, const run_item *it, int *owned);
/* A copy of an item's bytes (NUL-terminated, the caller frees), checked
 * against the hash taken at load: NULL with errno ENOMEM, or ESTALE when
 * the batch file changed underneath (truncated, rewritten in place; a file
 * renamed over it is another file and changes nothing). */
char *run_item_copy(const run_batch *b, const run_item *it);
/* The message for ESTALE: the file, and the evaluation no longer found. */
void run_batch_changed_msg(const run_batch *b, const run_item *it, char *msg, size_t msgsz);
/* run_workdir_write_params with the item's bytes (run_item_copy): -1
 * with msg set and errno (ESTALE: the batch file changed underneath). */
int run_item_write_params(const run_batch *b, const run_item *it, const run_layout *l,
                          const run_template *t, int follow_links, char *msg, size_t msgsz);
/* Give back the memory of the batch file's pages read so far (they are
 * read again from the page cache when touched). */
void run_batch_release(run_batch *b);
/* Release everything load allocated. */
void run_batch_free(run_batch *b);

#endif
