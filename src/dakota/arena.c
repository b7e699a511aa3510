#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "internal.h"

struct blk {
    struct blk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

struct dak_arena {
    struct blk *head;
};

static struct blk *blk_new(size_t cap)
{
    struct blk *b = malloc(sizeof *b + cap);
    if (!b)
        return NULL;
    b->next = NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

struct dak_arena *dak_arena_new(size_t hint)
{
    struct dak_arena *a = malloc(sizeof *a);
    if (!a)
        return NULL;
    a->head = blk_new(hint < 256 ? 256 : hint);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void *dak_arena_alloc(struct dak_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct blk *b = a->head;
    if (b->cap - b->used < n) {
        size_t cap = b->cap * 2;
        if (cap < n)
            cap = n;
        struct blk *nb = blk_new(cap);
        if (!nb)
            return NULL;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *dak_arena_strndup(struct dak_arena *a, const char *s, size_t n)
{
    char *p = dak_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void dak_arena_free(struct dak_arena *a)
{
    if (!a)
        return;
    struct blk *b = a->head;
    while (b) {
        struct blk *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void dak_seterr(dak_error *err, const char *name, size_t line, const char *fmt, ...)
{
    if (!err)
        return;
    snprintf(err->file, sizeof err->file, "%s", name ? name : "");
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

const char *dak_quote(const char *p, size_t len, char *out, size_t outsz)
{
    if (!p) {
        snprintf(out, outsz, "end of file");
        return out;
    }
    /* trim, cap, and replace control bytes so binary input prints safely */
    while (len && (*p == ' ' || *p == '\t'))
        p++, len--;
    size_t cap = len > 60 ? 60 : len;
    size_t o = 0;
    if (outsz < 8)
        return "";
    out[o++] = '\'';
    for (size_t i = 0; i < cap && o + 6 < outsz; i++) {
        unsigned char c = (unsigned char)p[i];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    if (cap < len && o + 5 < outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
    return out;
}

static int append_chunk(const char *s, size_t n, void *arg)
{
    return dak_buf_add(arg, s, n);
}

int dak_buf_json(struct dak_buf *b, void *json, size_t flags)
{
    int rc = json ? json_dump_callback(json, append_chunk, b, flags) : -1;
    json_decref(json);
    return rc;
}
