#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dakota/dakota.h"
#include "util/tmpl.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "batchtile %s: %s\nTry 'batchtile %s --help'.\n", cmd, msg, cmd);
    return BT_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *opt = argv[optind - 1];
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' expects a value", opt);
    return cli_usage_error(cmd, "unrecognized option '%s'", opt);
}

static int check_name(const char *cmd, const char *opt, const char *v)
{
    if (!v[0]) {
        cli_usage_error(cmd, "--%s: expected a name, found an empty string", opt);
        return -1;
    }
    return 1;
}

int cli_layout_option(const char *cmd, int opt, const char *arg, cli_layout *l)
{
    switch (opt) {
    case CLI_OPT_WORKDIR:
        l->layout.workdir = arg;
        return check_name(cmd, "workdir", arg);
    case CLI_OPT_PARAMS_FILE:
        l->layout.params_file = arg;
        return check_name(cmd, "params-file", arg);
    case CLI_OPT_RESULTS_FILE:
        l->layout.results_file = arg;
        return check_name(cmd, "results-file", arg);
    case CLI_OPT_RESULTS_FORMAT: {
        dak_format f;
        if (strcmp(arg, "auto") == 0) {
            l->results_format = -1;
            return 1;
        }
        if (dak_format_parse(arg, &f) < 0 || f == DAK_FMT_APREPRO) {
            cli_usage_error(cmd, "--results-format: expected auto, standard or json, found '%s'",
                            arg);
            return -1;
        }
        l->results_format = (int)f;
        return 1;
    }
    default:
        return 0;
    }
}

int cli_layout_check(const char *cmd, const cli_layout *l)
{
    const run_layout *r = &l->layout;
    if (ut_tmpl_has_eval(r->workdir))
        return 0;
    if (!ut_tmpl_has_eval(r->params_file) || !ut_tmpl_has_eval(r->results_file)) {
        cli_usage_error(cmd,
                        "--workdir '%s' has no {eval}: every evaluation would share its "
                        "parameters or results file; put {eval} in --workdir, or in both "
                        "--params-file and --results-file",
                        r->workdir);
        return -1;
    }
    return 0;
}

int cli_int(const char *cmd, const char *opt, const char *arg, int min, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v < min || v > 1000000000) {
        cli_usage_error(cmd, "%s: expected a whole number%s, found '%s'", opt,
                        min > 0 ? " of at least 1" : min == 0 ? " (0 or more)" : "", arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_size(const char *cmd, const char *opt, const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    unsigned long long mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1ULL << 10; end++; break;
    case 'm': case 'M': mul = 1ULL << 20; end++; break;
    case 'g': case 'G': mul = 1ULL << 30; end++; break;
    default: break;
    }
    if (end == arg || *end || errno || arg[0] == '-' || v == 0 || v > (1ULL << 40) / mul) {
        cli_usage_error(cmd, "%s: expected a size such as 65536, 512K, 64M or 2G, found '%s'", opt,
                        arg);
        return -1;
    }
    *out = (size_t)(v * mul);
    return 0;
}

int cli_layout_args(const char *cmd, const char *usage, int argc, char **argv, cli_layout *l)
{
    static const struct option opts[] = {
        CLI_LAYOUT_OPTIONS, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int r = cli_layout_option(cmd, c, optarg, l);
        if (r < 0)
            return BT_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h') {
            fputs(usage, stdout);
            return BT_EXIT_OK;
        }
        return cli_bad_option(cmd, c, argv);
    }
    return cli_layout_check(cmd, l) < 0 ? BT_EXIT_USAGE : -1;
}
