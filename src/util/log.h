/* Messages on stderr, each prefixed "batchtile: " (or "batchtile CMD: "). */
#ifndef BATCHTILE_UTIL_LOG_H
#define BATCHTILE_UTIL_LOG_H

/* Set the prefix's command word ("split", "join", ...). */
void ut_log_set_cmd(const char *cmd);
/* Print one line: "batchtile CMD: <message>". */
void ut_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
