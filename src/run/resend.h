/* Dakota's endless re-send: Dakota 6.21, given {"fail": true} in JSON batch
 * results under failure_capture recover, sends the rest of the batch again
 * under a new batch id, forever (the failed evaluations run each time).
 * Recognised from the journal: the same evaluations (numbers and
 * parameters, the batch id aside) handed again after `limit` successive
 * batches that each ended with failures; the run then stops before running
 * anything, so that the study ends instead of burning the allocation. */
#ifndef BATCHTILE_RUN_RESEND_H
#define BATCHTILE_RUN_RESEND_H
#include <stddef.h>
#include <stdint.h>

#include "run/batch.h"

#define RUN_RESEND_LIMIT_DEFAULT 2
#define RUN_RESEND_STATUS 5 /* the exit status of a refused re-send */

typedef struct run_resend {
    uint64_t key; /* the evaluations: their numbers and parameters, in order */
    long batch;   /* Dakota's batch id (eval_id B:E), -1 when the file has none */
} run_resend;

/* Fill r for batch b. 0, or -1 when out of memory. */
int run_resend_init(run_resend *r, const run_batch *b);
/* Whether the batch r describes is Dakota re-sending failed work: the
 * journal's latest completed runs (limit of them or more, each a different
 * Dakota batch id other than r's) had r's key and ended with failures. Then
 * 1, with msg saying so and what to do; else 0 (always 0 for limit 0 or a
 * batch without batch ids). */
int run_resend_check(const run_resend *r, const char *journal_path, int limit, char *msg,
                     size_t msgsz);
/* The "resend" member of the journal's run record: {"key":HEX,"batch":B}
 * (a new reference, a jansson json_t *). */
void *run_resend_json(const run_resend *r);

#endif
