/* Work directories made ahead: helper threads create the work directories
 * and parameters files of the next evaluations to start (in start order, a
 * bounded window ahead, several at once so that a shared filesystem's
 * latency overlaps), so that a slow mkdir or open does not keep a free core
 * waiting. The loop takes what is ready and does the rest itself. How many
 * helpers work is sized from the latency they measure: one on a fast local
 * filesystem (more only contend with the loop for the cores), up to all of
 * them where a mkdir takes milliseconds. */
#ifndef BATCHTILE_RUN_PRESTAGE_H
#define BATCHTILE_RUN_PRESTAGE_H
#include <stddef.h>

#include "batch.h"
#include "workdir.h"

typedef struct run_prestage run_prestage;

/* Start up to nthreads helpers over the items order[0..n) of batch b (indices
 * into b->items, in the order they are expected to start), at most window
 * of them prepared and not yet taken. NULL on failure (then the loop stages
 * everything itself). */
run_prestage *run_prestage_new(const run_batch *b, const run_layout *l, const run_template *t,
                               const char *out_name, const char *err_name, int follow_links,
                               const size_t *order, size_t n, size_t window, int nthreads);
/* Item i is about to start for the first time: 1 when its work directory,
 * parameters file and empty stdout and stderr files (out_name, err_name,
 * relative to it) are ready, and no stale results file is left; 0 when the
 * caller must prepare them itself (not reached yet, or it failed there: the
 * caller's own attempt says why). Waits only for an item being prepared at
 * this very moment. */
int run_prestage_take(run_prestage *p, size_t i);
/* Prepared so far, taken ready, and helpers at work (for the benchmarks'
 * record). */
void run_prestage_stats(run_prestage *p, size_t *prepared, size_t *taken, int *active);
/* Stop the helpers and free. */
void run_prestage_free(run_prestage *p);

#endif
