/* One evaluation's parameters, as Dakota writes them (standard, APREPRO or
 * JSON): variables, active set vector, derivative variables, analysis
 * components, eval_id and metadata. */
#ifndef BATCHTILE_DAKOTA_PARAMS_H
#define BATCHTILE_DAKOTA_PARAMS_H
#include <stddef.h>

#include "buf.h"
#include "format.h"

typedef enum dak_value_kind {
    DAK_VAL_INT,    /* the whole value reads as an integer ("3") */
    DAK_VAL_REAL,   /* the whole value reads as a C double ("-4.3e-01", "nan") */
    DAK_VAL_STRING, /* anything else, or a quoted APREPRO / JSON string */
} dak_value_kind;

typedef struct dak_var {
    const char *label;
    const char *value; /* the text as written (strings unquoted) */
    dak_value_kind kind;
    double real;       /* numeric value when kind is INT or REAL */
    long long integer; /* when kind is INT */
} dak_var;

typedef struct dak_response {
    const char *label; /* the part after "ASV_i:" */
    int asv;           /* 0..7: 1 value, 2 gradient, 4 Hessian */
} dak_response;

typedef struct dak_component {
    const char *driver; /* the part after "AC_i:" */
    const char *value;
} dak_component;

typedef struct dak_params {
    dak_format format;
    size_t nvars;
    dak_var *vars;
    size_t nfns;
    dak_response *fns;
    size_t ndvv;
    unsigned *dvv;          /* 1-based ids of the derivative variables */
    const char **dvv_label; /* their labels (the part after "DVV_i:") */
    size_t nac;
    dak_component *acs;
    const char *eval_id; /* as written: "7", "1:7", "2:1:7" */
    long eval;           /* evaluation number: last field of eval_id */
    long batch;          /* batch number: the field before it, 0 if none */
    int has_metadata;    /* the metadata block was present */
    size_t nmeta;
    const char **meta;
    struct dak_arena *arena; /* owns every string and array above */
    /* where the parser found eval_id's value: its offset and length in the
     * text parsed (the buffer given to dak_params_parse; in a batch, the
     * evaluation's dak_eval.text), a JSON string with its quotes; length 0
     * where not known (a record from dak_params_new; a JSON member name
     * that is not valid JSON) */
    size_t eval_id_at, eval_id_len;
} dak_params;

/* Parse one evaluation's parameters occupying the whole buffer. name is used
 * in error messages; first_line is the line number of buf[0] (1 for a file).
 * Returns NULL and fills err on malformed input. */
dak_params *dak_params_parse(const char *buf, size_t len, dak_format fmt,
                             const char *name, size_t first_line, dak_error *err);
/* Append p to out in fmt exactly as Dakota's writers lay it out: standard
 * (values right-aligned in 43 columns, reals %.15e), APREPRO ("{ label =
 * value }" with 20 spaces of indent, strings quoted) or JSON (one object).
 * Returns 0, or -1 when out of memory. */
int dak_params_write(dak_buf *out, const dak_params *p, dak_format fmt);
/* An empty record in fmt that a writer fills: nvars variables, nfns
 * responses, ndvv derivative variables (all zeroed, labels ""); set the
 * fields, then set strings with dak_params_set_string. NULL on memory. */
dak_params *dak_params_new(dak_format fmt, size_t nvars, size_t nfns, size_t ndvv, size_t nmeta);
/* Give p n analysis components (driver and value "", to be set). 0, or -1. */
int dak_params_set_components(dak_params *p, size_t n);
/* Copy s into p's memory and return the copy (for labels and values). */
const char *dak_params_strdup(dak_params *p, const char *s);

/* Release a parameters record. */
void dak_params_free(dak_params *p);
/* The variable with this label, or NULL. */
const dak_var *dak_params_var(const dak_params *p, const char *label);
/* Whether any response asks for bit (1, 2 or 4) of the ASV. */
int dak_params_wants(const dak_params *p, int bit);
/* A 64-bit FNV-1a hash of the evaluation's parameters, independent of the
 * file's format and layout but not of the eval_id (for resume). */
unsigned long long dak_params_hash(const dak_params *p);

#endif
