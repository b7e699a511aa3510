/* GNU parallel's --joblog format: a header, then one tab-separated line per
 * finished job: Seq Host Starttime JobRuntime Send Receive Exitval Signal
 * Command (times in seconds, 3 decimals). */
#ifndef BATCHTILE_REPORT_JOBLOG_H
#define BATCHTILE_REPORT_JOBLOG_H
#include <stdio.h>

typedef struct report_joblog report_joblog;

/* Open path for appending (the header is written when the file is empty).
 * NULL with msg set on failure. */
report_joblog *report_joblog_open(const char *path, char *msg, size_t msgsz);
/* One finished job; exitval -1 when it was killed by signal sig. */
int report_joblog_add(report_joblog *j, long seq, const char *host, double start, double runtime,
                      int exitval, int sig, const char *command);
void report_joblog_close(report_joblog *j);

#endif
