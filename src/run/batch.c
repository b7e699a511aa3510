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

/* Dakota's batch number in eval_id: the field before the last, when it is
 * a number ("B:E", "P:B:E"); *field and *last are where it starts and the
 * last ':'. -1 when there is none ("7", "a:7"). */
static long batch_field(const char *id, const char **field, const char **last)
{
    const char *l = strrchr(id, ':');
    if (!l)
        return -1;
    const char *f = l;
    while (f > id && f[-1] != ':')
        f--;
    if (f == l || l - f > 18)
        return -1;
    long n = 0;
    for (const char *c = f; c < l; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        n = n * 10 + (*c - '0');
    }
    *field = f;
    *last = l;
    return n;
}

/* An evaluation's identity: the hash of its exact bytes, but for the batch
 * number in its eval_id and the padding before that value, left out at the
 * place where the parser found the eval_id (so a string variable or a label
 * with the same text stays in). Dakota restarted with -read_restart numbers
 * its batches from 1 again: an evaluation sent as 3:9 before the kill is the
 * same evaluation as 1:9 after it. Without a batch number: the exact bytes. */
static unsigned long long item_key(const char *text, size_t len, const dak_params *p)
{
    const char *field, *last;
    size_t at = p->eval_id_at, n = p->eval_id_len;
    if (n == 0 || at > len || n > len - at || batch_field(p->eval_id, &field, &last) < 0)
        return ut_hash(UT_HASH_INIT, text, len);
    size_t before = at; /* the text before the value, its padding left out */
    while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t'))
        before--;
    size_t prefix = (size_t)(field - p->eval_id);
    /* each piece's length hashed too: no two splits of the bytes collide */
    uint64_t h = ut_hash(UT_HASH_INIT, text, before);
    h = ut_hash(h, &before, sizeof before);
    h = ut_hash(h, p->eval_id, prefix);
    h = ut_hash(h, &prefix, sizeof prefix);
    h = ut_hash_str(h, last); /* ":E" */
    return ut_hash(h, text + at + n, len - at - n);
}

int run_batch_load(run_batch *b, const char *path, int keep_params, char *msg, size_t msgsz)
{
    memset(b, 0, sizeof *b);
    b->path = path;
    if (ut_file_map(path, &b->map) < 0) {
        snprintf(msg, msgsz, "%s: cannot read: %s", path, strerror(errno));
        return RUN_LOAD_SYSTEM;
    }
    /* a NUL or control byte is no part of what Dakota writes: said with its
     * place, never read past (a parser stopping at a NUL drops the rest) */
    size_t bad_line = 0;
    long bad = ut_text_bad_byte(b->map.data, b->map.len, &bad_line);
    if (bad >= 0) {
        snprintf(msg, msgsz, "%s:%zu: byte 0x%02x at offset %ld is not text: a batch parameters "
                 "file is text", path, bad_line, (unsigned char)b->map.data[bad], bad);
        int rc = RUN_LOAD_INPUT;
        if (ut_map_faulted(&b->map)) {
            snprintf(msg, msgsz, "%s: cannot read: it was truncated while it was read", path);
            rc = RUN_LOAD_SYSTEM;
        }
        run_batch_free(b);
        return rc;
    }
    ut_map_release(&b->map, b->map.len);
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
        item->bytes = ut_hash(UT_HASH_INIT, ev.text, ev.len);
        item->hash = item_key(ev.text, ev.len, ev.params);
        if (b->n == 1) {
            const char *field, *last;
            b->batch_id = batch_field(ev.params->eval_id, &field, &last);
        }
        if (keep_params) {
            item->params = ev.params;
        } else {
            item->params = NULL;
            dak_params_free(ev.params);
        }
    }
    b->single = dak_batch_single(it);
    dak_batch_close(it);
    if (ut_map_faulted(&b->map)) {
        snprintf(msg, msgsz, "%s: cannot read: it was truncated while it was read", path);
        run_batch_free(b);
        return RUN_LOAD_SYSTEM;
    }
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

char *run_item_copy(const run_batch *b, const run_item *it)
{
    (void)b;
    char *t = malloc(it->len + 1);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    /* a truncated mapping reads as zeros here (util/file's guard), a file
     * rewritten in place as its new bytes: either way not what was hashed */
    memcpy(t, it->text, it->len);
    t[it->len] = '\0';
    if (ut_hash(UT_HASH_INIT, t, it->len) != it->bytes) {
        free(t);
        errno = ESTALE;
        return NULL;
    }
    return t;
}

void run_batch_changed_msg(const run_batch *b, const run_item *it, char *msg, size_t msgsz)
{
    snprintf(msg, msgsz,
             "%s: changed while this run used it (line %zu no longer holds evaluation %ld as "
             "it was read at the start)",
             b->path, it->line, it->eval);
}

dak_params *run_item_params(const run_batch *b, const run_item *it, int *owned)
{
    *owned = 0;
    if (it->params)
        return it->params;
    char *t = run_item_copy(b, it);
    if (!t)
        return NULL;
    dak_error err;
    dak_params *p = dak_params_parse(t, it->len, b->format, b->path, it->line, &err);
    free(t);
    if (!p)
        errno = ENOMEM;
    *owned = p != NULL;
    return p;
}

int run_item_write_params(const run_batch *b, const run_item *it, const run_layout *l,
                          const run_template *t, int follow_links, char *msg, size_t msgsz)
{
    char *text = run_item_copy(b, it);
    if (!text) {
        int e = errno;
        if (e == ESTALE)
            run_batch_changed_msg(b, it, msg, msgsz);
        else
            snprintf(msg, msgsz, "out of memory");
        errno = e;
        return -1;
    }
    int r = run_workdir_write_params(l, it->eval, text, it->len, t, follow_links, msg, msgsz);
    int e = errno;
    free(text);
    errno = e;
    return r;
}
