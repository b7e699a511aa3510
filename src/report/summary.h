/* The numbers of `batchtile report`: outcomes by reason, makespan, runtime
 * spread, utilisation of the allocation (overall and per node), and the
 * failed evaluations. */
#ifndef BATCHTILE_REPORT_SUMMARY_H
#define BATCHTILE_REPORT_SUMMARY_H
#include <stdio.h>

#include "journal_load.h"

/* Print the table. */
void report_print(const report_run *r, const char *journal, FILE *out);
/* Print the same as one JSON object. 0, or -1 on memory. */
int report_print_json(const report_run *r, const char *journal, FILE *out);

#endif
