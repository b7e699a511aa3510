/* batchtile join: collect every work directory's results file into one
 * batch results file, FAIL for what is missing, failed or invalid. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run/batch.h"
#include "run/collect.h"
#include "util/log.h"

static const char usage[] =
    "Usage: batchtile join [OPTIONS] BATCH_PARAMS BATCH_RESULTS\n"
    "\n"
    "Read each evaluation's results file from its work directory, check it\n"
    "against the evaluation's active set (values, gradients, Hessians,\n"
    "metadata), and write the batch results file Dakota reads, in batch order.\n"
    "An evaluation whose results are missing, empty, marked FAIL or incomplete\n"
    "is written as FAIL (Dakota's failure channel) and named on stderr.\n"
    "The batch results file is written whole or not at all.\n"
    "\n"
    "Options:\n"
    "      --workdir T            work directory per evaluation (default workdir.{eval})\n"
    "      --results-file NAME    results file inside it (default results.out)\n"
    "      --results-format F     standard (the default; also 'auto') or json: what\n"
    "                             Dakota's results_format says, never guessed\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Exit status: 0 batch results written (failures are inside, as FAIL),\n"
    "1 usage error, 2 malformed batch parameters file, 3 system error.\n";

int cli_join(int argc, char **argv)
{
    cli_layout L = {RUN_LAYOUT_DEFAULT, -1};
    int st = cli_layout_args("join", usage, argc, argv, &L);
    if (st >= 0)
        return st;
    if (argc - optind != 2)
        return cli_usage_error("join", "expected two arguments, BATCH_PARAMS BATCH_RESULTS, found %d",
                               argc - optind);
    const char *out_path = argv[optind + 1];

    run_batch b;
    char msg[1024];
    int rc = run_batch_load(&b, argv[optind], 1, msg, sizeof msg);
    if (rc != RUN_LOAD_OK) {
        ut_err("%s", msg);
        return rc == RUN_LOAD_INPUT ? BT_EXIT_INPUT : BT_EXIT_SYSTEM;
    }
    dak_format fmt = L.results_format < 0 ? DAK_FMT_STANDARD : (dak_format)L.results_format;
    char **texts = calloc(b.n, sizeof *texts);
    if (!texts) {
        ut_err("out of memory");
        run_batch_free(&b);
        return BT_EXIT_SYSTEM;
    }
    size_t failed = 0;
    for (size_t i = 0; i < b.n; i++) {
        char path[PATH_MAX], why[1024];
        long eval = b.items[i].eval;
        dak_results *res = NULL;
        if (run_workdir_file(&L.layout, eval, L.layout.results_file, path, sizeof path) < 0) {
            snprintf(path, sizeof path, "(name too long)");
            snprintf(why, sizeof why, "results file name too long");
        } else {
            res = run_results_read(path, b.items[i].params, 0, why, sizeof why);
        }
        if (res && !(texts[i] = run_results_render(fmt, b.items[i].params, res))) {
            ut_err("out of memory");
            return BT_EXIT_SYSTEM;
        }
        dak_results_free(res);
        if (!texts[i]) {
            failed++;
            ut_err("evaluation %ld (%s): FAIL: %s", eval, path, why);
        }
    }
    int status = BT_EXIT_OK;
    if (run_results_write_batch(out_path, fmt, texts, b.n, b.single) < 0) {
        ut_err("%s: cannot write: %s", out_path, strerror(errno));
        status = BT_EXIT_SYSTEM;
    } else {
        ut_err("%zu evaluation%s: %zu ok, %zu failed; wrote %s (%s)", b.n, b.n == 1 ? "" : "s",
               b.n - failed, failed, out_path, dak_format_name(fmt));
    }
    for (size_t i = 0; i < b.n; i++)
        free(texts[i]);
    free(texts);
    run_batch_free(&b);
    return status;
}
