/* batchtile report: what happened in a run, from its journal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/gantt.h"
#include "report/summary.h"
#include "util/file.h"
#include "util/log.h"

static const char usage[] =
    "Usage: batchtile report [--json] [--svg FILE] [JOURNAL]\n"
    "\n"
    "Summarise the last run recorded in JOURNAL (default batchtile.journal):\n"
    "evaluations ok and failed (by reason), makespan, runtime min/median/p90/max,\n"
    "and how much of the allocation was used (core-seconds of evaluations over\n"
    "core-seconds available during the makespan), per node when there are\n"
    "several; then the failed evaluations with their reason and work directory.\n"
    "\n"
    "      --json       the same as one JSON object\n"
    "      --svg FILE   also draw a Gantt chart of the tiling: a lane per core and\n"
    "                   GPU, a bar per evaluation, coloured by outcome\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 done, 1 usage error, 2 no run in the journal, 3 cannot read\n"
    "or write.\n";

int cli_report(int argc, char **argv)
{
    enum { O_JSON = CLI_OPT_FIRST_FREE, O_SVG };
    static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
                                         {"svg", required_argument, NULL, O_SVG},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int json = 0, c;
    const char *svg = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == O_JSON)
            json = 1;
        else if (c == O_SVG)
            svg = optarg;
        else if (c == 'h') {
            fputs(usage, stdout);
            return BT_EXIT_OK;
        } else
            return cli_bad_option("report", c, argv);
    }
    if (argc - optind > 1)
        return cli_usage_error("report", "expected at most one argument, the journal");
    const char *journal = optind < argc ? argv[optind] : "batchtile.journal";
    report_run r;
    char msg[1024];
    if (report_load(journal, &r, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        return strstr(msg, "cannot read") ? BT_EXIT_SYSTEM : BT_EXIT_INPUT;
    }
    int status = BT_EXIT_OK;
    if (json)
        report_print_json(&r, journal, stdout);
    else
        report_print(&r, journal, stdout);
    if (svg) {
        dak_buf b = DAK_BUF_INIT;
        if (report_gantt_svg(&r, &b) < 0 || ut_write_atomic(svg, b.data, b.len) < 0) {
            ut_err("%s: cannot write: %s", svg, strerror(errno));
            status = BT_EXIT_SYSTEM;
        } else if (!json) {
            printf("  gantt chart   %s\n", svg);
        }
        dak_buf_free(&b);
    }
    report_run_free(&r);
    return status;
}
