#include "params.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

/* ---- lines ---------------------------------------------------------- */

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\f' && p[i] != '\v')
            return 0;
    return 1;
}

int dak_lines_peek(const dak_lines *L, dak_line *ln)
{
    size_t pos = L->pos, lineno = L->lineno;
    while (pos < L->len) {
        const char *s = L->buf + pos;
        const char *nl = memchr(s, '\n', L->len - pos);
        size_t n = nl ? (size_t)(nl - s) : L->len - pos;
        size_t next = pos + n + (nl ? 1 : 0);
        if (!blank(s, n)) {
            ln->p = s;
            ln->len = (n && s[n - 1] == '\r') ? n - 1 : n;
            ln->lineno = lineno;
            ln->start = pos;
            ln->next = next;
            ln->next_lineno = lineno + 1;
            return 1;
        }
        pos = next;
        lineno++;
    }
    return 0;
}

void dak_lines_take(dak_lines *L, const dak_line *ln)
{
    L->pos = ln->next;
    L->lineno = ln->next_lineno;
}

/* ---- one "value label" or "{ label = value }" line ------------------ */

typedef struct pair {
    const char *label, *value;
    size_t llen, vlen;
    int quoted;
} pair;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **p, size_t *n)
{
    while (*n && is_ws(**p))
        (*p)++, (*n)--;
    while (*n && is_ws((*p)[*n - 1]))
        (*n)--;
}

static int split_pair(dak_format fmt, const dak_line *ln, pair *out)
{
    const char *p = ln->p;
    size_t n = ln->len;
    trim(&p, &n);
    out->quoted = 0;
    if (fmt == DAK_FMT_STANDARD) {
        size_t i = n;
        while (i && !is_ws(p[i - 1]))
            i--;
        if (i == 0)
            return -1; /* one token only: no value */
        out->label = p + i;
        out->llen = n - i;
        out->value = p;
        out->vlen = i;
        trim(&out->value, &out->vlen);
        return 0;
    }
    if (n < 2 || p[0] != '{' || p[n - 1] != '}')
        return -1;
    p++, n -= 2;
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return -1;
    out->label = p;
    out->llen = (size_t)(eq - p);
    trim(&out->label, &out->llen);
    out->value = eq + 1;
    out->vlen = n - (size_t)(eq + 1 - p);
    trim(&out->value, &out->vlen);
    if (out->vlen >= 2 && out->value[0] == '"' && out->value[out->vlen - 1] == '"') {
        out->value++;
        out->vlen -= 2;
        out->quoted = 1;
    }
    if (out->llen == 0)
        return -1;
    return 0;
}

/* ---- values ---------------------------------------------------------- */

void dak_var_classify(dak_var *v)
{
    const char *s = v->value;
    char *end;
    if (*s && !is_ws(*s)) {
        errno = 0;
        long long ll = strtoll(s, &end, 10);
        if (*end == '\0' && errno == 0) {
            v->kind = DAK_VAL_INT;
            v->integer = ll;
            v->real = (double)ll;
            return;
        }
        errno = 0;
        double d = strtod(s, &end);
        if (*end == '\0' && end != s) {
            v->kind = DAK_VAL_REAL;
            v->real = d;
            v->integer = 0;
            return;
        }
    }
    v->kind = DAK_VAL_STRING;
    v->real = 0;
    v->integer = 0;
}

static int parse_count(const char *p, size_t n, size_t *out)
{
    if (n == 0 || n > 18)
        return -1;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (size_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_small_int(const char *p, size_t n, long *out)
{
    size_t v;
    if (parse_count(p, n, &v) < 0 || v > LONG_MAX)
        return -1;
    *out = (long)v;
    return 0;
}

int dak_params_set_eval_id(dak_params *p, const char *text)
{
    const char *last = strrchr(text, ':');
    const char *e = last ? last + 1 : text;
    if (parse_small_int(e, strlen(e), &p->eval) < 0)
        return -1;
    p->batch = 0;
    if (last) {
        const char *b = last;
        while (b > text && b[-1] != ':')
            b--;
        long bn;
        if (parse_small_int(b, (size_t)(last - b), &bn) == 0)
            p->batch = bn;
    }
    return 0;
}

/* ---- block structure ---------------------------------------------- */

enum { B_VARS, B_FNS, B_DVV, B_AC, B_EVALID, B_META };

static const char *const std_tags[] = {"variables", "functions", "derivative_variables",
                                       "analysis_components", "eval_id", "metadata"};
static const char *const apr_tags[] = {"DAKOTA_VARS", "DAKOTA_FNS", "DAKOTA_DER_VARS",
                                       "DAKOTA_AN_COMPS", "DAKOTA_EVAL_ID", "DAKOTA_METADATA"};

static const char *tag(dak_format fmt, int b)
{
    return fmt == DAK_FMT_APREPRO ? apr_tags[b] : std_tags[b];
}

static int label_is(const pair *pr, const char *s)
{
    size_t n = strlen(s);
    return pr->llen == n && memcmp(pr->label, s, n) == 0;
}

static void expected_count(dak_error *err, const char *name, dak_format fmt, int b,
                           const dak_line *ln, int have)
{
    char q[80];
    const char *found = dak_quote(have ? ln->p : NULL, have ? ln->len : 0, q, sizeof q);
    if (fmt == DAK_FMT_APREPRO)
        dak_seterr(err, name, ln->lineno, "expected '{ %s = <n> }', found %s", tag(fmt, b), found);
    else
        dak_seterr(err, name, ln->lineno, "expected '<n> %s', found %s", tag(fmt, b), found);
}

/* Read the count line of block b; -1 on error. */
static int read_count(dak_lines *L, dak_format fmt, int b, const char *name, size_t *n,
                      dak_error *err)
{
    dak_line ln;
    pair pr;
    if (!dak_lines_peek(L, &ln)) {
        ln.lineno = L->lineno;
        expected_count(err, name, fmt, b, &ln, 0);
        return -1;
    }
    if (split_pair(fmt, &ln, &pr) < 0 || !label_is(&pr, tag(fmt, b)) ||
        parse_count(pr.value, pr.vlen, n) < 0) {
        expected_count(err, name, fmt, b, &ln, 1);
        return -1;
    }
    /* every entry takes at least two bytes: refuse counts the input cannot hold */
    if (*n > (L->len - ln.next) / 2 + 1) {
        dak_seterr(err, name, ln.lineno, "%s count %zu is larger than the rest of the file holds",
                   tag(fmt, b), *n);
        return -1;
    }
    dak_lines_take(L, &ln);
    return 0;
}

/* Read one entry line of a block: label must begin with prefix (or be
 * anything when prefix is NULL). */
static int read_entry(dak_lines *L, dak_format fmt, const char *what, size_t i, size_t n,
                      const char *name, pair *pr, dak_line *lo, dak_error *err)
{
    dak_line ln;
    char q[80];
    if (!dak_lines_peek(L, &ln)) {
        dak_seterr(err, name, L->lineno, "expected %s %zu of %zu, found end of file", what, i + 1,
                   n);
        return -1;
    }
    if (split_pair(fmt, &ln, pr) < 0) {
        dak_seterr(err, name, ln.lineno, "expected %s %zu of %zu as %s, found %s", what, i + 1, n,
                   fmt == DAK_FMT_APREPRO ? "'{ label = value }'" : "'value label'",
                   dak_quote(ln.p, ln.len, q, sizeof q));
        return -1;
    }
    *lo = ln;
    dak_lines_take(L, &ln);
    return 0;
}

/* An analysis component line, standard format: Dakota writes the whole
 * analysis driver string as the label, spaces included ("compA AC_1:
 * batchtile run -- sim"), and a value may hold spaces too ("a b AC_1:d"):
 * the label starts at the first " AC_<i>:" of the line. Unchanged (the last
 * token as the label) when there is none. */
static void split_component(const dak_line *ln, size_t i, pair *out)
{
    const char *p = ln->p;
    size_t n = ln->len;
    trim(&p, &n);
    char key[40];
    int kl = snprintf(key, sizeof key, "AC_%zu:", i);
    for (size_t k = 1; k + (size_t)kl <= n; k++) {
        if (!is_ws(p[k - 1]) || memcmp(p + k, key, (size_t)kl) != 0)
            continue;
        out->value = p;
        out->vlen = k;
        trim(&out->value, &out->vlen);
        if (out->vlen == 0)
            return;
        out->label = p + k;
        out->llen = n - k;
        return;
    }
}

/* "ASV_3:f" -> "f" when the label starts with prefix ("ASV_") and has a colon. */
static int tagged_label(const pair *pr, const char *prefix, const char **rest, size_t *rlen)
{
    size_t pl = strlen(prefix);
    if (pr->llen < pl || memcmp(pr->label, prefix, pl) != 0)
        return -1;
    const char *colon = memchr(pr->label, ':', pr->llen);
    if (!colon) {
        *rest = pr->label + pr->llen;
        *rlen = 0;
        return 0;
    }
    *rest = colon + 1;
    *rlen = pr->llen - (size_t)(colon + 1 - pr->label);
    return 0;
}

dak_params *dak_params_alloc(dak_format fmt, size_t hint)
{
    struct dak_arena *a = dak_arena_new(hint);
    if (!a)
        return NULL;
    dak_params *p = dak_arena_alloc(a, sizeof *p);
    if (!p) {
        dak_arena_free(a);
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->arena = a;
    p->format = fmt;
    p->eval_id = "";
    return p;
}

#define NEED(x)                                                                          \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            dak_seterr(err, name, 0, "out of memory");                                  \
            goto fail;                                                                   \
        }                                                                                \
    } while (0)

dak_params *dak_params_parse_lines(dak_lines *L, dak_format fmt, const char *name,
                                   int in_batch, dak_error *err)
{
    dak_params *p = dak_params_alloc(fmt, 2048);
    if (!p) {
        dak_seterr(err, name, 0, "out of memory");
        return NULL;
    }
    struct dak_arena *A = p->arena;
    pair pr;
    size_t n;
    dak_line el;
    char q[80];

    /* variables */
    if (read_count(L, fmt, B_VARS, name, &n, err) < 0)
        goto fail;
    p->nvars = n;
    NEED(p->vars = dak_arena_alloc(A, n * sizeof *p->vars));
    for (size_t i = 0; i < n; i++) {
        if (read_entry(L, fmt, "variable", i, n, name, &pr, &el, err) < 0)
            goto fail;
        dak_var *v = &p->vars[i];
        NEED(v->label = dak_arena_strndup(A, pr.label, pr.llen));
        NEED(v->value = dak_arena_strndup(A, pr.value, pr.vlen));
        if (pr.quoted) {
            v->kind = DAK_VAL_STRING;
            v->real = 0;
            v->integer = 0;
        } else {
            dak_var_classify(v);
        }
    }

    /* functions: ASV */
    if (read_count(L, fmt, B_FNS, name, &n, err) < 0)
        goto fail;
    p->nfns = n;
    NEED(p->fns = dak_arena_alloc(A, n * sizeof *p->fns));
    for (size_t i = 0; i < n; i++) {
        const char *r;
        size_t rl, asv;
        if (read_entry(L, fmt, "active set entry", i, n, name, &pr, &el, err) < 0)
            goto fail;
        if (tagged_label(&pr, "ASV_", &r, &rl) < 0 || parse_count(pr.value, pr.vlen, &asv) < 0 ||
            asv > 7) {
            dak_seterr(err, name, el.lineno,
                       "expected active set entry %zu of %zu as '<0..7> ASV_%zu:<response>', found %s",
                       i + 1, n, i + 1, dak_quote(el.p, el.len, q, sizeof q));
            goto fail;
        }
        NEED(p->fns[i].label = dak_arena_strndup(A, r, rl));
        p->fns[i].asv = (int)asv;
    }

    /* derivative variables: DVV */
    if (read_count(L, fmt, B_DVV, name, &n, err) < 0)
        goto fail;
    p->ndvv = n;
    NEED(p->dvv = dak_arena_alloc(A, n * sizeof *p->dvv));
    NEED(p->dvv_label = dak_arena_alloc(A, n * sizeof *p->dvv_label));
    for (size_t i = 0; i < n; i++) {
        const char *r;
        size_t rl, id;
        if (read_entry(L, fmt, "derivative variable", i, n, name, &pr, &el, err) < 0)
            goto fail;
        if (tagged_label(&pr, "DVV_", &r, &rl) < 0 || parse_count(pr.value, pr.vlen, &id) < 0 ||
            id == 0 || id > UINT_MAX) {
            dak_seterr(err, name, el.lineno,
                       "expected derivative variable %zu of %zu as '<id> DVV_%zu:<variable>', found %s",
                       i + 1, n, i + 1, dak_quote(el.p, el.len, q, sizeof q));
            goto fail;
        }
        p->dvv[i] = (unsigned)id;
        NEED(p->dvv_label[i] = dak_arena_strndup(A, r, rl));
    }

    /* analysis components */
    if (read_count(L, fmt, B_AC, name, &n, err) < 0)
        goto fail;
    p->nac = n;
    NEED(p->acs = dak_arena_alloc(A, n * sizeof *p->acs));
    for (size_t i = 0; i < n; i++) {
        const char *r;
        size_t rl;
        if (read_entry(L, fmt, "analysis component", i, n, name, &pr, &el, err) < 0)
            goto fail;
        if (fmt == DAK_FMT_STANDARD)
            split_component(&el, i + 1, &pr);
        if (tagged_label(&pr, "AC_", &r, &rl) < 0) {
            dak_seterr(err, name, el.lineno,
                       "expected analysis component %zu of %zu as '<value> AC_%zu:<driver>', found %s",
                       i + 1, n, i + 1, dak_quote(el.p, el.len, q, sizeof q));
            goto fail;
        }
        NEED(p->acs[i].driver = dak_arena_strndup(A, r, rl));
        NEED(p->acs[i].value = dak_arena_strndup(A, pr.value, pr.vlen));
    }

    /* eval_id */
    {
        dak_line ln;
        int have = dak_lines_peek(L, &ln);
        if (!have)
            ln.lineno = L->lineno;
        if (!have || split_pair(fmt, &ln, &pr) < 0 || !label_is(&pr, tag(fmt, B_EVALID))) {
            if (fmt == DAK_FMT_APREPRO)
                dak_seterr(err, name, ln.lineno, "expected '{ DAKOTA_EVAL_ID = <id> }', found %s",
                           dak_quote(have ? ln.p : NULL, have ? ln.len : 0, q, sizeof q));
            else
                dak_seterr(err, name, ln.lineno, "expected '<id> eval_id', found %s",
                           dak_quote(have ? ln.p : NULL, have ? ln.len : 0, q, sizeof q));
            goto fail;
        }
        NEED(p->eval_id = dak_arena_strndup(A, pr.value, pr.vlen));
        p->eval_id_at = (size_t)(pr.value - L->buf);
        p->eval_id_len = pr.vlen;
        if (dak_params_set_eval_id(p, p->eval_id) < 0) {
            dak_seterr(err, name, ln.lineno,
                       "expected an eval_id ending in an evaluation number ('7', '1:7'), found %s",
                       dak_quote(pr.value, pr.vlen, q, sizeof q));
            goto fail;
        }
        dak_lines_take(L, &ln);
    }

    /* metadata: optional (absent before Dakota 6.16) */
    {
        dak_line ln;
        if (dak_lines_peek(L, &ln) && split_pair(fmt, &ln, &pr) == 0 &&
            label_is(&pr, tag(fmt, B_META))) {
            if (read_count(L, fmt, B_META, name, &n, err) < 0)
                goto fail;
            p->has_metadata = 1;
            p->nmeta = n;
            NEED(p->meta = dak_arena_alloc(A, n * sizeof *p->meta));
            for (size_t i = 0; i < n; i++) {
                if (read_entry(L, fmt, "metadata entry", i, n, name, &pr, &el, err) < 0)
                    goto fail;
                NEED(p->meta[i] = dak_arena_strndup(A, pr.value, pr.vlen));
            }
        }
    }

    if (!in_batch) {
        dak_line ln;
        if (dak_lines_peek(L, &ln)) {
            dak_seterr(err, name, ln.lineno, "expected end of file after eval_id%s, found %s",
                       p->has_metadata ? " and metadata" : "", dak_quote(ln.p, ln.len, q, sizeof q));
            goto fail;
        }
    }
    return p;
fail:
    dak_params_free(p);
    return NULL;
}

void dak_params_free(dak_params *p)
{
    if (p)
        dak_arena_free(p->arena);
}

const dak_var *dak_params_var(const dak_params *p, const char *label)
{
    for (size_t i = 0; i < p->nvars; i++)
        if (strcmp(p->vars[i].label, label) == 0)
            return &p->vars[i];
    return NULL;
}

int dak_params_wants(const dak_params *p, int bit)
{
    for (size_t i = 0; i < p->nfns; i++)
        if (p->fns[i].asv & bit)
            return 1;
    return 0;
}

static unsigned long long fnv(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *s = data;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static unsigned long long fnv_str(unsigned long long h, const char *s)
{
    return fnv(h, s, strlen(s) + 1); /* the NUL separates fields */
}

unsigned long long dak_params_hash(const dak_params *p)
{
    unsigned long long h = 1469598103934665603ULL;
    char num[32];
    for (size_t i = 0; i < p->nvars; i++) {
        h = fnv_str(h, p->vars[i].label);
        /* numbers hash by value so that 0.5 in JSON equals 5.0e-01 in standard */
        if (p->vars[i].kind == DAK_VAL_STRING) {
            h = fnv_str(h, p->vars[i].value);
        } else {
            snprintf(num, sizeof num, "%.17g", p->vars[i].real);
            h = fnv_str(h, num);
        }
    }
    h = fnv(h, "|", 1);
    for (size_t i = 0; i < p->nfns; i++) {
        h = fnv_str(h, p->fns[i].label);
        h = fnv(h, &p->fns[i].asv, sizeof p->fns[i].asv);
    }
    h = fnv(h, "|", 1);
    for (size_t i = 0; i < p->ndvv; i++)
        h = fnv(h, &p->dvv[i], sizeof p->dvv[i]);
    h = fnv(h, "|", 1);
    for (size_t i = 0; i < p->nac; i++) {
        h = fnv_str(h, p->acs[i].driver);
        h = fnv_str(h, p->acs[i].value);
    }
    h = fnv(h, "|", 1);
    for (size_t i = 0; i < p->nmeta; i++)
        h = fnv_str(h, p->meta[i]);
    return h;
}
