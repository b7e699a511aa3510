/* Reading the Dakota input subset: one table of keywords per block over
 * the tokens of input_lex.c, and the variables built from their groups.
 * Anything outside the subset is an error naming the keyword. */
#include "input.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input_lex.h"
#include "util/file.h"

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

static int check_len(study_parser *P, const vgroup *g, const char *what, size_t have)
{
    if (have != (size_t)g->n)
        return study_lex_err(P, g->line, "%s %ld: expected %ld %s, found %zu", g->name, g->n, g->n,
                             what, have);
    return 0;
}

/* Build s->vars from the groups, in Dakota's order, with their checks. */
static int build_vars(study_parser *P, study_spec *s, vgroup *groups, int ngroups)
{
    size_t total = 0;
    for (int k = 0; k < ngroups; k++)
        if (groups[k].present)
            total += (size_t)groups[k].n;
    if (total == 0)
        return study_lex_err(
            P, P->t[P->n - 1].line,
            "variables: expected uniform_uncertain, normal_uncertain, continuous_design or "
            "discrete_design_range");
    s->vars = calloc(total, sizeof *s->vars);
    if (!s->vars)
        return study_lex_err(P, 1, "out of memory");
    for (int k = 0; k < ngroups; k++) {
        vgroup *g = &groups[k];
        if (!g->present)
            continue;
        if (g->type != STUDY_VAR_NORMAL || g->nlb || g->nub) {
            if (g->type == STUDY_VAR_NORMAL && (!g->nlb || !g->nub))
                return study_lex_err(
                    P, g->line, "%s: bounds must be given as both lower_bounds and upper_bounds",
                    g->name);
            if (!g->nlb)
                return study_lex_err(P, g->line, "%s %ld: missing lower_bounds", g->name, g->n);
            if (!g->nub)
                return study_lex_err(P, g->line, "%s %ld: missing upper_bounds", g->name, g->n);
            if (check_len(P, g, "lower_bounds", g->nlb) < 0 ||
                check_len(P, g, "upper_bounds", g->nub) < 0)
                return -1;
        }
        if (g->type == STUDY_VAR_NORMAL) {
            if (!g->nmean)
                return study_lex_err(P, g->line, "%s %ld: missing means", g->name, g->n);
            if (!g->nsd)
                return study_lex_err(P, g->line, "%s %ld: missing std_deviations", g->name, g->n);
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
                    return study_lex_err(P, g->line,
                                         "%s: std_deviations must be positive, found %g", g->name,
                                         v->stddev);
            }
            if (g->type == STUDY_VAR_DISCRETE) {
                if (v->lb != floor(v->lb) || v->ub != floor(v->ub) || fabs(v->lb) > 1e15 ||
                    fabs(v->ub) > 1e15)
                    return study_lex_err(P, g->line, "%s: bounds must be integers, found %g and %g",
                                         g->name, v->lb, v->ub);
                if (v->lb > v->ub)
                    return study_lex_err(P, g->line, "%s: lower bound %g is above upper bound %g",
                                         g->name, v->lb, v->ub);
            } else if (g->nlb && !(v->lb < v->ub)) {
                return study_lex_err(P, g->line, "%s: lower bound %g is not below upper bound %g",
                                     g->name, v->lb, v->ub);
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

static int is_block(const study_tok *t)
{
    return study_lex_kw_is(t, "environment") || study_lex_kw_is(t, "method") ||
        study_lex_kw_is(t, "variables") || study_lex_kw_is(t, "responses") ||
        study_lex_kw_is(t, "interface") || study_lex_kw_is(t, "model");
}

static int unknown(study_parser *P, const study_tok *t, const char *block)
{
    if (t->kind == STUDY_TOK_WORD)
        return study_lex_err(P, t->line,
                             "unknown keyword '%s' in the %s block (batchtile study reads a "
                             "subset of Dakota's input; see 'batchtile study --help')",
                             t->text, block);
    return study_lex_err(P, t->line, "unexpected %s '%s' in the %s block",
                         t->kind == STUDY_TOK_STR ? "string" : "value", t->text, block);
}

static int parse_environment(study_parser *P, study_spec *s)
{
    while (!is_block(study_lex_peek(P)) && study_lex_peek(P)->kind != STUDY_TOK_END) {
        study_tok *t = study_lex_next(P);
        if (study_lex_kw_is(t, "tabular_data") || study_lex_kw_is(t, "tabular_graphics_data")) {
            s->tabular = 1;
        } else if (study_lex_kw_is(t, "tabular_data_file") ||
                   study_lex_kw_is(t, "tabular_graphics_file")) {
            if (study_lex_string(P, t, &s->tabular_file) < 0)
                return -1;
        } else if (study_lex_kw_is(t, "results_output")) {
            if (study_lex_kw_is(study_lex_peek(P), "hdf5")) {
                study_lex_next(P);
                s->hdf5 = 1;
            }
        } else if (study_lex_kw_is(t, "hdf5")) {
            s->hdf5 = 1;
        } else if (study_lex_kw_is(t, "results_output_file")) {
            char *ignored = NULL;
            if (study_lex_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
        } else {
            return unknown(P, t, "environment");
        }
    }
    return 0;
}

static int parse_method(study_parser *P, study_spec *s, int *have_sampling)
{
    while (!is_block(study_lex_peek(P)) && study_lex_peek(P)->kind != STUDY_TOK_END) {
        study_tok *t = study_lex_next(P);
        long v;
        if (study_lex_kw_is(t, "sampling")) {
            *have_sampling = 1;
        } else if (study_lex_kw_is(t, "sample_type")) {
            study_tok *a = study_lex_next(P);
            if (study_lex_kw_is(a, "random"))
                s->sample_type = STUDY_RANDOM;
            else if (study_lex_kw_is(a, "lhs"))
                s->sample_type = STUDY_LHS;
            else if (study_lex_kw_is(a, "low_discrepancy"))
                s->sample_type = STUDY_LOW_DISCREPANCY;
            else
                return study_lex_err(P, a->line,
                                     "sample_type: expected random, lhs or low_discrepancy, "
                                     "found '%s'",
                                     a->text);
        } else if (study_lex_kw_is(t, "samples")) {
            if (study_lex_int(P, t, 1, 100000000L, &s->samples) < 0)
                return -1;
        } else if (study_lex_kw_is(t, "seed")) {
            if (study_lex_int(P, t, 0, 1000000000000L, &v) < 0)
                return -1;
            s->seed = (unsigned long long)v;
            s->has_seed = 1;
        } else if (study_lex_kw_is(t, "id_method")) {
            char *ignored = NULL;
            if (study_lex_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
        } else if (study_lex_kw_is(t, "output")) {
            study_lex_next(P); /* verbosity: silent .. debug */
        } else if (t->kind == STUDY_TOK_WORD &&
                   (strstr(t->text, "optimization") || strstr(t->text, "_search") ||
                    strstr(t->text, "parameter_study") ||
                    strcmp(t->text, "polynomial_chaos") == 0)) {
            return study_lex_err(P, t->line, "method '%s': batchtile study runs sampling only",
                                 t->text);
        } else {
            return unknown(P, t, "method");
        }
    }
    return 0;
}

static int parse_variables(study_parser *P, study_spec *s, vgroup *groups)
{
    vgroup *cur = NULL;
    while (!is_block(study_lex_peek(P)) && study_lex_peek(P)->kind != STUDY_TOK_END) {
        study_tok *t = study_lex_next(P);
        int k = study_lex_kw_is(t, "continuous_design")   ? 0
            : study_lex_kw_is(t, "discrete_design_range") ? 1
            : study_lex_kw_is(t, "normal_uncertain")      ? 2
            : study_lex_kw_is(t, "uniform_uncertain")     ? 3
                                                          : -1;
        if (k >= 0) {
            cur = &groups[k];
            if (cur->present)
                return study_lex_err(P, t->line, "%s given twice", t->text);
            cur->present = 1;
            cur->line = t->line;
            if (study_lex_int(P, t, 1, STUDY_MAX_COUNT, &cur->n) < 0)
                return -1;
            continue;
        }
        if (study_lex_kw_is(t, "active")) {
            /* batchtile study samples every variable: Dakota's `active all` */
            study_tok *v = study_lex_next(P);
            if (!v || !study_lex_kw_is(v, "all"))
                return study_lex_err(P, t->line,
                                     "'active' views other than 'active all' are not "
                                     "supported by batchtile study (it samples every variable)");
            continue;
        }
        if (study_lex_kw_is(t, "id_variables")) {
            char *ignored = NULL;
            if (study_lex_string(P, t, &ignored) < 0)
                return -1;
            free(ignored);
            continue;
        }
        int list = study_lex_kw_is(t, "lower_bounds") || study_lex_kw_is(t, "upper_bounds") ||
            study_lex_kw_is(t, "means") || study_lex_kw_is(t, "std_deviations") ||
            study_lex_kw_is(t, "descriptors") || study_lex_kw_is(t, "initial_point");
        if (!list)
            return unknown(P, t, "variables");
        if (!cur)
            return study_lex_err(P, t->line,
                                 "%s before any variable type (uniform_uncertain, "
                                 "normal_uncertain, continuous_design, discrete_design_range)",
                                 t->text);
        int rc = 0;
        if (study_lex_kw_is(t, "lower_bounds"))
            rc = study_lex_numbers(P, t, &cur->lb, &cur->nlb);
        else if (study_lex_kw_is(t, "upper_bounds"))
            rc = study_lex_numbers(P, t, &cur->ub, &cur->nub);
        else if (study_lex_kw_is(t, "means") && cur->type == STUDY_VAR_NORMAL)
            rc = study_lex_numbers(P, t, &cur->mean, &cur->nmean);
        else if (study_lex_kw_is(t, "std_deviations") && cur->type == STUDY_VAR_NORMAL)
            rc = study_lex_numbers(P, t, &cur->sd, &cur->nsd);
        else if (study_lex_kw_is(t, "descriptors"))
            rc = study_lex_strings(P, t, &cur->desc, &cur->ndesc);
        else if (study_lex_kw_is(t, "initial_point")) {
            double *ignored = NULL;
            size_t n = 0;
            rc = study_lex_numbers(P, t, &ignored, &n);
            free(ignored);
        } else
            return study_lex_err(P, t->line, "%s does not belong to %s", t->text, cur->name);
        if (rc < 0)
            return -1;
    }
    (void)s;
    return 0;
}

static int parse_responses(study_parser *P, study_spec *s)
{
    long n = 0;
    size_t line = study_lex_peek(P)->line, ndesc = 0;
    char **desc = NULL;
    const char *base = "response_fn";
    int rc = 0;
    while (!is_block(study_lex_peek(P)) && study_lex_peek(P)->kind != STUDY_TOK_END && rc == 0) {
        study_tok *t = study_lex_next(P);
        if (study_lex_kw_is(t, "response_functions") || study_lex_kw_is(t, "objective_functions")) {
            base = study_lex_kw_is(t, "objective_functions") ? "obj_fn" : "response_fn";
            line = t->line;
            rc = study_lex_int(P, t, 1, STUDY_MAX_COUNT, &n);
        } else if (study_lex_kw_is(t, "descriptors") ||
                   study_lex_kw_is(t, "response_descriptors")) {
            rc = study_lex_strings(P, t, &desc, &ndesc);
        } else if (study_lex_kw_is(t, "no_gradients") || study_lex_kw_is(t, "no_hessians")) {
        } else if (study_lex_kw_is(t, "numerical_gradients") ||
                   study_lex_kw_is(t, "analytic_gradients") ||
                   study_lex_kw_is(t, "mixed_gradients") ||
                   study_lex_kw_is(t, "analytic_hessians") ||
                   study_lex_kw_is(t, "numerical_hessians") ||
                   study_lex_kw_is(t, "quasi_hessians")) {
            rc = study_lex_err(P, t->line,
                               "%s: batchtile study samples function values only; use "
                               "no_gradients and no_hessians",
                               t->text);
        } else if (study_lex_kw_is(t, "id_responses")) {
            char *ignored = NULL;
            rc = study_lex_string(P, t, &ignored);
            free(ignored);
        } else {
            rc = unknown(P, t, "responses");
        }
    }
    if (rc == 0 && n == 0)
        rc = study_lex_err(P, line,
                           "responses: expected response_functions N (or objective_functions N)");
    if (rc == 0 && ndesc && ndesc != (size_t)n)
        rc = study_lex_err(P, line, "responses: expected %ld descriptors, found %zu", n, ndesc);
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

static int parse_format(study_parser *P, const study_tok *kw, int allow_aprepro, dak_format *out)
{
    study_tok *a = study_lex_next(P);
    if (study_lex_kw_is(a, "standard"))
        *out = DAK_FMT_STANDARD;
    else if (study_lex_kw_is(a, "json"))
        *out = DAK_FMT_JSON;
    else if (allow_aprepro && study_lex_kw_is(a, "aprepro"))
        *out = DAK_FMT_APREPRO;
    else
        return study_lex_err(P, a->line, "%s: expected standard%s or json, found '%s'", kw->text,
                             allow_aprepro ? ", aprepro" : "", a->text);
    return 0;
}

static int parse_interface(study_parser *P, study_spec *s, int *have_batch)
{
    while (!is_block(study_lex_peek(P)) && study_lex_peek(P)->kind != STUDY_TOK_END) {
        study_tok *t = study_lex_next(P);
        int rc = 0;
        if (study_lex_kw_is(t, "fork")) {
            s->system = 0;
        } else if (study_lex_kw_is(t, "system")) {
            s->system = 1;
        } else if (study_lex_kw_is(t, "analysis_driver") ||
                   study_lex_kw_is(t, "analysis_drivers")) {
            char **d = NULL;
            size_t nd = 0;
            rc = study_lex_strings(P, t, &d, &nd);
            if (rc == 0 && nd > 1)
                rc = study_lex_err(P, t->line,
                                   "%s: one analysis driver, found %zu (batchtile study runs "
                                   "one driver per batch)",
                                   t->text, nd);
            if (rc == 0) {
                free(s->driver);
                s->driver = strdup(d[0]);
            }
            for (size_t i = 0; i < nd; i++)
                free(d[i]);
            free(d);
        } else if (study_lex_kw_is(t, "analysis_components")) {
            for (size_t i = 0; i < s->ncomp; i++)
                free(s->comps[i]);
            free(s->comps);
            s->comps = NULL;
            s->ncomp = 0;
            rc = study_lex_strings(P, t, &s->comps, &s->ncomp);
        } else if (study_lex_kw_is(t, "parameters_file")) {
            rc = study_lex_string(P, t, &s->params_file);
        } else if (study_lex_kw_is(t, "results_file")) {
            rc = study_lex_string(P, t, &s->results_file);
        } else if (study_lex_kw_is(t, "work_directory")) {
            if (!s->workdir)
                s->workdir = strdup("work_directory");
        } else if (study_lex_kw_is(t, "named")) {
            rc = study_lex_string(P, t, &s->workdir);
        } else if (study_lex_kw_is(t, "directory_tag")) {
            s->directory_tag = 1;
        } else if (study_lex_kw_is(t, "file_save")) {
            s->file_save = 1;
        } else if (study_lex_kw_is(t, "directory_save")) {
            s->directory_save = 1;
        } else if (study_lex_kw_is(t, "batch")) {
            *have_batch = 1;
        } else if (study_lex_kw_is(t, "size")) {
            rc = study_lex_int(P, t, 1, 100000000L, &s->batch_size);
        } else if (study_lex_kw_is(t, "parameters_format")) {
            rc = parse_format(P, t, 1, &s->params_format);
        } else if (study_lex_kw_is(t, "results_format")) {
            rc = parse_format(P, t, 0, &s->results_format);
        } else if (study_lex_kw_is(t, "aprepro") || study_lex_kw_is(t, "dprepro")) {
            s->params_format = DAK_FMT_APREPRO;
        } else if (study_lex_kw_is(t, "labeled") || study_lex_kw_is(t, "verbatim")) {
        } else if (study_lex_kw_is(t, "id_interface")) {
            char *ignored = NULL;
            rc = study_lex_string(P, t, &ignored);
            free(ignored);
        } else if (study_lex_kw_is(t, "asynchronous") ||
                   study_lex_kw_is(t, "evaluation_concurrency") || study_lex_kw_is(t, "direct") ||
                   study_lex_kw_is(t, "python") || study_lex_kw_is(t, "link_files") ||
                   study_lex_kw_is(t, "copy_files")) {
            rc = study_lex_err(P, t->line,
                               "'%s' is not supported by batchtile study (the batch interface "
                               "runs the driver once per batch; give files to 'batchtile run "
                               "--template-dir' in the driver instead)",
                               t->text);
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
    study_parser P = {path, NULL, 0, 0, msg, msgsz};
    ut_map m;
    if (ut_file_map(path, &m) < 0) {
        snprintf(msg, msgsz, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    int rc = study_lex_tokenize(&P, m.data, m.len);
    ut_file_unmap(&m);
    vgroup groups[4] = {{STUDY_VAR_DESIGN, "continuous_design", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_DISCRETE, "discrete_design_range", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_NORMAL, "normal_uncertain", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0},
                        {STUDY_VAR_UNIFORM, "uniform_uncertain", 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, 0, 0}};
    int have[5] = {0}, have_sampling = 0, have_batch = 0;
    size_t method_line = 1, interface_line = 1;
    while (rc == 0 && study_lex_peek(&P)->kind != STUDY_TOK_END) {
        study_tok *t = study_lex_next(&P);
        if (study_lex_kw_is(t, "environment")) {
            have[0] = 1;
            rc = parse_environment(&P, s);
        } else if (study_lex_kw_is(t, "method")) {
            if (have[1])
                rc = study_lex_err(&P, t->line,
                                   "a second method block: batchtile study runs one method");
            have[1] = 1;
            method_line = t->line;
            if (rc == 0)
                rc = parse_method(&P, s, &have_sampling);
        } else if (study_lex_kw_is(t, "variables")) {
            have[2] = 1;
            rc = parse_variables(&P, s, groups);
        } else if (study_lex_kw_is(t, "responses")) {
            if (have[3])
                rc = study_lex_err(&P, t->line,
                                   "a second responses block: batchtile study takes one");
            if (rc < 0)
                break;
            have[3] = 1;
            rc = parse_responses(&P, s);
        } else if (study_lex_kw_is(t, "interface")) {
            have[4] = 1;
            interface_line = t->line;
            rc = parse_interface(&P, s, &have_batch);
        } else if (study_lex_kw_is(t, "model")) {
            rc = study_lex_err(&P, t->line,
                               "the model block is not supported by batchtile study (a single "
                               "model is implied)");
        } else {
            rc = study_lex_err(&P, t->line,
                               "expected a block keyword (environment, method, variables, "
                               "responses, interface), found '%s'",
                               t->text);
        }
    }
    static const char *const names[] = {"environment", "method", "variables", "responses",
                                        "interface"};
    for (int b = 1; rc == 0 && b < 5; b++)
        if (!have[b])
            rc = study_lex_err(&P, P.t[P.n - 1].line, "missing the %s block", names[b]);
    if (rc == 0 && !have_sampling)
        rc = study_lex_err(&P, method_line, "method: expected sampling");
    if (rc == 0 && s->samples == 0)
        rc = study_lex_err(&P, method_line, "sampling: missing samples N");
    if (rc == 0)
        rc = build_vars(&P, s, groups, 4);
    if (rc == 0 && !s->driver)
        rc = study_lex_err(&P, interface_line, "interface: missing analysis_driver");
    if (rc == 0 && !have_batch)
        rc = study_lex_err(&P, interface_line,
                           "interface: expected 'batch' (batchtile study drives the "
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
