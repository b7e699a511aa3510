/* Messages on stderr, each prefixed "batchtile: " (or "batchtile CMD: "). */
#ifndef BATCHTILE_UTIL_LOG_H
#define BATCHTILE_UTIL_LOG_H
#include <stdarg.h>
#include <stdio.h>

/* Set the prefix's command word ("split", "join", ...). */
void ut_log_set_cmd(const char *cmd);
/* Print one line: "batchtile CMD: <message>". */
void ut_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same line on f (stderr when NULL), in one write. */
void ut_log(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ut_vlog(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
