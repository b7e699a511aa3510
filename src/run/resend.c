/* Dakota's endless re-send, recognised from the journal (resend.h). */
#include "resend.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/journal.h"
#include "util/hash.h"

void run_resend_init(run_resend *r, const run_batch *b)
{
    r->key = UT_HASH_INIT;
    r->batch = b->batch_id;
    for (size_t i = 0; i < b->n; i++) {
        long eval = b->items[i].eval;
        unsigned long long h = b->items[i].hash;
        r->key = ut_hash(r->key, &eval, sizeof eval);
        r->key = ut_hash(r->key, &h, sizeof h);
    }
}

void *run_resend_json(const run_resend *r)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r->key);
    return json_pack("{s:s,s:I}", "key", hex, "batch", (json_int_t)r->batch);
}

/* the journal read in order: the chain of latest completed runs with the
 * key that ended with failures, and their distinct batch ids */
typedef struct chain {
    char key[17];
    int in_run;      /* a run record seen, its end not yet */
    int run_matches; /* that run had the key */
    long run_batch;
    long *batches;   /* the chain's distinct batch ids, at most cap */
    int n, cap;
} chain;

static void chain_record(void *arg, const void *record)
{
    chain *c = arg;
    const json_t *rec = record;
    const char *type = json_string_value(json_object_get(rec, "type"));
    if (!type)
        return;
    if (strcmp(type, "run") == 0) {
        const json_t *rs = json_object_get(rec, "resend");
        const char *key = json_string_value(json_object_get(rs, "key"));
        c->in_run = 1;
        c->run_matches = key && strcmp(key, c->key) == 0;
        c->run_batch = (long)json_integer_value(json_object_get(rs, "batch"));
        return;
    }
    if (strcmp(type, "end") != 0 || !c->in_run)
        return;
    c->in_run = 0; /* a run without its end (killed) neither extends nor breaks the chain */
    if (!c->run_matches || json_integer_value(json_object_get(rec, "failed")) <= 0 ||
        json_is_true(json_object_get(rec, "interrupted"))) {
        c->n = 0;
        return;
    }
    for (int i = 0; i < c->n; i++)
        if (c->batches[i] == c->run_batch)
            return; /* the same batch run again (by hand, or a restart): not a re-send */
    if (c->n < c->cap)
        c->batches[c->n++] = c->run_batch;
    else {
        memmove(c->batches, c->batches + 1, (size_t)(c->cap - 1) * sizeof *c->batches);
        c->batches[c->cap - 1] = c->run_batch;
    }
}

int run_resend_check(const run_resend *r, const char *journal_path, int limit, char *msg,
                     size_t msgsz)
{
    if (limit <= 0 || r->batch < 0)
        return 0;
    chain c = {.cap = limit, .batches = calloc((size_t)limit, sizeof(long))};
    if (!c.batches)
        return 0;
    snprintf(c.key, sizeof c.key, "%016llx", (unsigned long long)r->key);
    run_journal_read(journal_path, chain_record, &c);
    int stop = c.n >= limit;
    for (int i = 0; stop && i < c.n; i++)
        if (c.batches[i] == r->batch)
            stop = 0;
    if (stop)
        snprintf(msg, msgsz,
                 "Dakota sent batch %ld with the same evaluations as batches %ld to %ld, each "
                 "of which ended with failures (%s): Dakota 6.21 re-sends failed JSON results "
                 "under failure_capture recover forever; nothing was run, no results file "
                 "written, so that Dakota stops (exit status %d). Use --on-fail nan or "
                 "--on-fail value:X for a study to survive failures; --resend-limit 0 turns "
                 "this check off",
                 r->batch, c.batches[0], c.batches[c.n - 1], journal_path, RUN_RESEND_STATUS);
    free(c.batches);
    return stop;
}
