/* Work directories made ahead: a helper thread creates the work directories
 * and parameters files of the next evaluations to start (in start order, a
 * bounded window ahead), so that a slow mkdir or open on a shared filesystem
 * does not keep a free core waiting. The loop takes what is ready and does
 * the rest itself. */
#ifndef BATCHTILE_RUN_PRESTAGE_H
#define BATCHTILE_RUN_PRESTAGE_H
#include <stddef.h>

#include "batch.h"
#include "workdir.h"

typedef struct run_prestage run_prestage;

/* Start the helper over the items order[0..n) of batch b (indices into
 * b->items, in the order they are expected to start), at most window of
 * them prepared and not yet taken. NULL on failure (then the loop stages
 * everything itself). */
run_prestage *run_prestage_new(const run_batch *b, const run_layout *l, const run_template *t,
                               int follow_links, const size_t *order, size_t n, size_t window);
/* Item i is about to start for the first time: 1 when its work directory and
 * parameters file are ready (and no stale results file is left), 0 when the
 * caller must prepare them itself (not reached yet, or it failed there: the
 * caller's own attempt says why). Waits only for an item being prepared at
 * this very moment. */
int run_prestage_take(run_prestage *p, size_t i);
/* Prepared so far, and taken ready (for the benchmarks' record). */
void run_prestage_stats(run_prestage *p, size_t *prepared, size_t *taken);
/* Stop the helper and free. */
void run_prestage_free(run_prestage *p);

#endif
