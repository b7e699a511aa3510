/* Parameters files as Dakota's writers lay them out. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "params.h"

dak_params *dak_params_new(dak_format fmt, size_t nvars, size_t nfns, size_t ndvv, size_t nmeta)
{
    dak_params *p = dak_params_alloc(fmt, 1024);
    if (!p)
        return NULL;
    struct dak_arena *A = p->arena;
    p->nvars = nvars;
    p->nfns = nfns;
    p->ndvv = ndvv;
    p->nmeta = nmeta;
    p->has_metadata = 1;
    p->vars = dak_arena_alloc(A, nvars * sizeof *p->vars);
    p->fns = dak_arena_alloc(A, nfns * sizeof *p->fns);
    p->dvv = dak_arena_alloc(A, ndvv * sizeof *p->dvv);
    p->dvv_label = dak_arena_alloc(A, ndvv * sizeof *p->dvv_label);
    p->meta = dak_arena_alloc(A, nmeta * sizeof *p->meta);
    if (!p->vars || !p->fns || !p->dvv || !p->dvv_label || !p->meta) {
        dak_params_free(p);
        return NULL;
    }
    memset(p->vars, 0, nvars * sizeof *p->vars);
    memset(p->fns, 0, nfns * sizeof *p->fns);
    for (size_t i = 0; i < nvars; i++)
        p->vars[i].label = p->vars[i].value = "";
    for (size_t i = 0; i < nfns; i++)
        p->fns[i].label = "";
    for (size_t i = 0; i < ndvv; i++) {
        p->dvv[i] = (unsigned)(i + 1);
        p->dvv_label[i] = "";
    }
    for (size_t i = 0; i < nmeta; i++)
        p->meta[i] = "";
    p->eval_id = "";
    return p;
}

int dak_params_set_components(dak_params *p, size_t n)
{
    dak_component *c = dak_arena_alloc(p->arena, (n ? n : 1) * sizeof *c);
    if (!c)
        return -1;
    for (size_t i = 0; i < n; i++)
        c[i].driver = c[i].value = "";
    p->acs = c;
    p->nac = n;
    return 0;
}

const char *dak_params_strdup(dak_params *p, const char *s)
{
    return dak_arena_strndup(p->arena, s, strlen(s));
}

/* A variable's value as Dakota prints it: reals %.15e, integers as such,
 * strings as they are (quoted when quote is set). */
static void value_text(const dak_var *v, int quote, char *out, size_t outsz)
{
    if (v->kind == DAK_VAL_REAL)
        snprintf(out, outsz, "%.15e", v->real);
    else if (v->kind == DAK_VAL_INT)
        snprintf(out, outsz, "%lld", v->integer);
    else if (quote)
        snprintf(out, outsz, "\"%s\"", v->value);
    else
        snprintf(out, outsz, "%s", v->value);
}

/* ---- standard: "%43s label" ------------------------------------------ */

static int std_line(dak_buf *b, const char *value, const char *label)
{
    return dak_buf_printf(b, "%43s %s\n", value, label);
}

static int std_count(dak_buf *b, size_t n, const char *tag)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    return std_line(b, num, tag);
}

static int write_standard(dak_buf *b, const dak_params *p)
{
    char val[512], lab[512];
    int rc = std_count(b, p->nvars, "variables");
    for (size_t i = 0; i < p->nvars; i++) {
        value_text(&p->vars[i], 0, val, sizeof val);
        rc |= std_line(b, val, p->vars[i].label);
    }
    rc |= std_count(b, p->nfns, "functions");
    for (size_t i = 0; i < p->nfns; i++) {
        snprintf(val, sizeof val, "%d", p->fns[i].asv);
        snprintf(lab, sizeof lab, "ASV_%zu:%s", i + 1, p->fns[i].label);
        rc |= std_line(b, val, lab);
    }
    rc |= std_count(b, p->ndvv, "derivative_variables");
    for (size_t i = 0; i < p->ndvv; i++) {
        snprintf(val, sizeof val, "%u", p->dvv[i]);
        snprintf(lab, sizeof lab, "DVV_%zu:%s", i + 1, p->dvv_label[i]);
        rc |= std_line(b, val, lab);
    }
    rc |= std_count(b, p->nac, "analysis_components");
    for (size_t i = 0; i < p->nac; i++) {
        snprintf(lab, sizeof lab, "AC_%zu:%s", i + 1, p->acs[i].driver);
        rc |= std_line(b, p->acs[i].value, lab);
    }
    rc |= std_line(b, p->eval_id, "eval_id");
    if (p->has_metadata) {
        rc |= std_count(b, p->nmeta, "metadata");
        for (size_t i = 0; i < p->nmeta; i++) {
            snprintf(lab, sizeof lab, "MD_%zu", i + 1);
            rc |= std_line(b, p->meta[i], lab);
        }
    }
    return rc ? -1 : 0;
}

/* ---- APREPRO: "{ label = value }", label in 15 columns, the line 40 ---- */

static int apr_line(dak_buf *b, const char *label, const char *value)
{
    int lw = (int)strlen(label), vw = 22 - (lw > 15 ? lw - 15 : 0);
    if (vw < 1)
        vw = 1;
    return dak_buf_printf(b, "                    { %-15s = %*s }\n", label, vw, value);
}

static int apr_count(dak_buf *b, const char *tag, size_t n)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    return apr_line(b, tag, num);
}

static int write_aprepro(dak_buf *b, const dak_params *p)
{
    char val[512], lab[512];
    int rc = apr_count(b, "DAKOTA_VARS", p->nvars);
    for (size_t i = 0; i < p->nvars; i++) {
        value_text(&p->vars[i], 1, val, sizeof val);
        rc |= apr_line(b, p->vars[i].label, val);
    }
    rc |= apr_count(b, "DAKOTA_FNS", p->nfns);
    for (size_t i = 0; i < p->nfns; i++) {
        snprintf(val, sizeof val, "%d", p->fns[i].asv);
        snprintf(lab, sizeof lab, "ASV_%zu:%s", i + 1, p->fns[i].label);
        rc |= apr_line(b, lab, val);
    }
    rc |= apr_count(b, "DAKOTA_DER_VARS", p->ndvv);
    for (size_t i = 0; i < p->ndvv; i++) {
        snprintf(val, sizeof val, "%u", p->dvv[i]);
        snprintf(lab, sizeof lab, "DVV_%zu:%s", i + 1, p->dvv_label[i]);
        rc |= apr_line(b, lab, val);
    }
    rc |= apr_count(b, "DAKOTA_AN_COMPS", p->nac);
    for (size_t i = 0; i < p->nac; i++) {
        snprintf(val, sizeof val, "\"%s\"", p->acs[i].value);
        snprintf(lab, sizeof lab, "AC_%zu:%s", i + 1, p->acs[i].driver);
        rc |= apr_line(b, lab, val);
    }
    rc |= apr_line(b, "DAKOTA_EVAL_ID", p->eval_id);
    if (p->has_metadata) {
        rc |= apr_count(b, "DAKOTA_METADATA", p->nmeta);
        for (size_t i = 0; i < p->nmeta; i++) {
            snprintf(val, sizeof val, "\"%s\"", p->meta[i]);
            snprintf(lab, sizeof lab, "MD_%zu", i + 1);
            rc |= apr_line(b, lab, val);
        }
    }
    return rc ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static int write_json(dak_buf *b, const dak_params *p)
{
    json_t *o = json_object(), *vars = json_array(), *resp = json_array(), *dvv = json_array(),
           *acs = json_array(), *meta = json_array();
    for (size_t i = 0; i < p->nvars; i++) {
        const dak_var *v = &p->vars[i];
        json_t *val = v->kind == DAK_VAL_REAL  ? json_real(v->real)
                      : v->kind == DAK_VAL_INT ? json_integer(v->integer)
                                               : json_string(v->value);
        json_array_append_new(vars, json_pack("{s:s,s:o}", "label", v->label, "value", val));
    }
    for (size_t i = 0; i < p->nfns; i++)
        json_array_append_new(resp, json_pack("{s:s,s:i}", "label", p->fns[i].label,
                                              "active_set", p->fns[i].asv));
    for (size_t i = 0; i < p->ndvv; i++)
        json_array_append_new(dvv, json_integer(p->dvv[i]));
    for (size_t i = 0; i < p->nac; i++)
        json_array_append_new(acs, json_pack("{s:s,s:s}", "driver", p->acs[i].driver,
                                             "component", p->acs[i].value));
    for (size_t i = 0; i < p->nmeta; i++)
        json_array_append_new(meta, json_string(p->meta[i]));
    json_object_set_new(o, "variables", vars);
    json_object_set_new(o, "responses", resp);
    json_object_set_new(o, "derivative_variables", dvv);
    json_object_set_new(o, "analysis_components", acs);
    json_object_set_new(o, "eval_id", json_string(p->eval_id));
    if (p->has_metadata)
        json_object_set_new(o, "metadata", meta);
    else
        json_decref(meta);
    return dak_buf_json(b, o, JSON_REAL_PRECISION(17));
}

int dak_params_write(dak_buf *out, const dak_params *p, dak_format fmt)
{
    switch (fmt) {
    case DAK_FMT_APREPRO:
        return write_aprepro(out, p);
    case DAK_FMT_JSON:
        return write_json(out, p);
    default:
        return write_standard(out, p);
    }
}
