/* One evaluation's results: read (standard or JSON) and validated against
 * the evaluation's active set, or built by a simulation and written. */
#ifndef BATCHTILE_DAKOTA_RESULTS_H
#define BATCHTILE_DAKOTA_RESULTS_H
#include <stddef.h>

#include "buf.h"
#include "format.h"
#include "params.h"

typedef struct dak_results {
    int failed;   /* the file said FAIL */
    size_t nfns;  /* as the parameters' functions */
    size_t ndvv;  /* as the parameters' derivative variables */
    size_t nmeta; /* as the parameters' metadata */
    double *fn;   /* nfns values (NaN where not requested) */
    double *grad; /* nfns x ndvv, row per response */
    double *hess; /* nfns x ndvv x ndvv */
    double *meta; /* nmeta values */
} dak_results;

/* Empty results sized for p (all zero), for a simulation to fill. */
dak_results *dak_results_new(const dak_params *p);
/* Read results in fmt (standard or JSON) and check them against p's ASV:
 * one value per response with bit 1, a gradient of ndvv entries per bit 2,
 * an ndvv x ndvv Hessian per bit 4, then the metadata values. A file that
 * says FAIL (any case, anywhere) gives results with failed set. Returns NULL
 * and fills err when the file is empty, malformed or incomplete. */
dak_results *dak_results_parse(const char *buf, size_t len, dak_format fmt,
                               const dak_params *p, const char *name, dak_error *err);
/* Append r in fmt (standard, or a JSON object) for the responses of p,
 * writing what p's ASV asks for; r NULL or failed writes a failure. */
int dak_results_write(dak_buf *out, const dak_results *r, const dak_params *p, dak_format fmt);
/* Release results. */
void dak_results_free(dak_results *r);

#endif
