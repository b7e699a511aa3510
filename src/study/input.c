/* Reading the Dakota input subset: a tokenizer (words, numbers, quoted
 * strings; '=' and ',' ignored; '#' comments) and one table of keywords per
 * block. Anything outside the subset is an error naming the keyword. */
#include "input.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/file.h"

enum { T_WORD, T_NUM, T_STR, T_END };

typedef struct tok {
    int kind;
    char *text; /* words lower-cased; strings unquoted */
    double num;
    size_t line;
} tok;

typedef struct parser {
    const char *path;
    tok *t;
    size_t n, i;
    char *msg;
    size_t msgsz;
} parser;

static int perr(parser *P, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *P, size_t line, const char *fmt, ...)
{
    char m[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(P->msg, P->msgsz, "%s:%zu: %s", P->path, line, m);
    return -1;
}

static int push(parser *P, int kind, const char *s, size_t len, size_t line)
{
    tok *nt = realloc(P->t, (P->n + 1) * sizeof *nt);
    if (!nt)
        return -1;
    P->t = nt;
    tok *t = &P->t[P->n++];
    t->kind = kind;
    t->line = line;
    t->text = strndup(s, len);
    if (!t->text)
        return -1;
    t->num = 0;
    if (kind == T_WORD) {
        char *end;
        double v = strtod(t->text, &end);
        if (end != t->text && *end == '\0') {
            t->kind = T_NUM;
            t->num = v;
        } else {
            for (char *c = t->text; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
    }
    return 0;
}

static int tokenize(parser *P, const char *buf, size_t len)
{
    size_t line = 1;
    for (size_t i = 0; i < len;) {
        char c = buf[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (isspace((unsigned char)c) || c == '=' || c == ',') {
            i++;
        } else if (c == '#') {
            while (i < len && buf[i] != '\n')
                i++;
        } else if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < len && buf[j] != c && buf[j] != '\n')
                j++;
            if (j >= len || buf[j] != c)
                return perr(P, line, "unterminated string (missing closing %c)", c);
            if (push(P, T_STR, buf + i + 1, j - i - 1, line) < 0)
                return perr(P, line, "out of memory");
            i = j + 1;
        } else {
            size_t j = i;
            while (j < len && !isspace((unsigned char)buf[j]) && buf[j] != '=' && buf[j] != ',' &&
                   buf[j] != '#' && buf[j] != '\'' && buf[j] != '"')
                j++;
            if (push(P, T_WORD, buf + i, j - i, line) < 0)
                return perr(P, line, "out of memory");
            i = j;
        }
    }
    return push(P, T_END, "", 0, line) < 0 ? perr(P, line, "out of memory") : 0;
}

/* ---- argument readers ---------------------------------------------------- */

static tok *next(parser *P)
{
    return &P->t[P->i < P->n - 1 ? P->i++ : P->i];
}

static tok *peek(parser *P)
{
    return &P->t[P->i];
}

/* Counts of variables and responses beyond this are not a study but an
 * error (and would ask for memory no machine has). */
#define STUDY_MAX_COUNT 100000L

static int read_int(parser *P, const tok *kw, long min, long max, long *out)
{
    tok *t = next(P);
    if (t->kind != T_NUM || t->num != floor(t->num) || t->num < (double)min)
        return perr(P, t->line, "%s: expected a whole number%s, found '%s'", kw->text,
                    min > 0 ? " of at least 1" : "", t->kind == T_END ? "end of file" : t->text);
    if (t->num > (double)max)
        return perr(P, t->line, "%s: at most %ld, found '%s'", kw->text, max, t->text);
    *out = (long)t->num;
    return 0;
}

static int read_string(parser *P, const tok *kw, char **out)
{
    tok *t = next(P);
    if (t->kind != T_STR)
        return perr(P, t->line, "%s: expected a quoted string, found '%s'", kw->text,
                    t->kind == T_END ? "end of file" : t->text);
    free(*out);
    *out = strdup(t->text);
    return 0;
}

/* A list of numbers (as many as follow). */
static int read_numbers(parser *P, const tok *kw, double **out, size_t *n)
{
    free(*out);
    *out = NULL;
    *n = 0;
    while (peek(P)->kind == T_NUM) {
        double *nv = realloc(*out, (*n + 1) * sizeof *nv);
        if (!nv)
            return perr(P, kw->line, "out of memory");
        *out = nv;
        (*out)[(*n)++] = next(P)->num;
    }
    if (*n == 0)
        return perr(P, peek(P)->line, "%s: expected numbers, found '%s'", kw->text,
                    peek(P)->kind == T_END ? "end of file" : peek(P)->text);
    return 0;
}

/* A list of quoted strings (as many as follow). */
static int read_strings(parser *P, const tok *kw, char ***out, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*out)[i]);
    free(*out);
    *out = NULL;
    *n = 0;
    while (peek(P)->kind == T_STR) {
        char **nv = realloc(*out, (*n + 1) * sizeof *nv);
        if (!nv)
            return perr(P, kw->line, "out of memory");
        *out = nv;
        (*out)[(*n)++] = strdup(next(P)->text);
    }
    if (*n == 0)
        return perr(P, peek(P)->line, "%s: expected quoted strings, found '%s'", kw->text,
                    peek(P)->kind == T_END ? "end of file" : peek(P)->text);
    return 0;
}

/* ---- variables --------------------------------------------------------- */

typedef struct vgroup {
    study_var_type type;
    const char *name;
    long n;
    size_t line;
    double *lb, *ub, *mean, *sd;
    size_t nlb, nub, nmean, nsd;
    char **desc;
    size_t ndesc;
    int present;
} vgroup;

static void vgroup_free(vgroup *g)
{
    free(g->lb);
    free(g->ub);
    free(g->mean);
    free(g->sd);
    for (size_t i = 0; i < g->ndesc; i++)
        free(g->desc[i]);
    free(g->desc);
}

static int check_len(parser *P, const vgroup *g, const char *what, size_t have)
{
    if (have != (size_t)g->n)
        return perr(P, g->line, "%s %ld: expected %ld %s, found %zu", g->name, g->n, g->n, what,
                    have);
    return 0;
}

/* Build s->vars from the groups, in Dakota's order, with their checks. */
static int build_vars(parser *P, study_spec *s, vgroup *groups, int ngroups)
{
    size_t total = 0;
    for (int k = 0; k < ngroups; k++)
        if (groups[k].present)
            total += (size_t)groups[k].n;
    if (total == 0)
        return perr(P, P->t[P->n - 1].line,
                    "variables: expected uniform_uncertain, normal_uncertain, continuous_design or "
                    "discrete_design_range");
    s->vars = calloc(total, sizeof *s->vars);
    if (!s->vars)
        return perr(P, 1, "out of memory");
    for (int k = 0; k < ngroups; k++) {
        vgroup *g = &groups[k];
        if (!g->present)
            continue;
        if (g->type != STUDY_VAR_NORMAL || g->nlb || g->nub) {
            if (g->type == STUDY_VAR_NORMAL && (!g->nlb || !g->nub))
                return perr(P, g->line, "%s: bounds must be given as both lower_bounds and upper_bounds",
                            g->name);
            if (!g->nlb)
                return perr(P, g->line, "%s %ld: missing lower_bounds", g->name, g->n);
            if (!g->nub)
                return perr(P, g->line, "%s %ld: missing upper_bounds", g->name, g->n);
            if (check_len(P, g, "lower_bounds", g->nlb) < 0 ||
                check_len(P, g, "upper_bounds", g->nub) < 0)
                return -1;
        }
        if (g->type == STUDY_VAR_NORMAL) {
            if (!g->nmean)
                return perr(P, g->line, "%s %ld: missing means", g->name, g->n);
            if (!g->nsd)
                return perr(P, g->line, "%s %ld: missing std_deviations", g->name, g->n);
            if (check_len(P, g, "means", g->nmean) < 0 ||
                check_len(P, g, "std_deviations", g->nsd) < 0)
                return -1;
        }
        if (g->ndesc && check_len(P, g, "descriptors", g->ndesc) < 0)
            return -1;
        for (long i = 0; i < g->n; i++) {
            study_var *v = &s->vars[s->nvars];
            v->type = g->type;
            v->lb = g->nlb ? g->lb[i] : -INFINITY;
            v->ub = g->nub ? g->ub[i] : INFINITY;
            if (g->type == STUDY_VAR_NORMAL) {
                v->mean = g->mean[i];
                v->stddev = g->sd[i];
                if (!(v->stddev > 0))
                    return perr(P, g->line, "%s: std_deviations must be positive, found %g", g->name,
                                v->stddev);
            }
            if (g->type == STUDY_VAR_DISCRETE) {
                if (v->lb != floor(v->lb) || v->ub != floor(v->ub) || fabs(v->lb) > 1e15 ||
                    fabs(v->ub) > 1e15)
                    return perr(P, g->line, "%s: bounds must be integers, found %g and %g",
                                g->name, v->lb, v->ub);
                if (v->lb > v->ub)
                    return perr(P, g->line, "%s: lower bound %g is above upper bound %g",
                                g->name, v->lb, v->ub);
            } else if (g->nlb && !(v->lb < v->ub)) {
                return perr(P, g->line, "%s: lower bound %g is not below upper bound %g", g->name,
                            v->lb, v->ub);
            }
            char name[32];
            snprintf(name, sizeof name, "x%zu", s->nvars + 1);
            v->label = strdup(g->ndesc ? g->desc[i] : name);
            s->nvars++;
        }
    }
    return 0;
}

/* ---- blocks ---------------------------------------------------------------- */

static int kw_is(const tok *t, const char *s)
{
    return t->kind == T_WORD && strcmp(t->text, s) == 0;
}

static int is_block(const tok *t)
{
    return kw_is(t, "environment") || kw_is(t, "method") || kw_is(t, "variables") ||
           kw_is(t, "responses") || kw_is(t, "interface") || kw_is(t, "model");
}

static int unknown(parser *P, const tok *t, const char *block)
{
    if (t->kind == T_WORD)
        return perr(P, t->line, "unknown keyword '%s' in the %s block (batchtile study reads a "
                                "subset of Dakota's input; see 'batchtile study --help')",
                    t->text, block);
    return perr(P, t->line, "unexpected %s '%s' in the %s block",
                t->kind == T_STR ? "string" : "value", t->text, block);
}

static int parse_environment(parser *P, study_spec *s)
{
    while (!is_block(peek(P)) && peek(P)->kind != T_END) {
        tok *t = next(P);
        if (kw_is(t, "tabular_data") || kw_is(t, "tabular_graphics_data")) {
            s->tabular = 1;
        } else if (kw_is(t, "tabular_data_file") || kw_is(t, "tabular_graphics_file")) {
            if (read_string(P, t, &s->tabular_file) < 0)
                return -1;
        } else if (kw_is(t, "results_output")) {
            if (kw_is(peek(P), "hdf5")) {
                next(P);
                s->hdf5 = 1;
            }
        } else if (kw_is(t, "hdf5")) {
            s->hdf5 = 1;
        } else if (kw_is(t, "results_output_file")) {
            char *ignored = NULL;
            if (read_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
        } else {
            return unknown(P, t, "environment");
        }
    }
    return 0;
}

static int parse_method(parser *P, study_spec *s, int *have_sampling)
{
    while (!is_block(peek(P)) && peek(P)->kind != T_END) {
        tok *t = next(P);
        long v;
        if (kw_is(t, "sampling")) {
            *have_sampling = 1;
        } else if (kw_is(t, "sample_type")) {
            tok *a = next(P);
            if (kw_is(a, "random"))
                s->sample_type = STUDY_RANDOM;
            else if (kw_is(a, "lhs"))
                s->sample_type = STUDY_LHS;
            else if (kw_is(a, "low_discrepancy"))
                s->sample_type = STUDY_LOW_DISCREPANCY;
            else
                return perr(P, a->line, "sample_type: expected random, lhs or low_discrepancy, "
                                        "found '%s'", a->text);
        } else if (kw_is(t, "samples")) {
            if (read_int(P, t, 1, 100000000L, &s->samples) < 0)
                return -1;
        } else if (kw_is(t, "seed")) {
            if (read_int(P, t, 0, 1000000000000L, &v) < 0)
                return -1;
            s->seed = (unsigned long long)v;
            s->has_seed = 1;
        } else if (kw_is(t, "id_method")) {
            char *ignored = NULL;
            if (read_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
        } else if (kw_is(t, "output")) {
            next(P); /* verbosity: silent .. debug */
        } else if (t->kind == T_WORD && (strstr(t->text, "optimization") || strstr(t->text, "_search") ||
                                         strstr(t->text, "parameter_study") ||
                                         strcmp(t->text, "polynomial_chaos") == 0)) {
            return perr(P, t->line, "method '%s': batchtile study runs sampling only", t->text);
        } else {
            return unknown(P, t, "method");
        }
    }
    return 0;
}

static int parse_variables(parser *P, study_spec *s, vgroup *groups)
{
    vgroup *cur = NULL;
    while (!is_block(peek(P)) && peek(P)->kind != T_END) {
        tok *t = next(P);
        int k = kw_is(t, "continuous_design")       ? 0
                : kw_is(t, "discrete_design_range") ? 1
                : kw_is(t, "normal_uncertain")      ? 2
                : kw_is(t, "uniform_uncertain")     ? 3
                                                    : -1;
        if (k >= 0) {
            cur = &groups[k];
            if (cur->present)
                return perr(P, t->line, "%s given twice", t->text);
            cur->present = 1;
            cur->line = t->line;
            if (read_int(P, t, 1, STUDY_MAX_COUNT, &cur->n) < 0)
                return -1;
            continue;
        }
        if (kw_is(t, "active")) {
            /* batchtile study samples every variable: Dakota's `active all` */
            tok *v = next(P);
            if (!v || !kw_is(v, "all"))
                return perr(P, t->line, "'active' views other than 'active all' are not "
                                        "supported by batchtile study (it samples every variable)");
            continue;
        }
        if (kw_is(t, "id_variables")) {
            char *ignored = NULL;
            if (read_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
            continue;
        }
        int list = kw_is(t, "lower_bounds") || kw_is(t, "upper_bounds") || kw_is(t, "means") ||
                   kw_is(t, "std_deviations") || kw_is(t, "descriptors") ||
                   kw_is(t, "initial_point");
        if (!list)
            return unknown(P, t, "variables");
        if (!cur)
            return perr(P, t->line, "%s before any variable type (uniform_uncertain, "
                                    "normal_uncertain, continuous_design, discrete_design_range)",
                        t->text);
        int rc = 0;
        if (kw_is(t, "lower_bounds"))
            rc = read_numbers(P, t, &cur->lb, &cur->nlb);
        else if (kw_is(t, "upper_bounds"))
            rc = read_numbers(P, t, &cur->ub, &cur->nub);
        else if (kw_is(t, "means") && cur->type == STUDY_VAR_NORMAL)
            rc = read_numbers(P, t, &cur->mean, &cur->nmean);
        else if (kw_is(t, "std_deviations") && cur->type == STUDY_VAR_NORMAL)
            rc = read_numbers(P, t, &cur->sd, &cur->nsd);
        else if (kw_is(t, "descriptors"))
            rc = read_strings(P, t, &cur->desc, &cur->ndesc);
        else if (kw_is(t, "initial_point")) {
            double *ignored = NULL;
            size_t n = 0;
            rc = read_numbers(P, t, &ignored, &n);
            free(ignored);
        } else
            return perr(P, t->line, "%s does not belong to %s", t->text, cur->name);
        if (rc < 0)
            return -1;
    }
    (void)s;
    return 0;
}

static int parse_responses(parser *P, study_spec *s)
{
    long n = 0;
    size_t line = peek(P)->line, ndesc = 0;
    char **desc = NULL;
    const char *base = "response_fn";
    int rc = 0;
    while (!is_block(peek(P)) && peek(P)->kind != T_END && rc == 0) {
        tok *t = next(P);
        if (kw_is(t, "response_functions") || kw_is(t, "objective_functions")) {
            base = kw_is(t, "objective_functions") ? "obj_fn" : "response_fn";
            line = t->line;
            rc = read_int(P, t, 1, STUDY_MAX_COUNT, &n);
        } else if (kw_is(t, "descriptors") || kw_is(t, "response_descriptors")) {
            rc = read_strings(P, t, &desc, &ndesc);
        } else if (kw_is(t, "no_gradients") || kw_is(t, "no_hessians")) {
        } else if (kw_is(t, "numerical_gradients") || kw_is(t, "analytic_gradients") ||
                   kw_is(t, "mixed_gradients") || kw_is(t, "analytic_hessians") ||
                   kw_is(t, "numerical_hessians") || kw_is(t, "quasi_hessians")) {
            rc = perr(P, t->line, "%s: batchtile study samples function values only; use "
                                  "no_gradients and no_hessians", t->text);
        } else if (kw_is(t, "id_responses")) {
            char *ignored = NULL;
            rc = read_string(P, t, &ignored);
            free(ignored);
        } else {
            rc = unknown(P, t, "responses");
        }
    }
    if (rc == 0 && n == 0)
        rc = perr(P, line, "responses: expected response_functions N (or objective_functions N)");
    if (rc == 0 && ndesc && ndesc != (size_t)n)
        rc = perr(P, line, "responses: expected %ld descriptors, found %zu", n, ndesc);
    if (rc == 0) {
        s->nresp = (size_t)n;
        s->resp_labels = calloc((size_t)n, sizeof *s->resp_labels);
        for (long i = 0; s->resp_labels && i < n; i++) {
            char name[64];
            if (strcmp(base, "obj_fn") == 0 && n == 1)
                snprintf(name, sizeof name, "obj_fn");
            else
                snprintf(name, sizeof name, "%s_%ld", base, i + 1);
            s->resp_labels[i] = strdup(ndesc ? desc[i] : name);
        }
    }
    for (size_t i = 0; i < ndesc; i++)
        free(desc[i]);
    free(desc);
    return rc;
}

static int parse_format(parser *P, const tok *kw, int allow_aprepro, dak_format *out)
{
    tok *a = next(P);
    if (kw_is(a, "standard"))
        *out = DAK_FMT_STANDARD;
    else if (kw_is(a, "json"))
        *out = DAK_FMT_JSON;
    else if (allow_aprepro && kw_is(a, "aprepro"))
        *out = DAK_FMT_APREPRO;
    else
        return perr(P, a->line, "%s: expected standard%s or json, found '%s'", kw->text,
                    allow_aprepro ? ", aprepro" : "", a->text);
    return 0;
}

static int parse_interface(parser *P, study_spec *s, int *have_batch)
{
    while (!is_block(peek(P)) && peek(P)->kind != T_END) {
        tok *t = next(P);
        int rc = 0;
        if (kw_is(t, "fork")) {
            s->system = 0;
        } else if (kw_is(t, "system")) {
            s->system = 1;
        } else if (kw_is(t, "analysis_driver") || kw_is(t, "analysis_drivers")) {
            char **d = NULL;
            size_t nd = 0;
            rc = read_strings(P, t, &d, &nd);
            if (rc == 0 && nd > 1)
                rc = perr(P, t->line, "%s: one analysis driver, found %zu (batchtile study runs "
                                      "one driver per batch)", t->text, nd);
            if (rc == 0) {
                free(s->driver);
                s->driver = strdup(d[0]);
            }
            for (size_t i = 0; i < nd; i++)
                free(d[i]);
            free(d);
        } else if (kw_is(t, "analysis_components")) {
            for (size_t i = 0; i < s->ncomp; i++)
                free(s->comps[i]);
            free(s->comps);
            s->comps = NULL;
            s->ncomp = 0;
            rc = read_strings(P, t, &s->comps, &s->ncomp);
        } else if (kw_is(t, "parameters_file")) {
            rc = read_string(P, t, &s->params_file);
        } else if (kw_is(t, "results_file")) {
            rc = read_string(P, t, &s->results_file);
        } else if (kw_is(t, "work_directory")) {
            if (!s->workdir)
                s->workdir = strdup("work_directory");
        } else if (kw_is(t, "named")) {
            rc = read_string(P, t, &s->workdir);
        } else if (kw_is(t, "directory_tag")) {
            s->directory_tag = 1;
        } else if (kw_is(t, "file_save")) {
            s->file_save = 1;
        } else if (kw_is(t, "directory_save")) {
            s->directory_save = 1;
        } else if (kw_is(t, "batch")) {
            *have_batch = 1;
        } else if (kw_is(t, "size")) {
            rc = read_int(P, t, 1, 100000000L, &s->batch_size);
        } else if (kw_is(t, "parameters_format")) {
            rc = parse_format(P, t, 1, &s->params_format);
        } else if (kw_is(t, "results_format")) {
            rc = parse_format(P, t, 0, &s->results_format);
        } else if (kw_is(t, "aprepro") || kw_is(t, "dprepro")) {
            s->params_format = DAK_FMT_APREPRO;
        } else if (kw_is(t, "labeled") || kw_is(t, "verbatim")) {
        } else if (kw_is(t, "id_interface")) {
            char *ignored = NULL;
            rc = read_string(P, t, &ignored);
            free(ignored);
        } else if (kw_is(t, "asynchronous") || kw_is(t, "evaluation_concurrency") ||
                   kw_is(t, "direct") || kw_is(t, "python") || kw_is(t, "link_files") ||
                   kw_is(t, "copy_files")) {
            rc = perr(P, t->line, "'%s' is not supported by batchtile study (the batch interface "
                                  "runs the driver once per batch; give files to 'batchtile run "
                                  "--template-dir' in the driver instead)", t->text);
        } else {
            rc = unknown(P, t, "interface");
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

int study_input_parse(const char *path, study_spec *s, char *msg, size_t msgsz)
{
    memset(s, 0, sizeof *s);
    s->sample_type = STUDY_RANDOM;
    parser P = {path, NULL, 0, 0, msg, msgsz};
    ut_map m;
    if (ut_file_map(path, &m) < 0) {
        snprintf(msg, msgsz, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = tokenize(&P, m.data, m.len);
    ut_file_unmap(&m);
    vgroup groups[4] = {{STUDY_VAR_DESIGN, "continuous_design", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_DISCRETE, "discrete_design_range", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_NORMAL, "normal_uncertain", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_UNIFORM, "uniform_uncertain", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0}};
    int have[5] = {0}, have_sampling = 0, have_batch = 0;
    size_t method_line = 1, interface_line = 1;
    while (rc == 0 && peek(&P)->kind != T_END) {
        tok *t = next(&P);
        if (kw_is(t, "environment")) {
            have[0] = 1;
            rc = parse_environment(&P, s);
        } else if (kw_is(t, "method")) {
            if (have[1])
                rc = perr(&P, t->line, "a second method block: batchtile study runs one method");
            have[1] = 1;
            method_line = t->line;
            if (rc == 0)
                rc = parse_method(&P, s, &have_sampling);
        } else if (kw_is(t, "variables")) {
            have[2] = 1;
            rc = parse_variables(&P, s, groups);
        } else if (kw_is(t, "responses")) {
            if (have[3])
                rc = perr(&P, t->line, "a second responses block: batchtile study takes one");
            if (rc < 0)
                break;
            have[3] = 1;
            rc = parse_responses(&P, s);
        } else if (kw_is(t, "interface")) {
            have[4] = 1;
            interface_line = t->line;
            rc = parse_interface(&P, s, &have_batch);
        } else if (kw_is(t, "model")) {
            rc = perr(&P, t->line, "the model block is not supported by batchtile study (a single "
                                   "model is implied)");
        } else {
            rc = perr(&P, t->line, "expected a block keyword (environment, method, variables, "
                                   "responses, interface), found '%s'", t->text);
        }
    }
    static const char *const names[] = {"environment", "method", "variables", "responses",
                                        "interface"};
    for (int b = 1; rc == 0 && b < 5; b++)
        if (!have[b])
            rc = perr(&P, P.t[P.n - 1].line, "missing the %s block", names[b]);
    if (rc == 0 && !have_sampling)
        rc = perr(&P, method_line, "method: expected sampling");
    if (rc == 0 && s->samples == 0)
        rc = perr(&P, method_line, "sampling: missing samples N");
    if (rc == 0)
        rc = build_vars(&P, s, groups, 4);
    if (rc == 0 && !s->driver)
        rc = perr(&P, interface_line, "interface: missing analysis_driver");
    if (rc == 0 && !have_batch)
        rc = perr(&P, interface_line, "interface: expected 'batch' (batchtile study drives the "
                                      "batch interface)");
    if (rc == 0) {
        if (!s->params_file)
            s->params_file = strdup("params.in");
        if (!s->results_file)
            s->results_file = strdup("results.out");
        if (!s->tabular_file)
            s->tabular_file = strdup("dakota_tabular.dat");
    }
    for (int k = 0; k < 4; k++)
        vgroup_free(&groups[k]);
    for (size_t i = 0; i < P.n; i++)
        free(P.t[i].text);
    free(P.t);
    if (rc < 0)
        study_spec_free(s);
    return rc;
}

void study_spec_free(study_spec *s)
{
    for (size_t i = 0; i < s->nvars; i++)
        free(s->vars[i].label);
    free(s->vars);
    for (size_t i = 0; i < s->nresp; i++)
        free(s->resp_labels[i]);
    free(s->resp_labels);
    free(s->tabular_file);
    free(s->driver);
    free(s->params_file);
    free(s->results_file);
    free(s->workdir);
    for (size_t i = 0; i < s->ncomp; i++)
        free(s->comps[i]);
    free(s->comps);
    memset(s, 0, sizeof *s);
}
