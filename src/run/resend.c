/* Dakota's endless re-send, recognised from the journal (resend.h). */
#include "resend.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
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

int run_resend_decide(const run_resend *r, const run_resend_past *past, size_t n, int limit,
                      long *first, long *last)
{
    if (limit <= 0 || r->batch < 0)
        return 0;
    /* back from the latest run: batch numbers going down, each run with
     * r's key and failures; Dakota numbers its batches upward, so a number
     * that does not go up is a new Dakota (-read_restart numbers from 1) or
     * a batch run again by hand: the chain ends there */
    size_t start = n; /* the chain is past[start..n) */
    long above = r->batch;
    while (start > 0) {
        const run_resend_past *p = &past[start - 1];
        if (p->key != r->key || p->failed <= 0 || p->interrupted || p->batch < 0 ||
            p->batch >= above)
            break;
        above = p->batch;
        start--;
    }
    if (n - start < (size_t)limit)
        return 0;
    *first = past[start].batch;
    *last = past[n - 1].batch;
    return 1;
}

/* the journal read in order: its completed runs */
typedef struct reader {
    run_resend_past *past;
    size_t n, cap;
    int in_run; /* a run record seen, its end not yet */
    run_resend_past cur;
    int nomem;
} reader;

static void read_run(void *arg, const rec_run *r)
{
    reader *rd = arg;
    rd->in_run = 1; /* a run without its end (killed) is no run here */
    rd->cur.key = r->resend_key ? strtoull(r->resend_key, NULL, 16) : 0;
    rd->cur.batch = r->resend_batch;
}

static void read_end(void *arg, const rec_end *e)
{
    reader *rd = arg;
    if (!rd->in_run)
        return;
    rd->in_run = 0;
    rd->cur.failed = e->failed;
    rd->cur.interrupted = e->interrupted;
    if (rd->n == rd->cap) {
        size_t cap = rd->cap ? rd->cap * 2 : 16;
        run_resend_past *np = realloc(rd->past, cap * sizeof *np);
        if (!np) {
            rd->nomem = 1;
            return;
        }
        rd->past = np;
        rd->cap = cap;
    }
    rd->past[rd->n++] = rd->cur;
}

int run_resend_check(const run_resend *r, const char *journal_path, int limit, char *msg,
                     size_t msgsz)
{
    if (limit <= 0 || r->batch < 0)
        return 0;
    reader rd = {0};
    rec_read(journal_path, &(rec_reader){.run = read_run, .end = read_end}, &rd);
    long first = 0, last = 0;
    int stop = !rd.nomem && run_resend_decide(r, rd.past, rd.n, limit, &first, &last);
    free(rd.past);
    if (stop)
        snprintf(msg, msgsz,
                 "Dakota sent batch %ld with the same evaluations as batches %ld to %ld, each "
                 "of which ended with failures (%s): Dakota 6.21 re-sends failed JSON results "
                 "under failure_capture recover forever; nothing was run, no results file "
                 "written, so that Dakota stops (exit status %d). Use --on-fail nan or "
                 "--on-fail value:X for a study to survive failures; --resend-limit 0 turns "
                 "this check off",
                 r->batch, first, last, journal_path, RUN_RESEND_STATUS);
    return stop;
}
