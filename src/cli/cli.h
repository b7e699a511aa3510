/* The subcommands and what they share: exit statuses, usage errors, and the
 * work-directory layout options. */
#ifndef BATCHTILE_CLI_H
#define BATCHTILE_CLI_H
#include <getopt.h>

#include "run/workdir.h"

/* Exit statuses (DESIGN.md). */
enum {
    BT_EXIT_OK = 0,     /* done (failed evaluations are reported as FAIL inside) */
    BT_EXIT_USAGE = 1,  /* bad command line */
    BT_EXIT_INPUT = 2,  /* malformed input file */
    BT_EXIT_SYSTEM = 3, /* cannot read, write or start something */
    BT_EXIT_LOCKED = 4, /* another batchtile runs on the same journal */
};

/* Each subcommand: main-like, returns an exit status. */
int cli_split(int argc, char **argv);
int cli_join(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_resources(int argc, char **argv);
int cli_study(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_pool(int argc, char **argv);
int cli_agent(int argc, char **argv);

/* `batchtile run`'s options and arguments (argv[0] "run") into cfg, whose
 * strings point into argv; what run does with --pool into x (NULL: not
 * wanted). -1 to go on, else the exit status (help shown, or a usage error
 * printed). */
typedef struct cli_run_extra {
    const char *pool;        /* --pool DIR, NULL none */
    int pool_at, pool_words; /* where it is in argv */
} cli_run_extra;
struct run_config;
int cli_run_parse(int argc, char **argv, struct run_config *cfg, cli_run_extra *x);

/* Print "batchtile CMD: MSG" and a pointer to --help; returns BT_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report getopt's '?' (unknown option) or ':' (missing value); returns
 * BT_EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);

/* Long options for the work-directory layout, shared by split, join and run. */
enum {
    CLI_OPT_WORKDIR = 0x100,
    CLI_OPT_PARAMS_FILE,
    CLI_OPT_RESULTS_FILE,
    CLI_OPT_RESULTS_FORMAT,
    CLI_OPT_FIRST_FREE, /* subcommands number their own long-only options from here */
};
#define CLI_LAYOUT_OPTIONS                                                               \
    {"workdir", required_argument, NULL, CLI_OPT_WORKDIR},                               \
        {"params-file", required_argument, NULL, CLI_OPT_PARAMS_FILE},                   \
        {"results-file", required_argument, NULL, CLI_OPT_RESULTS_FILE},                 \
        {"results-format", required_argument, NULL, CLI_OPT_RESULTS_FORMAT}

/* --results-format: -1 for auto, else a dak_format. */
typedef struct cli_layout {
    run_layout layout;
    int results_format;
} cli_layout;

/* Check that every evaluation gets its own parameters and results files
 * ({eval} in the work directory or the file names). 0, or -1 (printed). */
int cli_layout_check(const char *cmd, const cli_layout *l);
/* Parse a whole number >= min for option opt. 0, or -1 (printed). */
int cli_int(const char *cmd, const char *opt, const char *arg, int min, int *out);

/* Parse a size in bytes (K, M, G suffixes: powers of 1024). 0, or -1 (printed). */
int cli_size(const char *cmd, const char *opt, const char *arg, size_t *out);

/* Parse the options of a command that takes only the layout options and
 * --help. Returns -1 to go on (optind at the first argument), or the exit
 * status the command should return (help shown, or a usage error). */
int cli_layout_args(const char *cmd, const char *usage, int argc, char **argv, cli_layout *l);

/* Handle a layout option: 1 if opt was one (0 if not), -1 on a bad value
 * (message printed). */
int cli_layout_option(const char *cmd, int opt, const char *arg, cli_layout *l);

#endif
