#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_eval(const void *a, const void *b)
{
    const dak_eval *x = *(dak_eval *const *)a, *y = *(dak_eval *const *)b;
    if (x->params->eval != y->params->eval)
        return x->params->eval < y->params->eval ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Work directories are named by evaluation number: two evaluations with the
 * same number would overwrite each other's files. */
static int check_unique(run_batch *b, char *msg, size_t msgsz)
{
    if (b->n < 2)
        return 0;
    dak_eval **order = malloc(b->n * sizeof *order);
    if (!order) {
        snprintf(msg, msgsz, "%s: out of memory", b->path);
        return RUN_LOAD_SYSTEM;
    }
    for (size_t i = 0; i < b->n; i++)
        order[i] = &b->evals[i];
    qsort(order, b->n, sizeof *order, by_eval);
    int rc = 0;
    for (size_t i = 1; i < b->n; i++) {
        if (order[i]->params->eval == order[i - 1]->params->eval) {
            snprintf(msg, msgsz,
                     "%s:%zu: expected a new evaluation number, found evaluation %ld again "
                     "(first at line %zu)",
                     b->path, order[i]->line, order[i]->params->eval, order[i - 1]->line);
            rc = RUN_LOAD_INPUT;
            break;
        }
    }
    free(order);
    return rc;
}

int run_batch_load(run_batch *b, const char *path, char *msg, size_t msgsz)
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
    size_t cap = 0;
    for (;;) {
        if (b->n == cap) {
            cap = cap ? cap * 2 : 64;
            dak_eval *ne = realloc(b->evals, cap * sizeof *ne);
            if (!ne) {
                dak_batch_close(it);
                snprintf(msg, msgsz, "%s: out of memory", path);
                run_batch_free(b);
                return RUN_LOAD_SYSTEM;
            }
            b->evals = ne;
        }
        int r = dak_batch_next(it, &b->evals[b->n], &err);
        if (r == 0)
            break;
        if (r < 0) {
            dak_batch_close(it);
            goto bad;
        }
        b->n++;
    }
    dak_batch_close(it);
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

void run_batch_free(run_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        dak_params_free(b->evals[i].params);
    free(b->evals);
    b->evals = NULL;
    b->n = 0;
    if (b->map.data)
        ut_file_unmap(&b->map);
}
