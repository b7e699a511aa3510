#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dakota/dakota.h"

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
