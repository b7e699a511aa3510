#include "batch.h"

#include "util/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_eval(const void *a, const void *b)
{
    const run_item *x = *(run_item *const *)a, *y = *(run_item *const *)b;
    if (x->eval != y->eval)
        return x->eval < y->eval ? -1 : 1;
    return x < y ? -1 : (x > y);
}

/* Work directories are named by evaluation number: two evaluations with the
 * same number would overwrite each other's files. */
static int check_unique(run_batch *b, char *msg, size_t msgsz)
{
    if (b->n < 2)
        return 0;
    run_item **order = malloc(b->n * sizeof *order);
    if (!order) {
        snprintf(msg, msgsz, "%s: out of memory", b->path);
        return RUN_LOAD_SYSTEM;
    }
    for (size_t i = 0; i < b->n; i++)
        order[i] = &b->items[i];
    qsort(order, b->n, sizeof *order, by_eval);
    int rc = 0;
    for (size_t i = 1; i < b->n; i++) {
        if (order[i]->eval == order[i - 1]->eval) {
            snprintf(msg, msgsz,
                     "%s:%zu: expected a new evaluation number, found evaluation %ld again "
                     "(first at line %zu)",
                     b->path, order[i]->line, order[i]->eval, order[i - 1]->line);
            rc = RUN_LOAD_INPUT;
            break;
        }
    }
    free(order);
    return rc;
}

/* The hash of an evaluation's exact bytes, but for the batch number of its
 * eval_id ("B:E", "P:B:E", and the padding before it): Dakota restarted
 * with -read_restart numbers its batches from 1 again, and an evaluation
 * sent as 3:9 before the kill is the same evaluation as 1:9 after it. */
static unsigned long long item_hash(const char *text, size_t len, const char *eval_id)
{
    const char *last = eval_id ? strrchr(eval_id, ':') : NULL;
    size_t n = eval_id ? strlen(eval_id) : 0;
    const char *at = NULL;
    for (size_t i = len; n && i >= n; i--) /* the last occurrence: after the values */
        if (memcmp(text + i - n, eval_id, n) == 0) {
            at = text + i - n;
            break;
        }
    if (!last || !at)
        return ut_hash(UT_HASH_INIT, text, len);
    const char *ws = at;
    while (ws > text && (ws[-1] == ' ' || ws[-1] == '\t'))
        ws--;
    const char *b = last; /* the batch field: between the colon before last and last */
    while (b > eval_id && b[-1] != ':')
        b--;
    uint64_t h = ut_hash(UT_HASH_INIT, text, (size_t)(ws - text));
    h = ut_hash(h, eval_id, (size_t)(b - eval_id));
    h = ut_hash_str(h, last);
    return ut_hash(h, at + n, len - (size_t)(at + n - text));
}

int run_batch_load(run_batch *b, const char *path, int keep_params, char *msg, size_t msgsz)
{
    memset(b, 0, sizeof *b);
    b->path = path;
    if (ut_file_map(path, &b->map) < 0) {
        snprintf(msg, msgsz, "%s: cannot read: %s", path, strerror(errno));
        return RUN_LOAD_SYSTEM;
    }
    dak_error err;
    dak_batch *it = dak_batch_open(b->map.data, b->map.len, path, &err);
    if (!it)
        goto bad;
    b->format = dak_batch_format(it);
    size_t cap = 0, released = 0;
    for (;;) {
        if (b->n == cap) {
            cap = cap ? cap * 2 : 64;
            run_item *ne = realloc(b->items, cap * sizeof *ne);
            if (!ne) {
                dak_batch_close(it);
                snprintf(msg, msgsz, "%s: out of memory", path);
                run_batch_free(b);
                return RUN_LOAD_SYSTEM;
            }
            b->items = ne;
        }
        dak_eval ev;
        int r = dak_batch_next(it, &ev, &err);
        if (r == 0)
            break;
        if (r < 0) {
            dak_batch_close(it);
            goto bad;
        }
        run_item *item = &b->items[b->n++];
        /* what is read is given back as the reading goes on: a batch file
         * of any size costs a few MB of memory (its pages are read again
         * from the page cache when an evaluation needs them) */
        if ((size_t)(ev.text - b->map.data) >= released + (16u << 20)) {
            released = (size_t)(ev.text - b->map.data);
            ut_map_release(&b->map, released);
        }
        item->text = ev.text;
        item->len = ev.len;
        item->line = ev.line;
        item->eval = ev.params->eval;
        /* the exact bytes Dakota wrote: 17 digits that parse to one double
         * are still two different parameters */
        item->hash = item_hash(ev.text, ev.len, ev.params->eval_id);
        if (keep_params) {
            item->params = ev.params;
        } else {
            item->params = NULL;
            dak_params_free(ev.params);
        }
    }
    b->single = dak_batch_single(it);
    dak_batch_close(it);
    run_batch_release(b);
    if (b->n == 0) {
        snprintf(msg, msgsz, "%s:1: expected at least one evaluation, found none",
                 path);
        run_batch_free(b);
        return RUN_LOAD_INPUT;
    }
    int rc = check_unique(b, msg, msgsz);
    if (rc < 0)
        run_batch_free(b);
    return rc;
bad:
    dak_error_str(&err, msg, msgsz);
    run_batch_free(b);
    return RUN_LOAD_INPUT;
}

void run_batch_release(run_batch *b)
{
    ut_map_release(&b->map, b->map.len);
}

void run_batch_free(run_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        dak_params_free(b->items[i].params);
    free(b->items);
    b->items = NULL;
    b->n = 0;
    if (b->map.data)
        ut_file_unmap(&b->map);
}

dak_params *run_item_params(const run_batch *b, const run_item *it, int *owned)
{
    *owned = 0;
    if (it->params)
        return it->params;
    dak_error err;
    dak_params *p = dak_params_parse(it->text, it->len, b->format, b->path, it->line, &err);
    *owned = p != NULL;
    return p;
}
