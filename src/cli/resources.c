/* batchtile resources: what batchtile would use here, like `flux resource list`. */
#include <stdio.h>
#include <string.h>

#include "alloc/detect.h"
#include "cli.h"
#include "util/log.h"

static const char usage[] =
    "Usage: batchtile resources [--backend B] [--cores N] [--gpus N]\n"
    "\n"
    "Print the backend batchtile would use here and the nodes, cores and GPUs\n"
    "it finds (the same detection as 'batchtile run').\n"
    "\n"
    "      --backend B   auto, local, slurm or flux (default auto)\n"
    "      --cores N     as run --cores\n"
    "      --gpus N      as run --gpus\n"
    "  -h, --help        show this help\n";

int cli_resources(int argc, char **argv)
{
    enum { O_BACKEND = CLI_OPT_FIRST_FREE, O_CORES, O_GPUS };
    static const struct option opts[] = {{"backend", required_argument, NULL, O_BACKEND},
                                         {"cores", required_argument, NULL, O_CORES},
                                         {"gpus", required_argument, NULL, O_GPUS},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *backend = "auto";
    int cores = 0, gpus = -1, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_BACKEND:
            backend = optarg;
            break;
        case O_CORES:
            if (cli_int("resources", "--cores", optarg, 1, &cores) < 0)
                return BT_EXIT_USAGE;
            break;
        case O_GPUS:
            if (cli_int("resources", "--gpus", optarg, 0, &gpus) < 0)
                return BT_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage, stdout);
            return BT_EXIT_OK;
        default:
            return cli_bad_option("resources", c, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("resources", "expected no argument, found '%s'", argv[optind]);
    alloc_resources r;
    char msg[1024];
    if (alloc_detect(alloc_backend_choose(backend), cores, gpus, &r, msg, sizeof msg) < 0) {
        ut_err("%s", msg);
        return BT_EXIT_SYSTEM;
    }
    alloc_print(&r, stdout);
    alloc_resources_free(&r);
    return BT_EXIT_OK;
}
