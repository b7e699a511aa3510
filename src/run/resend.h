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
    uint64_t key; /* the evaluations: their numbers and identities (run_item.hash,
                   * which leaves the batch number out), in order */
    long batch;   /* Dakota's batch number (eval_id B:E), -1 when the file has none */
} run_resend;

/* One earlier run the journal holds, completed (its end record written). */
typedef struct run_resend_past {
    uint64_t key;    /* its batch's run_resend key (0 for a run without one) */
    long batch;      /* its Dakota batch number */
    long failed;     /* evaluations that failed */
    int interrupted; /* stopped by a signal */
} run_resend_past;

/* Fill r for batch b. */
void run_resend_init(run_resend *r, const run_batch *b);
/* The decision, from the completed runs past[0..n) (oldest first): whether
 * r is Dakota re-sending failed work, that is whether the latest runs,
 * limit of them or more, each had r's key and failures (and was not
 * interrupted), with batch numbers going up to below r's. A batch number
 * that does not go up (a Dakota restarted with -read_restart numbers from
 * 1; a batch run again by hand) is a new start. 1 with *first and *last the
 * chain's batch numbers, else 0: always 0 for limit 0 or a batch without
 * batch numbers. */
int run_resend_decide(const run_resend *r, const run_resend_past *past, size_t n, int limit,
                      long *first, long *last);
/* run_resend_decide over the journal at journal_path: 1 with msg saying
 * so and what to do, else 0 (also when the journal cannot be read). */
int run_resend_check(const run_resend *r, const char *journal_path, int limit, char *msg,
                     size_t msgsz);
/* The "resend" member of the journal's run record: {"key":HEX,"batch":B}
 * (a new reference, a jansson json_t *). */
void *run_resend_json(const run_resend *r);

#endif
