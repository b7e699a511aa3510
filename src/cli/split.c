/* batchtile split: one work directory per evaluation, holding its
 * parameters file byte for byte as Dakota wrote it. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "run/batch.h"
#include "util/log.h"

static const char usage[] =
    "Usage: batchtile split [OPTIONS] BATCH_PARAMS\n"
    "\n"
    "Split a Dakota batch parameters file (standard, APREPRO or JSON) into one\n"
    "work directory per evaluation, each holding that evaluation's parameters\n"
    "file exactly as Dakota wrote it. The whole file is checked first: a\n"
    "malformed batch creates nothing.\n"
    "\n"
    "Options:\n"
    "      --workdir T          work directory per evaluation (default workdir.{eval})\n"
    "      --params-file NAME   parameters file inside it (default params.in)\n"
    "  -h, --help               show this help\n"
    "\n"
    "{eval} in a name is the evaluation number (the last field of eval_id).\n"
    "Exit status: 0 done, 1 usage error, 2 malformed batch file, 3 system error.\n";

int cli_split(int argc, char **argv)
{
    cli_layout L = {RUN_LAYOUT_DEFAULT, -1};
    int st = cli_layout_args("split", usage, argc, argv, &L);
    if (st >= 0)
        return st;
    if (argc - optind != 1)
        return cli_usage_error("split", "expected one argument, BATCH_PARAMS, found %d",
                               argc - optind);

    run_batch b;
    char msg[1024];
    int rc = run_batch_load(&b, argv[optind], 0, msg, sizeof msg);
    if (rc != RUN_LOAD_OK) {
        ut_err("%s", msg);
        return rc == RUN_LOAD_INPUT ? BT_EXIT_INPUT : BT_EXIT_SYSTEM;
    }
    int status = BT_EXIT_OK;
    for (size_t i = 0; i < b.n; i++) {
        const run_item *it = &b.items[i];
        if (run_item_write_params(&b, it, &L.layout, NULL, 0, msg, sizeof msg) < 0) {
            ut_err("%s", msg);
            status = BT_EXIT_SYSTEM;
            break;
        }
        if (i % 4096 == 4095)
            run_batch_release(&b); /* memory does not grow with the batch */
    }
    if (status == BT_EXIT_OK && isatty(STDOUT_FILENO)) {
        char first[4096], last[4096];
        run_workdir_path(&L.layout, b.items[0].eval, first, sizeof first);
        run_workdir_path(&L.layout, b.items[b.n - 1].eval, last, sizeof last);
        printf("%zu evaluation%s (%s): %s%s%s\n", b.n, b.n == 1 ? "" : "s",
               dak_format_name(b.format), first, b.n > 1 ? " .. " : "", b.n > 1 ? last : "");
    }
    run_batch_free(&b);
    return status;
}
