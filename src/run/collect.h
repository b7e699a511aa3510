/* Results assembly: read each evaluation's results file, validate it
 * against its active set, and write the batch results file. */
#ifndef BATCHTILE_RUN_COLLECT_H
#define BATCHTILE_RUN_COLLECT_H
#include <stddef.h>

#include "dakota/dakota.h"

/* The default bound on a results file's size (--max-results-size). */
#define RUN_RESULTS_MAX_DEFAULT (64UL << 20)

/* Read path (at most max bytes, 0 for the default; never mapped) and check
 * it against p. Returns the results, or NULL with why set ("missing results
 * file", "empty results file", "results say FAIL", "line 3: expected ...",
 * "byte 0x00 at offset 4 is not text"). The format is told from the content. */
dak_results *run_results_read(const char *path, const dak_params *p, size_t max, char *why,
                              size_t whysz);
/* An evaluation's section of the batch results in fmt (malloc'd), from r
 * and p; NULL when out of memory. */
char *run_results_render(dak_format fmt, const dak_params *p, const dak_results *r);
/* A failed evaluation's section written as values (--on-fail nan or
 * value:X): v for every value, gradient and Hessian entry its active set
 * asks for, and every metadata value (malloc'd; NULL when out of memory). */
char *run_results_filled(dak_format fmt, const dak_params *p, double v);
/* Write the batch results file atomically: evaluation i is texts[i] (as
 * rendered; NULL = FAIL), in fmt; single (the parameters were one lone JSON
 * object) writes that one evaluation's results alone. 0, or -1 with errno. */
int run_results_write_batch(const char *path, dak_format fmt, char *const *texts, size_t n,
                            int single);
/* The same, evaluation i's text from text(arg, i, &err) (valid until the
 * next call; err set to an errno abandons the write), written as it goes. */
int run_results_write_stream(const char *path, dak_format fmt, size_t n, int single,
                             const char *(*text)(void *arg, size_t i, int *err), void *arg);

/* Before anything runs: remove what an interrupted write of the batch
 * results file left (path.tmp.XXXXXX) and check that one can be written
 * there. 0, or -1 with msg set. */
int run_results_prepare(const char *path, char *msg, size_t msgsz);

#endif
