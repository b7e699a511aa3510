#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

struct dak_batch {
    dak_format fmt;
    const char *name;
    dak_lines L;      /* standard / APREPRO cursor, and the JSON position */
    int json_state;   /* 0 before '[', 1 inside the array, 2 done */
    int json_single;  /* a lone object rather than an array */
    size_t index;
};

dak_batch *dak_batch_open(const char *buf, size_t len, const char *name, dak_error *err)
{
    dak_batch *b = calloc(1, sizeof *b);
    if (!b) {
        dak_seterr(err, name, 0, "out of memory");
        return NULL;
    }
    b->fmt = dak_format_detect(buf, len);
    b->name = name;
    b->L.buf = buf;
    b->L.len = len;
    b->L.pos = 0;
    b->L.lineno = 1;
    return b;
}

dak_format dak_batch_format(const dak_batch *b)
{
    return b->fmt;
}

void dak_batch_close(dak_batch *b)
{
    free(b);
}

static int is_jws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(dak_lines *L)
{
    while (L->pos < L->len && is_jws(L->buf[L->pos])) {
        if (L->buf[L->pos] == '\n')
            L->lineno++;
        L->pos++;
    }
}

/* Find the end of the JSON value starting at L->pos; -1 if unterminated. */
static int scan_value(dak_lines *L, size_t *end, size_t *end_line)
{
    size_t i = L->pos, line = L->lineno;
    int depth = 0, in_str = 0;
    for (; i < L->len; i++) {
        char c = L->buf[i];
        if (c == '\n')
            line++;
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break; /* the enclosing array's ']' */
            if (--depth == 0) {
                i++;
                break;
            }
        } else if (c == ',' && depth == 0) {
            break;
        }
    }
    if (in_str || depth > 0)
        return -1;
    *end = i;
    *end_line = line;
    return 0;
}

static int json_next(dak_batch *b, dak_eval *ev, dak_error *err)
{
    dak_lines *L = &b->L;
    if (b->json_state == 2)
        return 0;
    skip_ws(L);
    if (b->json_state == 0) {
        if (L->pos < L->len && L->buf[L->pos] == '{') {
            b->json_single = 1;
        } else if (L->pos < L->len && L->buf[L->pos] == '[') {
            L->pos++;
            skip_ws(L);
        } else {
            dak_seterr(err, b->name, L->lineno, "expected '[' opening a JSON batch");
            return -1;
        }
        b->json_state = 1;
        if (!b->json_single && L->pos < L->len && L->buf[L->pos] == ']') {
            L->pos++;
            goto done;
        }
    }
    if (L->pos >= L->len) {
        dak_seterr(err, b->name, L->lineno, "expected a JSON evaluation object, found end of file");
        return -1;
    }
    size_t start = L->pos, start_line = L->lineno, end, end_line;
    if (L->buf[start] != '{') {
        dak_seterr(err, b->name, start_line, "expected '{' opening evaluation %zu", b->index + 1);
        return -1;
    }
    if (scan_value(L, &end, &end_line) < 0) {
        dak_seterr(err, b->name, start_line, "evaluation %zu: unterminated JSON object",
                   b->index + 1);
        return -1;
    }
    json_error_t je;
    json_t *j = json_loadb(L->buf + start, end - start, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        dak_seterr(err, b->name, start_line + (je.line > 0 ? (size_t)je.line - 1 : 0),
                   "evaluation %zu: %s", b->index + 1, je.text);
        return -1;
    }
    ev->params = dak_params_from_json(j, b->name, start_line, err);
    json_decref(j);
    if (!ev->params)
        return -1;
    dak_json_find_eval_id(ev->params, L->buf + start, end - start);
    ev->text = L->buf + start;
    ev->len = end - start;
    ev->line = start_line;
    ev->index = b->index++;
    L->pos = end;
    L->lineno = end_line;
    skip_ws(L);
    if (b->json_single) {
        b->json_state = 2;
    } else if (L->pos < L->len && L->buf[L->pos] == ',') {
        L->pos++;
        return 1;
    } else if (L->pos < L->len && L->buf[L->pos] == ']') {
        L->pos++;
        b->json_state = 2;
    } else {
        dak_params_free(ev->params);
        ev->params = NULL;
        dak_seterr(err, b->name, L->lineno, "expected ',' or ']' after evaluation %zu",
                   b->index);
        return -1;
    }
    skip_ws(L);
    if (L->pos < L->len) {
        dak_params_free(ev->params);
        ev->params = NULL;
        dak_seterr(err, b->name, L->lineno, "expected end of file after the JSON batch");
        return -1;
    }
    return 1;
done:
    b->json_state = 2;
    skip_ws(L);
    if (L->pos < L->len) {
        dak_seterr(err, b->name, L->lineno, "expected end of file after the JSON batch");
        return -1;
    }
    return 0;
}

int dak_batch_next(dak_batch *b, dak_eval *ev, dak_error *err)
{
    memset(ev, 0, sizeof *ev);
    if (b->fmt == DAK_FMT_JSON)
        return json_next(b, ev, err);
    dak_line first;
    if (!dak_lines_peek(&b->L, &first))
        return 0;
    dak_params *p = dak_params_parse_lines(&b->L, b->fmt, b->name, 1, err);
    if (!p)
        return -1;
    ev->text = b->L.buf + first.start;
    ev->len = b->L.pos - first.start;
    p->eval_id_at -= first.start; /* parsed at its place in the whole batch */
    ev->line = first.lineno;
    ev->index = b->index++;
    ev->params = p;
    return 1;
}

int dak_batch_single(const dak_batch *b)
{
    return b->json_single;
}
