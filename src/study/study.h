/* Running a sampling study the way Dakota's batch interface does: write
 * each batch parameters file, run the analysis driver once per batch, read
 * the batch results file back, and report. */
#ifndef BATCHTILE_STUDY_STUDY_H
#define BATCHTILE_STUDY_STUDY_H
#include <stdio.h>

#include "input.h"

/* Run s; the summary goes to out. Returns 0, or 3 with msg set when a batch
 * cannot be written, the driver fails, or its results cannot be read. */
int study_run(const study_spec *s, FILE *out, char *msg, size_t msgsz);

/* Split a driver string into words as Dakota's fork interface does: blanks
 * separate words, single and double quotes group, a backslash escapes the
 * next character outside single quotes. Returns a NULL-terminated malloc'd
 * array (free with ut_argv_free from util/proc.h), or NULL on an unterminated quote. */
char **study_split_words(const char *s);

#endif
