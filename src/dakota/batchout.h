/* The batch results file Dakota reads back: standard (the evaluations'
 * results separated by lines "#", FAIL for a failure; one evaluation is a
 * plain results file) or JSON (an array, {"fail": true} for a failure; one
 * lone object when Dakota sent one lone object). */
#ifndef BATCHTILE_DAKOTA_BATCHOUT_H
#define BATCHTILE_DAKOTA_BATCHOUT_H
#include <stddef.h>

#include "buf.h"
#include "format.h"
#include "params.h"
#include "results.h"

/* Append evaluation number index (0-based, in batch order) to out; r NULL
 * or failed writes the evaluation as failed. */
int dak_batchout_add(dak_buf *out, dak_format fmt, size_t index, const dak_params *p,
                     const dak_results *r);
/* The same with the evaluation already rendered by dak_results_write in fmt
 * (text NULL writes it as failed). */
int dak_batchout_add_text(dak_buf *out, dak_format fmt, size_t index, const char *text);
/* The answer to a parameters file that was one lone JSON object (or any
 * single, non-batch evaluation): that evaluation's results alone, no array,
 * no separator (text NULL: failed). */
int dak_batchout_single(dak_buf *out, dak_format fmt, const char *text);
/* Close the batch after count evaluations (JSON: the array's ']'). */
int dak_batchout_finish(dak_buf *out, dak_format fmt, size_t count);

#endif
