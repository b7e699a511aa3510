#include "results.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

dak_results *dak_results_new(const dak_params *p)
{
    size_t nf = p->nfns, nd = p->ndvv, nm = p->nmeta;
    if (nd && (nd > ((size_t)1 << 20) || nf > ((size_t)1 << 40) / (nd * nd)))
        return NULL;
    dak_results *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->nfns = nf;
    r->ndvv = nd;
    r->nmeta = nm;
    /* calloc(0) may return NULL: allocate at least one element */
    size_t ng = nf * nd, nh = nf * nd * nd;
    r->fn = calloc(nf > 0 ? nf : 1, sizeof *r->fn);
    r->grad = calloc(ng > 0 ? ng : 1, sizeof *r->grad);
    r->hess = calloc(nh > 0 ? nh : 1, sizeof *r->hess);
    r->meta = calloc(nm > 0 ? nm : 1, sizeof *r->meta);
    if (!r->fn || !r->grad || !r->hess || !r->meta) {
        dak_results_free(r);
        return NULL;
    }
    for (size_t i = 0; i < nf; i++)
        r->fn[i] = (p->fns[i].asv & 1) ? 0.0 : NAN;
    return r;
}

void dak_results_free(dak_results *r)
{
    if (!r)
        return;
    free(r->fn);
    free(r->grad);
    free(r->hess);
    free(r->meta);
    free(r);
}

static int says_fail(const char *buf, size_t len)
{
    /* Dakota: the string "fail", in any case, anywhere in the file */
    for (size_t i = 0; i + 4 <= len; i++)
        if ((buf[i] | 0x20) == 'f' && (buf[i + 1] | 0x20) == 'a' && (buf[i + 2] | 0x20) == 'i' &&
            (buf[i + 3] | 0x20) == 'l')
            return 1;
    return 0;
}

/* ---- standard format ------------------------------------------------ */

typedef struct tok {
    const char *p;
    size_t len;
    size_t line;
} tok;

typedef struct lexer {
    const char *buf;
    size_t len, pos, line;
    const char *name;
    dak_error *err;
} lexer;

/* Next token: '[' and ']' stand alone; 0 at end. */
static int lex_peek(const lexer *lx, tok *t)
{
    size_t i = lx->pos, line = lx->line;
    while (i < lx->len && isspace((unsigned char)lx->buf[i])) {
        if (lx->buf[i] == '\n')
            line++;
        i++;
    }
    if (i >= lx->len)
        return 0;
    t->p = lx->buf + i;
    t->line = line;
    if (lx->buf[i] == '[' || lx->buf[i] == ']') {
        t->len = 1;
        return 1;
    }
    size_t j = i;
    while (j < lx->len && !isspace((unsigned char)lx->buf[j]) && lx->buf[j] != '[' &&
           lx->buf[j] != ']')
        j++;
    t->len = j - i;
    return 1;
}

static void lex_take(lexer *lx, const tok *t)
{
    for (const char *c = lx->buf + lx->pos; c < t->p; c++)
        if (*c == '\n')
            lx->line++;
    lx->pos = (size_t)(t->p - lx->buf) + t->len;
}

/* The line where something missing at the end would have been: the line
 * after a final newline. */
static size_t lex_eof_line(const lexer *lx)
{
    size_t line = lx->line;
    for (size_t i = lx->pos; i < lx->len; i++)
        if (lx->buf[i] == '\n')
            line++;
    return line;
}

static int tok_number(const tok *t, double *v)
{
    char tmp[128];
    if (t->len == 0 || t->len >= sizeof tmp)
        return -1;
    memcpy(tmp, t->p, t->len);
    tmp[t->len] = '\0';
    char *end;
    *v = strtod(tmp, &end);
    return (*end == '\0' && end != tmp) ? 0 : -1;
}

static int expect_number(lexer *lx, double *v, const char *what)
{
    tok t;
    char q[80];
    if (!lex_peek(lx, &t)) {
        dak_seterr(lx->err, lx->name, lex_eof_line(lx), "expected %s, found end of file", what);
        return -1;
    }
    if (tok_number(&t, v) < 0) {
        dak_seterr(lx->err, lx->name, t.line, "expected %s, found %s", what,
                   dak_quote(t.p, t.len, q, sizeof q));
        return -1;
    }
    lex_take(lx, &t);
    return 0;
}

static int expect_char(lexer *lx, char c, const char *what)
{
    tok t;
    char q[80];
    if (!lex_peek(lx, &t)) {
        dak_seterr(lx->err, lx->name, lex_eof_line(lx), "expected '%c' %s, found end of file", c,
                   what);
        return -1;
    }
    if (t.len != 1 || t.p[0] != c) {
        dak_seterr(lx->err, lx->name, t.line, "expected '%c' %s, found %s", c, what,
                   dak_quote(t.p, t.len, q, sizeof q));
        return -1;
    }
    lex_take(lx, &t);
    return 0;
}

/* An optional label after a value: any token that is neither a number nor
 * a bracket, or, on the value's own line, the descriptor itself even when
 * it reads as a number (a response named "2" is labelled "2"). */
static void skip_label(lexer *lx, const char *label)
{
    tok t;
    double v;
    size_t line = lx->line;
    if (!lex_peek(lx, &t))
        return;
    if (label && t.line == line && strlen(label) == t.len && memcmp(t.p, label, t.len) == 0)
        lex_take(lx, &t);
    else if (t.p[0] != '[' && t.p[0] != ']' && tok_number(&t, &v) < 0)
        lex_take(lx, &t);
}

static int parse_standard(lexer *lx, const dak_params *p, dak_results *r)
{
    char what[300];
    size_t nd = p->ndvv;
    for (size_t i = 0; i < p->nfns; i++) {
        if (!(p->fns[i].asv & 1))
            continue;
        snprintf(what, sizeof what, "the value of response %zu '%s'", i + 1, p->fns[i].label);
        if (expect_number(lx, &r->fn[i], what) < 0)
            return -1;
        skip_label(lx, p->fns[i].label);
    }
    for (size_t i = 0; i < p->nfns; i++) {
        if (!(p->fns[i].asv & 2))
            continue;
        snprintf(what, sizeof what, "opening the gradient of '%s'", p->fns[i].label);
        if (expect_char(lx, '[', what) < 0)
            return -1;
        for (size_t k = 0; k < nd; k++) {
            snprintf(what, sizeof what, "gradient entry %zu of %zu of '%s'", k + 1, nd,
                     p->fns[i].label);
            if (expect_number(lx, &r->grad[i * nd + k], what) < 0)
                return -1;
        }
        snprintf(what, sizeof what, "closing the gradient of '%s' (%zu entries)", p->fns[i].label, nd);
        if (expect_char(lx, ']', what) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nfns; i++) {
        if (!(p->fns[i].asv & 4))
            continue;
        snprintf(what, sizeof what, "opening the Hessian of '%s' ('[[')", p->fns[i].label);
        if (expect_char(lx, '[', what) < 0 || expect_char(lx, '[', what) < 0)
            return -1;
        for (size_t k = 0; k < nd * nd; k++) {
            snprintf(what, sizeof what, "Hessian entry %zu of %zu of '%s'", k + 1, nd * nd,
                     p->fns[i].label);
            if (expect_number(lx, &r->hess[i * nd * nd + k], what) < 0)
                return -1;
        }
        snprintf(what, sizeof what, "closing the Hessian of '%s' (']]', %zu entries)",
                 p->fns[i].label, nd * nd);
        if (expect_char(lx, ']', what) < 0 || expect_char(lx, ']', what) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->nmeta; i++) {
        snprintf(what, sizeof what, "metadata value %zu '%s'", i + 1, p->meta[i]);
        if (expect_number(lx, &r->meta[i], what) < 0)
            return -1;
        skip_label(lx, p->meta[i]);
    }
    tok t;
    char q[80];
    if (lex_peek(lx, &t)) {
        dak_seterr(lx->err, lx->name, t.line,
                   "expected end of results (all the active set asks for was read), found %s",
                   dak_quote(t.p, t.len, q, sizeof q));
        return -1;
    }
    return 0;
}

/* ---- JSON format ----------------------------------------------------- */

static int json_num(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Inf") == 0 || strcmp(s, "inf") == 0 || strcmp(s, "Infinity") == 0) {
            *out = INFINITY;
            return 0;
        }
        if (strcmp(s, "-Inf") == 0 || strcmp(s, "-inf") == 0 || strcmp(s, "-Infinity") == 0) {
            *out = -INFINITY;
            return 0;
        }
    }
    return -1;
}

static int json_vec(json_t *a, double *out, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (json_num(json_array_get(a, k), &out[k]) < 0)
            return -1;
    return 0;
}

static int parse_json(const char *buf, size_t len, const dak_params *p, dak_results *r,
                      const char *name, dak_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(buf, len, 0, &je);
    size_t nd = p->ndvv;
    if (!o) {
        dak_seterr(err, name, je.line > 0 ? (size_t)je.line : 0, "expected JSON results: %s",
                   je.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(o)) {
        dak_seterr(err, name, 1, "expected a JSON object of results");
        goto out;
    }
    if (json_is_true(json_object_get(o, "fail"))) {
        r->failed = 1;
        rc = 0;
        goto out;
    }
    json_t *fns = json_object_get(o, "functions"), *grads = json_object_get(o, "gradients");
    json_t *hess = json_object_get(o, "hessians"), *meta = json_object_get(o, "metadata");
    /* in Dakota's order: every value, then every gradient, then every Hessian */
    for (size_t i = 0; i < p->nfns; i++) {
        const char *l = p->fns[i].label;
        if ((p->fns[i].asv & 1) && json_num(json_object_get(fns, l), &r->fn[i]) < 0) {
            dak_seterr(err, name, 0, "expected \"functions\": {\"%s\": number}", l);
            goto out;
        }
    }
    for (size_t i = 0; i < p->nfns; i++) {
        const char *l = p->fns[i].label;
        if ((p->fns[i].asv & 2) && json_vec(json_object_get(grads, l), &r->grad[i * nd], nd) < 0) {
            dak_seterr(err, name, 0, "expected \"gradients\": {\"%s\": [%zu numbers]}", l, nd);
            goto out;
        }
    }
    for (size_t i = 0; i < p->nfns; i++) {
        const char *l = p->fns[i].label;
        if (p->fns[i].asv & 4) {
            json_t *h = json_object_get(hess, l);
            int ok = json_is_array(h) && json_array_size(h) == nd;
            for (size_t k = 0; ok && k < nd; k++)
                ok = json_vec(json_array_get(h, k), &r->hess[(i * nd + k) * nd], nd) == 0;
            if (!ok) {
                dak_seterr(err, name, 0,
                           "expected \"hessians\": {\"%s\": [%zu rows of %zu numbers]}", l, nd, nd);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < p->nmeta; i++) {
        if (json_num(json_object_get(meta, p->meta[i]), &r->meta[i]) < 0) {
            dak_seterr(err, name, 0, "expected \"metadata\": {\"%s\": number}", p->meta[i]);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static int requests_anything(const dak_params *p)
{
    return p->nmeta > 0 || dak_params_wants(p, 1) || dak_params_wants(p, 2) ||
           dak_params_wants(p, 4);
}

dak_results *dak_results_parse(const char *buf, size_t len, dak_format fmt,
                               const dak_params *p, const char *name, dak_error *err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i == len && requests_anything(p)) {
        dak_seterr(err, name, 0, "empty results file");
        return NULL;
    }
    dak_results *r = dak_results_new(p);
    if (!r) {
        dak_seterr(err, name, 0, "out of memory");
        return NULL;
    }
    int rc;
    if (fmt == DAK_FMT_JSON) {
        rc = parse_json(buf, len, p, r, name, err);
    } else if (says_fail(buf, len)) {
        r->failed = 1;
        rc = 0;
    } else {
        lexer lx = {buf, len, 0, 1, name, err};
        rc = parse_standard(&lx, p, r);
    }
    if (rc < 0) {
        dak_results_free(r);
        return NULL;
    }
    return r;
}

/* ---- writers ---------------------------------------------------------- */

static int put_num(dak_buf *b, double v, int width)
{
    char tmp[64];
    if (isnan(v))
        snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v))
        snprintf(tmp, sizeof tmp, v > 0 ? "inf" : "-inf");
    else
        snprintf(tmp, sizeof tmp, "%.16e", v);
    return dak_buf_printf(b, "%*s", width, tmp);
}

static int write_standard(dak_buf *b, const dak_results *r, const dak_params *p)
{
    size_t nd = p->ndvv;
    int rc = 0;
    for (size_t i = 0; i < p->nfns; i++)
        if (p->fns[i].asv & 1) {
            rc |= put_num(b, r->fn[i], 24);
            rc |= dak_buf_printf(b, " %s\n", p->fns[i].label);
        }
    for (size_t i = 0; i < p->nfns; i++)
        if (p->fns[i].asv & 2) {
            rc |= dak_buf_puts(b, "[");
            for (size_t k = 0; k < nd; k++)
                rc |= put_num(b, r->grad[i * nd + k], 24);
            rc |= dak_buf_puts(b, " ]\n");
        }
    for (size_t i = 0; i < p->nfns; i++)
        if (p->fns[i].asv & 4) {
            rc |= dak_buf_puts(b, "[[");
            for (size_t k = 0; k < nd; k++) {
                for (size_t m = 0; m < nd; m++)
                    rc |= put_num(b, r->hess[(i * nd + k) * nd + m], 24);
                rc |= dak_buf_puts(b, k + 1 < nd ? "\n  " : "");
            }
            rc |= dak_buf_puts(b, " ]]\n");
        }
    for (size_t i = 0; i < p->nmeta; i++) {
        rc |= put_num(b, r->meta[i], 24);
        rc |= dak_buf_printf(b, " %s\n", p->meta[i]);
    }
    return rc ? -1 : 0;
}

static json_t *jnum(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Inf" : "-Inf");
    return json_real(v);
}

static json_t *jvec(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < n; k++)
        json_array_append_new(a, jnum(v[k]));
    return a;
}

static int write_json(dak_buf *b, const dak_results *r, const dak_params *p)
{
    json_t *o = json_object();
    size_t nd = p->ndvv;
    if (!o)
        return -1;
    if (!r || r->failed) {
        json_object_set_new(o, "fail", json_true());
    } else {
        json_t *fns = json_object(), *grads = json_object(), *hess = json_object();
        for (size_t i = 0; i < p->nfns; i++) {
            const char *l = p->fns[i].label;
            if (p->fns[i].asv & 1)
                json_object_set_new(fns, l, jnum(r->fn[i]));
            if (p->fns[i].asv & 2)
                json_object_set_new(grads, l, jvec(&r->grad[i * nd], nd));
            if (p->fns[i].asv & 4) {
                json_t *h = json_array();
                for (size_t k = 0; k < nd; k++)
                    json_array_append_new(h, jvec(&r->hess[(i * nd + k) * nd], nd));
                json_object_set_new(hess, l, h);
            }
        }
        json_object_set_new(o, "functions", fns);
        if (dak_params_wants(p, 2))
            json_object_set_new(o, "gradients", grads);
        else
            json_decref(grads);
        if (dak_params_wants(p, 4))
            json_object_set_new(o, "hessians", hess);
        else
            json_decref(hess);
        if (p->nmeta) {
            json_t *m = json_object();
            for (size_t i = 0; i < p->nmeta; i++)
                json_object_set_new(m, p->meta[i], jnum(r->meta[i]));
            json_object_set_new(o, "metadata", m);
        }
    }
    return dak_buf_json(b, o, JSON_COMPACT | JSON_REAL_PRECISION(17));
}

int dak_results_write(dak_buf *out, const dak_results *r, const dak_params *p, dak_format fmt)
{
    if (fmt == DAK_FMT_JSON)
        return write_json(out, r, p);
    if (!r || r->failed)
        return dak_buf_puts(out, "FAIL\n");
    return write_standard(out, r, p);
}
