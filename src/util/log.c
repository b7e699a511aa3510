#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_cmd;

void ut_log_set_cmd(const char *cmd)
{
    log_cmd = cmd;
}

void ut_err(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one write per line, so lines from concurrent writers do not interleave */
    if (log_cmd)
        fprintf(stderr, "batchtile %s: %s\n", log_cmd, line);
    else
        fprintf(stderr, "batchtile: %s\n", line);
}
