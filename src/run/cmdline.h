/* The evaluation's command line: COMMAND ARGS with {params}, {results} and
 * {eval} substituted, or the two file names appended as Dakota does. */
#ifndef BATCHTILE_RUN_CMDLINE_H
#define BATCHTILE_RUN_CMDLINE_H
#include <stddef.h>

typedef struct run_cmdline {
    char **words;     /* the template, argv[0] resolved to an absolute path */
    int nwords;
    int substitute;   /* some word holds {params} or {results}: no appending */
} run_cmdline;

/* Prepare the template from words; 0, or -1 with msg set (command not found). */
int run_cmdline_init(run_cmdline *c, char *const *words, int nwords, char *msg, size_t msgsz);
/* argv for evaluation eval with these file names (malloc'd, NULL-terminated;
 * free with ut_argv_free from util/proc.h). */
char **run_cmdline_argv(const run_cmdline *c, long eval, const char *params, const char *results);
void run_cmdline_free(run_cmdline *c);
/* Write argv as one shell-quoted line into out (for --dry-run and logs). */
void run_cmdline_format(char *const *argv, char *out, size_t outsz);

#endif
