/* batchtile study: a Dakota sampling study through the batch interface. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "study/input.h"
#include "study/study.h"
#include "util/log.h"

static const char usage[] =
    "Usage: batchtile study INPUT\n"
    "\n"
    "Run a sampling study from a Dakota input file the way Dakota's batch\n"
    "interface does: write each batch parameters file, run the analysis driver\n"
    "once per batch (in the tagged work directory when one is named), read the\n"
    "batch results file back, and print Dakota's sample statistics (mean,\n"
    "standard deviation, skewness, excess kurtosis, 95%% confidence intervals)\n"
    "and, with tabular_data, write the tabular data file.\n"
    "\n"
    "The input subset: environment (tabular_data, tabular_data_file,\n"
    "results_output hdf5); method sampling (sample_type random | lhs |\n"
    "low_discrepancy, samples, seed); variables uniform_uncertain,\n"
    "normal_uncertain, continuous_design (bounds, means, std_deviations,\n"
    "descriptors); responses response_functions or objective_functions\n"
    "(descriptors, no_gradients, no_hessians); interface fork or system,\n"
    "analysis_driver, parameters_file, results_file, work_directory named ...\n"
    "directory_tag file_save directory_save, batch [size N], parameters_format\n"
    "standard | aprepro | json, results_format standard | json. Anything else\n"
    "is an error naming the keyword and line.\n"
    "\n"
    "Sampling: xoshiro256** seeded by splitmix64 from 'seed'; lhs stratifies each\n"
    "variable with random pairing; low_discrepancy is a Halton sequence with a\n"
    "seeded random shift. Draws differ from Dakota's own; the statistics are\n"
    "those of the draws made.\n"
    "\n"
    "Exit status: 0 done, 1 usage error, 2 malformed input file, 3 the driver\n"
    "failed or its batch results could not be read.\n";

int cli_study(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf(usage);
        return BT_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("study", "expected one argument, the Dakota input file");
    study_spec s;
    char msg[2048];
    if (study_input_parse(argv[1], &s, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        return strstr(msg, "cannot read") ? BT_EXIT_SYSTEM : BT_EXIT_INPUT;
    }
    int rc = study_run(&s, stdout, msg, sizeof msg);
    if (rc != 0)
        ut_err("%s", msg);
    study_spec_free(&s);
    return rc;
}
