/* batchtile: run a whole batch of Dakota evaluations inside one allocation.
 * This file only dispatches to the subcommands (one file each). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run/orch.h"
#include "util/log.h"

#ifndef BT_VERSION
#define BT_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"run", cli_run, "run a batch: the analysis driver Dakota calls"},
    {"split", cli_split, "write one work directory and parameters file per evaluation"},
    {"join", cli_join, "collect the work directories' results into a batch results file"},
    {"study", cli_study, "run a Dakota sampling study through the batch interface"},
    {"report", cli_report, "summarise a run from its journal; draw its Gantt chart"},
    {"pool", cli_pool, "a pool: one allocation serving a whole study's batches"},
    {"resources", cli_resources, "print the nodes, cores and GPUs batchtile finds here"},
    {"agent", cli_agent, "the node agent `run` starts on each node (not for use by hand)"},
};

static void help(FILE *f)
{
    fprintf(f, "Usage: batchtile COMMAND [OPTIONS] [ARGS]\n\n"
               "Run a whole batch of Dakota evaluations inside one HPC allocation.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n'batchtile COMMAND --help' for a command's options; 'man batchtile' for more.\n");
}

int main(int argc, char **argv)
{
    /* the signals a batch reacts to are blocked before anything else: one
     * that comes in the first milliseconds waits for the event loop (which
     * reads them from a signalfd) and still ends in a complete results file */
    sigset_t mask;
    run_signal_mask(&mask);
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        sigprocmask(SIG_BLOCK, &mask, NULL);
    if (argc < 2) {
        help(stderr);
        return BT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        help(stdout);
        return BT_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("batchtile %s\n", BT_VERSION);
        return BT_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            ut_log_set_cmd(cmd);
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "batchtile: '%s' is not a command\n", cmd);
    help(stderr);
    return BT_EXIT_USAGE;
}
