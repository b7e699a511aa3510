/* Conveniences for simulation authors: read a parameters file and write a
 * results file by name. */
#ifndef BATCHTILE_DAKOTA_FILE_H
#define BATCHTILE_DAKOTA_FILE_H

#include "format.h"
#include "params.h"
#include "results.h"

/* Read and parse a parameters file, its format detected. NULL + err on failure. */
dak_params *dak_params_load(const char *path, dak_error *err);
/* Write r to path in fmt (through a temporary name, then rename); r NULL
 * writes FAIL. Returns 0, or -1 with err filled. */
int dak_results_save(const char *path, const dak_results *r, const dak_params *p,
                     dak_format fmt, dak_error *err);

#endif
