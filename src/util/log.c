#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_cmd;

void ut_log_set_cmd(const char *cmd)
{
    log_cmd = cmd;
}

void ut_vlog(FILE *f, const char *fmt, va_list ap)
{
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    if (!f)
        f = stderr;
    /* one write per line, so lines from concurrent writers do not interleave */
    if (log_cmd)
        fprintf(f, "batchtile %s: %s\n", log_cmd, line);
    else
        fprintf(f, "batchtile: %s\n", line);
}

void ut_log(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ut_vlog(f, fmt, ap);
    va_end(ap);
}

void ut_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ut_vlog(stderr, fmt, ap);
    va_end(ap);
}
