/* Reading the rules file (--rules): each line's conditions and options
 * scanned into a plan_rule, every error naming FILE:LINE:COLUMN and what
 * was expected; which rule an evaluation meets is rules_match.c's. */
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "util/file.h"
#include "util/hash.h"


/* One line being read: its bytes, where we are, and where errors go. */
typedef struct scan {
    const char *path;
    const char *s; /* the line, without its newline */
    size_t len, pos;
    int line;
    char *msg;
    size_t msgsz;
} scan;

static int err_at(scan *sc, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err_at(scan *sc, size_t pos, const char *fmt, ...)
{
    int w = snprintf(sc->msg, sc->msgsz, "%s:%d:%zu: ", sc->path, sc->line, pos + 1);
    if (w < 0 || (size_t)w >= sc->msgsz)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->msg + w, sc->msgsz - (size_t)w, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_ws(scan *sc)
{
    while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t'))
        sc->pos++;
}

static int at_end(scan *sc)
{
    skip_ws(sc);
    return sc->pos >= sc->len || sc->s[sc->pos] == '#';
}

/* What is at pos, for "found ..." (a word, or "the end of the line"). */
static void found(const scan *sc, size_t pos, char *out, size_t outsz)
{
    if (pos >= sc->len || sc->s[pos] == '#') {
        snprintf(out, outsz, "the end of the line");
        return;
    }
    size_t e = pos;
    while (e < sc->len && sc->s[e] != ' ' && sc->s[e] != '\t' && e - pos < 40)
        e++;
    snprintf(out, outsz, "'%.*s'", (int)(e - pos), sc->s + pos);
}

static int is_name_char(char c)
{
    return c && !isspace((unsigned char)c) && !strchr("=!<>\"'#", c);
}

/* A quoted string at sc->pos ('...' or "..." with \" and \\): malloc'd. */
static char *quoted(scan *sc)
{
    size_t start = sc->pos;
    char q = sc->s[sc->pos++];
    char *out = malloc(sc->len - start + 1);
    size_t n = 0;
    if (!out) {
        err_at(sc, start, "out of memory");
        return NULL;
    }
    while (sc->pos < sc->len && sc->s[sc->pos] != q) {
        if (q == '"' && sc->s[sc->pos] == '\\' && sc->pos + 1 < sc->len)
            sc->pos++;
        out[n++] = sc->s[sc->pos++];
    }
    if (sc->pos >= sc->len) {
        free(out);
        err_at(sc, start, "a string that starts here has no closing %c", q);
        return NULL;
    }
    sc->pos++;
    out[n] = '\0';
    return out;
}

/* A shell-like word (quotes group, no expansion): malloc'd, or NULL at the
 * end of the line (*none set) or on error. */
static char *word(scan *sc, int *none)
{
    *none = 0;
    if (at_end(sc)) {
        *none = 1;
        return NULL;
    }
    char *out = malloc(sc->len - sc->pos + 1);
    if (!out) {
        err_at(sc, sc->pos, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (sc->pos < sc->len && sc->s[sc->pos] != ' ' && sc->s[sc->pos] != '\t') {
        char c = sc->s[sc->pos];
        if (c == '"' || c == '\'') {
            char *q = quoted(sc);
            if (!q) {
                free(out);
                return NULL;
            }
            size_t ql = strlen(q);
            memcpy(out + n, q, ql);
            n += ql;
            free(q);
            continue;
        }
        out[n++] = c;
        sc->pos++;
    }
    out[n] = '\0';
    return out;
}

static int parse_term(scan *sc, plan_term *t)
{
    memset(t, 0, sizeof *t);
    skip_ws(sc);
    size_t start = sc->pos;
    char what[64];
    while (sc->pos < sc->len && is_name_char(sc->s[sc->pos]) &&
           !(sc->s[sc->pos] == '-' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '>'))
        sc->pos++;
    if (sc->pos == start) {
        found(sc, start, what, sizeof what);
        return err_at(sc, start, "expected a condition (NAME OP VALUE: a variable's descriptor, "
                                 "eval or an_comp), found %s", what);
    }
    t->col = (int)start + 1;
    t->name = strndup(sc->s + start, sc->pos - start);
    if (!t->name)
        return err_at(sc, start, "out of memory");
    t->kind = strcmp(t->name, "eval") == 0      ? PLAN_NAME_EVAL
              : strcmp(t->name, "an_comp") == 0 ? PLAN_NAME_AN_COMP
                                                : PLAN_NAME_VAR;
    skip_ws(sc);
    size_t opos = sc->pos;
    static const struct { const char *s; plan_op op; } ops[] = {
        {"==", PLAN_EQ}, {"!=", PLAN_NE}, {"<=", PLAN_LE}, {">=", PLAN_GE},
        {"<", PLAN_LT},  {">", PLAN_GT},
    };
    size_t k;
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t l = strlen(ops[k].s);
        if (sc->len - sc->pos >= l && memcmp(sc->s + sc->pos, ops[k].s, l) == 0 &&
            !(l == 1 && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '=')) {
            t->op = ops[k].op;
            sc->pos += l;
            break;
        }
    }
    if (k == sizeof ops / sizeof ops[0]) {
        found(sc, opos, what, sizeof what);
        return err_at(sc, opos, "expected an operator after '%s' (==, !=, <, <=, > or >=), "
                                "found %s", t->name, what);
    }
    skip_ws(sc);
    size_t vpos = sc->pos;
    if (vpos < sc->len && (sc->s[vpos] == '"' || sc->s[vpos] == '\'')) {
        if (!(t->str = quoted(sc)))
            return -1;
        t->is_string = 1;
        if (t->op != PLAN_EQ && t->op != PLAN_NE)
            return err_at(sc, vpos, "a string compares only with == or !=");
        if (t->kind == PLAN_NAME_EVAL)
            return err_at(sc, vpos, "eval is a number: compare it with a number");
        return 0;
    }
    size_t e = vpos;
    while (e < sc->len && !isspace((unsigned char)sc->s[e]) && sc->s[e] != '#')
        e++;
    char buf[128];
    if (e == vpos || e - vpos >= sizeof buf || (e - vpos >= 2 && memcmp(sc->s + vpos, "->", 2) == 0)) {
        found(sc, vpos, what, sizeof what);
        return err_at(sc, vpos, "expected a value after '%s' (a number, or a string in "
                                "quotes), found %s", t->name, what);
    }
    memcpy(buf, sc->s + vpos, e - vpos);
    buf[e - vpos] = '\0';
    char *end;
    errno = 0;
    t->num = strtod(buf, &end);
    if (*end || end == buf || !isfinite(t->num))
        return err_at(sc, vpos, "expected a number or a quoted string, found '%s' (a string "
                                "needs quotes: \"%s\")", buf, buf);
    sc->pos = e;
    return 0;
}

/* "-n 4", "-n4", "--ntasks=4", "--ntasks 4": the option's value. */
static char *option_value(scan *sc, const char *w, size_t wpos, const char *opt, int *consumed)
{
    *consumed = 0;
    size_t ol = strlen(opt);
    if (strncmp(w, opt, ol) == 0 && w[ol] == '=' && opt[1] == '-')
        return strdup(w + ol + 1);
    if (strncmp(w, opt, ol) == 0 && w[ol] && opt[1] != '-')
        return strdup(w + ol);
    int none;
    size_t at = sc->pos;
    char *v = word(sc, &none);
    if (!v && none) {
        skip_ws(sc);
        err_at(sc, at < sc->len ? sc->pos : wpos, "%s expects a value, found the end of the line",
               opt);
    }
    *consumed = 1;
    return v;
}

static int whole_number(scan *sc, size_t pos, const char *opt, const char *v, int min, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < min || x > 1000000)
        return err_at(sc, pos, "%s: expected a whole number of at least %d, found '%s'", opt, min,
                      v);
    *out = (int)x;
    return 0;
}

static int add_word(char ***v, int *n, char *w)
{
    char **nv = realloc(*v, (size_t)(*n + 2) * sizeof *nv);
    if (!nv) {
        free(w);
        return -1;
    }
    *v = nv;
    nv[(*n)++] = w;
    nv[*n] = NULL;
    return 0;
}

static int parse_options(scan *sc, plan_rule *r)
{
    static const struct {
        const char *s, *l;
        int which; /* 0 n, 1 c, 2 g, 3 N, 4 t */
    } res[] = {{"-n", "--ntasks", 0},        {"-c", "--cores-per-task", 1},
               {"-g", "--gpus-per-task", 2}, {"-N", "--nodes", 3},
               {"-t", "--time-limit", 4}};
    for (;;) {
        int none;
        skip_ws(sc);
        size_t wpos = sc->pos;
        char *w = word(sc, &none);
        if (!w)
            return none ? 0 : -1;
        if (strcmp(w, "--") == 0) {
            free(w);
            for (;;) {
                char *cw = word(sc, &none);
                if (!cw) {
                    if (!none)
                        return -1;
                    break;
                }
                if (add_word(&r->cmd, &r->ncmd, cw) < 0)
                    return err_at(sc, wpos, "out of memory");
            }
            if (r->ncmd == 0)
                return err_at(sc, wpos, "expected a COMMAND after '--'");
            return 0;
        }
        int done = 0;
        for (size_t k = 0; k < sizeof res / sizeof res[0] && !done; k++) {
            size_t sl = strlen(res[k].s), ll = strlen(res[k].l);
            int is_short = strncmp(w, res[k].s, sl) == 0;
            int is_long = strncmp(w, res[k].l, ll) == 0 && (w[ll] == '\0' || w[ll] == '=');
            if (!is_short && !is_long)
                continue;
            done = 1;
            int consumed;
            size_t vpos = sc->pos;
            char *v = option_value(sc, w, wpos, is_long ? res[k].l : res[k].s, &consumed);
            if (!v) {
                free(w);
                return -1;
            }
            size_t at = consumed ? vpos : wpos;
            while (consumed && at < sc->len && (sc->s[at] == ' ' || sc->s[at] == '\t'))
                at++;
            int rc = 0;
            const char *nm = is_long ? res[k].l : res[k].s;
            switch (res[k].which) {
            case 0: rc = whole_number(sc, at, nm, v, 1, &r->req.ntasks); break;
            case 1: rc = whole_number(sc, at, nm, v, 1, &r->req.cores_per_task); break;
            case 2: rc = whole_number(sc, at, nm, v, 0, &r->req.gpus_per_task); break;
            case 3: rc = whole_number(sc, at, nm, v, 1, &r->req.nodes); break;
            default:
                if (ut_parse_duration(v, &r->time_limit) < 0)
                    rc = err_at(sc, at, "%s: expected a duration such as 90s, 5m, 1h or "
                                        "[[HH:]MM:]SS, found '%s'", nm, v);
            }
            free(v);
            if (rc < 0) {
                free(w);
                return -1;
            }
        }
        if (done) {
            free(w);
            continue;
        }
        if (strcmp(w, "--exclusive") == 0) {
            r->req.exclusive = 1;
            free(w);
            continue;
        }
        if (strncmp(w, "--sched-arg=", 12) == 0) {
            if (r->route != PLAN_SUBMIT) {
                free(w);
                return err_at(sc, wpos, "--sched-arg is for submit rules: a tile rule runs in "
                                        "this allocation");
            }
            char *v = strdup(w + 12);
            free(w);
            if (!v || !*v) {
                free(v);
                return err_at(sc, wpos, "--sched-arg=: expected the scheduler's option, such as "
                                        "--sched-arg=--mem=4G");
            }
            if (add_word(&r->sched_args, &r->nsched_args, v) < 0)
                return err_at(sc, wpos, "out of memory");
            continue;
        }
        for (int k = 0; k < SUBMIT_NSCHED && !done; k++) {
            char opt[32];
            snprintf(opt, sizeof opt, "--%s", submit_sched_names[k]);
            size_t ol = strlen(opt);
            if (strncmp(w, opt, ol) != 0 || (w[ol] != '\0' && w[ol] != '='))
                continue;
            done = 1;
            if (r->route != PLAN_SUBMIT) {
                free(w);
                return err_at(sc, wpos, "%s is for submit rules: a tile rule runs in this "
                                        "allocation", opt);
            }
            int consumed;
            char *v = option_value(sc, w, wpos, opt, &consumed);
            if (!v) {
                free(w);
                return -1;
            }
            if (!*v) {
                free(v);
                free(w);
                return err_at(sc, wpos, "%s: expected a name, found an empty string", opt);
            }
            free(r->sched[k]);
            r->sched[k] = v;
        }
        if (done) {
            free(w);
            continue;
        }
        err_at(sc, wpos, "unknown option '%s' (a rule takes -n -c -g -N -t --exclusive, "
                         "-- COMMAND, and for submit --account --partition --qos --reservation "
                         "--constraint --sched-arg=)", w);
        free(w);
        return -1;
    }
}

static unsigned long long rule_hash(const plan_rule *r)
{
    /* of what the rule means, not how it is spaced */
    char buf[512];
    snprintf(buf, sizeof buf, "%d|%d|%d|%d|%d|%d|%.17g", r->route, r->req.ntasks,
             r->req.cores_per_task, r->req.gpus_per_task, r->req.nodes, r->req.exclusive,
             r->time_limit);
    unsigned long long h = ut_hash_str(UT_HASH_INIT, buf);
    for (int i = 0; i < r->nterms; i++) {
        const plan_term *t = &r->terms[i];
        snprintf(buf, sizeof buf, "%s|%d|%d|%.17g|%s", t->name, t->op, t->is_string, t->num,
                 t->str ? t->str : "");
        h = ut_hash_str(h, buf);
    }
    for (int i = 0; i < r->ncmd; i++)
        h = ut_hash_str(h, r->cmd[i]);
    return h;
}

static void rule_free(plan_rule *r)
{
    for (int i = 0; i < r->nterms; i++) {
        free(r->terms[i].name);
        free(r->terms[i].str);
    }
    free(r->terms);
    for (int i = 0; i < r->ncmd; i++)
        free(r->cmd[i]);
    free(r->cmd);
    for (int i = 0; i < r->nsched_args; i++)
        free(r->sched_args[i]);
    free(r->sched_args);
    for (int k = 0; k < SUBMIT_NSCHED; k++)
        free(r->sched[k]);
    free(r->text);
}

static int parse_rule(scan *sc, plan_rule *r)
{
    char what[64];
    skip_ws(sc);
    if (sc->pos < sc->len && sc->s[sc->pos] == '*') {
        r->all = 1;
        sc->pos++;
    } else {
        for (;;) {
            plan_term *nt = realloc(r->terms, (size_t)(r->nterms + 1) * sizeof *nt);
            if (!nt)
                return err_at(sc, sc->pos, "out of memory");
            r->terms = nt;
            int rc = parse_term(sc, &r->terms[r->nterms]);
            r->nterms++;
            if (rc < 0)
                return -1;
            skip_ws(sc);
            if (sc->len - sc->pos >= 3 && memcmp(sc->s + sc->pos, "and", 3) == 0 &&
                (sc->pos + 3 == sc->len || isspace((unsigned char)sc->s[sc->pos + 3]))) {
                sc->pos += 3;
                skip_ws(sc);
                if (at_end(sc) || (sc->len - sc->pos >= 2 && memcmp(sc->s + sc->pos, "->", 2) == 0)) {
                    found(sc, sc->pos, what, sizeof what);
                    return err_at(sc, sc->pos, "expected a condition after 'and', found %s", what);
                }
                continue;
            }
            break;
        }
    }
    skip_ws(sc);
    if (!(sc->len - sc->pos >= 2 && memcmp(sc->s + sc->pos, "->", 2) == 0)) {
        found(sc, sc->pos, what, sizeof what);
        return err_at(sc, sc->pos, "expected 'and' or '->' after the condition, found %s", what);
    }
    sc->pos += 2;
    skip_ws(sc);
    size_t rpos = sc->pos;
    int none;
    char *route = word(sc, &none);
    if (!route && !none)
        return -1;
    if (route && strcmp(route, "tile") == 0) {
        r->route = PLAN_TILE;
    } else if (route && strcmp(route, "submit") == 0) {
        r->route = PLAN_SUBMIT;
    } else {
        found(sc, rpos, what, sizeof what);
        free(route);
        return err_at(sc, rpos, "expected a route after '->', tile or submit, found %s", what);
    }
    free(route);
    return parse_options(sc, r);
}

int plan_rules_parse(plan_rules *rs, const char *path, const char *text, size_t len,
                     const sched_request *defaults, double default_time_limit, char *msg,
                     size_t msgsz)
{
    memset(rs, 0, sizeof *rs);
    rs->path = strdup(path);
    if (!rs->path) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    scan sc = {path, NULL, 0, 0, 0, msg, msgsz};
    size_t off = 0;
    while (off < len) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
        sc.s = text + off;
        sc.len = l > 0 && sc.s[l - 1] == '\r' ? l - 1 : l;
        sc.pos = 0;
        sc.line++;
        off += l + (nl != NULL);
        long bad = ut_text_bad_byte(sc.s, sc.len, NULL);
        if (bad >= 0) {
            err_at(&sc, (size_t)bad, "byte 0x%02x at offset %zu is not text: a rules file is text",
                   (unsigned char)sc.s[bad], (size_t)(sc.s - text) + (size_t)bad);
            goto fail;
        }
        if (at_end(&sc))
            continue;
        if (rs->n >= 10000) {
            err_at(&sc, 0, "more than 10000 rules");
            goto fail;
        }
        plan_rule *nr = realloc(rs->rules, (size_t)(rs->n + 1) * sizeof *nr);
        if (!nr) {
            err_at(&sc, 0, "out of memory");
            goto fail;
        }
        rs->rules = nr;
        plan_rule *r = &rs->rules[rs->n++];
        memset(r, 0, sizeof *r);
        r->line = sc.line;
        r->req = *defaults;
        r->time_limit = default_time_limit;
        size_t b = sc.pos, e = sc.len;
        while (e > b && isspace((unsigned char)sc.s[e - 1]))
            e--;
        r->text = strndup(sc.s + b, e - b);
        if (!r->text || parse_rule(&sc, r) < 0) {
            if (!r->text)
                err_at(&sc, 0, "out of memory");
            goto fail;
        }
        r->hash = rule_hash(r);
    }
    return 0;
fail:
    plan_rules_free(rs);
    return -1;
}

int plan_rules_load(plan_rules *rs, const char *path, const sched_request *defaults,
                    double default_time_limit, char *msg, size_t msgsz)
{
    ut_map m;
    if (ut_file_read_bounded(path, 16 << 20, &m) < 0) {
        snprintf(msg, msgsz, "%s: cannot read the rules file: %s", path,
                 errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
        return -1;
    }
    int rc = plan_rules_parse(rs, path, m.data ? m.data : "", m.len, defaults, default_time_limit,
                              msg, msgsz);
    ut_file_unmap(&m);
    return rc;
}

void plan_rules_free(plan_rules *rs)
{
    for (int i = 0; i < rs->n; i++)
        rule_free(&rs->rules[i]);
    free(rs->rules);
    free(rs->path);
    memset(rs, 0, sizeof *rs);
}
