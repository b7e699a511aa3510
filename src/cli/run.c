/* batchtile run: the batch driver Dakota calls. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pool/client.h"
#include "dakota/dakota.h"
#include "engine/engine.h"
#include "run/orch.h"
#include "run/resend.h"
#include "util/duration.h"

static const char usage[] =
    "Usage: batchtile run [OPTIONS] -- COMMAND [ARG...] BATCH_PARAMS BATCH_RESULTS\n"
    "\n"
    "Run every evaluation of a Dakota batch parameters file, packed onto the\n"
    "cores and GPUs of this allocation as others finish, and write the batch\n"
    "results file Dakota reads. Each evaluation runs COMMAND in its own work\n"
    "directory with its parameters and results file names appended (as Dakota\n"
    "does), or substituted for {params} and {results} in the ARGs. {eval} is the\n"
    "evaluation number, in ARGs and in names. No shell is involved.\n"
    "\n"
    "Resources per evaluation:\n"
    "  -n, --ntasks N           MPI tasks (default 1; more start through mpiexec)\n"
    "  -c, --cores-per-task N   cores per task (default 1)\n"
    "  -g, --gpus-per-task N    GPUs per task (default 0)\n"
    "  -N, --nodes N            nodes per evaluation (default: as they fit)\n"
    "      --exclusive          whole nodes per evaluation\n"
    "  -t, --time-limit D       kill an evaluation after D (90s, 5m, 1h, [[HH:]MM:]SS):\n"
    "                           TERM, then KILL after --grace; it fails\n"
    "      --grace D            between TERM and KILL (default 5s)\n"
    "\n"
    "A plan per evaluation:\n"
    "      --rules FILE         one rule a line, first match wins, none: the options\n"
    "                           above. CONDITION -> tile|submit OPTIONS, such as\n"
    "                             level == 2 and x1 > 0.5 -> submit -N 2 -n 8 -t 30m\n"
    "                             fidelity == \"coarse\"  -> tile -n 1 -- coarse_sim\n"
    "                           tile: in this allocation; submit: its own scheduler job\n"
    "                           (see batchtile(1) for the grammar)\n"
    "      --order O            batch (the default), largest-first (cores x -t) or\n"
    "                           longest-first (runtimes the journal recorded per rule)\n"
    "      --submit-uri URI     the Flux instance submit rules go to (default: the\n"
    "                           enclosing one)\n"
    "      --cancel-submitted   a stop cancels the submitted jobs (default: they are\n"
    "                           left to run, and the same command collects them)\n"
    "\n"
    "Where and how:\n"
    "      --backend B          auto, local, slurm or flux (default auto)\n"
    "      --mpi M              auto, none, mpiexec, srun, flux, or an srun MPI plugin\n"
    "                           such as pmi2 (default auto)\n"
    "      --launch L           under Slurm or Flux: agents (one batchtile agent per\n"
    "                           node runs the evaluations), steps (a job step or\n"
    "                           Flux job each) or auto (agents for one-node\n"
    "                           evaluations; the default)\n"
    "      --cores N            cores the local backend may use (default: detected)\n"
    "      --gpus N             GPUs the local backend may use (default: detected)\n"
    "      --max-running N      at most N evaluations at once (default: as many as fit)\n"
    "\n"
    "Files:\n"
    "      --workdir T          work directory per evaluation (default workdir.{eval})\n"
    "      --params-file NAME   parameters file in it (default params.in)\n"
    "      --results-file NAME  results file in it (default results.out)\n"
    "      --stdout NAME        the evaluation's stdout (default stdout.txt)\n"
    "      --stderr NAME        the evaluation's stderr (default stderr.txt)\n"
    "      --template-dir DIR   put DIR's entries in every new work directory, as\n"
    "      --link-files         symbolic links (the default), or\n"
    "      --copy-files         copies\n"
    "      --results-format F   standard (the default; also 'auto') or json, as Dakota's\n"
    "                           results_format says (never guessed from the parameters)\n"
    "      --on-fail F          how a failed evaluation is written: fail (FAIL, the\n"
    "                           default), nan (NaN for every value asked for) or\n"
    "                           value:X (X for each)\n"
    "      --journal FILE       the journal (default batchtile.journal); one batchtile\n"
    "                           at a time may use it\n"
    "      --max-results-size S a results file larger than S fails (default 64M)\n"
    "      --follow-workdir-links  a work directory that is a symbolic link is used\n"
    "                           (default: an error before anything runs)\n"
    "      --joblog FILE        append a line per finished evaluation in GNU parallel's\n"
    "                           --joblog format (Seq is the evaluation number)\n"
    "\n"
    "The allocation's end (Slurm: squeue; Flux: flux_job_timeleft):\n"
    "      --deadline T         end earlier (or here, with the local backend): a\n"
    "                           duration, @SECONDS or YYYY-MM-DDTHH:MM[:SS]\n"
    "      --end-margin D       stop this long before the end (default 5% of the time\n"
    "                           left at the start, 10s to 60s): start nothing whose -t\n"
    "                           would pass it, then stop what runs; exit status 75\n"
    "                           and the rest is recorded as not run\n"
    "                           (SIGUSR1/SIGUSR2, e.g. sbatch --signal, stop the same way)\n"
    "      --infra-retries N    re-run an evaluation the infrastructure failed (a step\n"
    "                           Slurm would not create, a node failure) up to N times\n"
    "                           without using its --retries (default 3)\n"
    "\n"
    "Failures and restarts:\n"
    "      --retries N          run a failed evaluation up to N more times (default 0)\n"
    "      --resume             take from the journal what finished with the same\n"
    "                           recipe (parameters as written, command, program,\n"
    "                           template directory, -n/-c/-g) and still has its\n"
    "                           results (the default)\n"
    "      --resume=params      the same parameters suffice (program changes ignored)\n"
    "      --no-resume          run everything again\n"
    "      --halt WHEN,fail=N   after N failures (or P% of the batch: fail=P%) start\n"
    "                           nothing new (WHEN soon) or also stop what runs (now);\n"
    "                           the results file is still written whole\n"
    "      --resend-limit N     when Dakota sends the same evaluations again after N\n"
    "                           successive batches of them ended with failures (its\n"
    "                           endless JSON re-send), run nothing, write no results\n"
    "                           file and exit 5, so that Dakota stops (default 2; 0 off)\n"
    "\n"
    "A whole study in one allocation:\n"
    "      --pool DIR           hand the batch to the pool serving DIR (batchtile pool),\n"
    "                           with these options and this directory, wait, and exit\n"
    "                           as run would; where none serves DIR and DIR records\n"
    "                           how ('pool start'), start one\n"
    "\n"
    "Output:\n"
    "      --progress           a live progress line (default when stderr is a terminal)\n"
    "      --no-progress        no progress line\n"
    "      --dry-run            print each evaluation's placement and command; run nothing\n"
    "  -h, --help               show this help\n"
    "\n"
    "A failed evaluation is written as FAIL in the batch results file and named,\n"
    "with the reason, on stderr. Exit status: 0 batch results written, 1 usage\n"
    "error (or an evaluation cannot fit this allocation), 2 malformed batch file,\n"
    "3 system error, 4 another batchtile runs on the same journal, 5 Dakota\n"
    "re-sent failed work (--resend-limit), 75 the allocation ended first, or\n"
    "--halt or the infrastructure left evaluations not run (results written:\n"
    "run the same command again, in a new allocation, for the rest), 128+N when\n"
    "stopped by signal N (results still written; what it stopped is not run,\n"
    "not failed).\n";

enum {
    O_EXCLUSIVE = CLI_OPT_FIRST_FREE,
    O_BACKEND,
    O_MPI,
    O_LAUNCH,
    O_STDOUT,
    O_STDERR,
    O_TEMPLATE,
    O_LINK,
    O_COPY,
    O_RETRIES,
    O_RESUME,
    O_NO_RESUME,
    O_CORES,
    O_GPUS,
    O_MAX_RUNNING,
    O_PROGRESS,
    O_NO_PROGRESS,
    O_DRY_RUN,
    O_JOURNAL,
    O_GRACE,
    O_JOBLOG,
    O_MAX_RESULTS,
    O_FOLLOW_LINKS,
    O_HALT,
    O_ON_FAIL,
    O_DEADLINE,
    O_END_MARGIN,
    O_INFRA_RETRIES,
    O_RULES,
    O_ORDER,
    O_SUBMIT_URI,
    O_CANCEL_SUBMITTED,
    O_RESEND_LIMIT,
    O_POOL,
};

/* --deadline: a duration from now (as -t), @SECONDS since the epoch, or a
 * local time YYYY-MM-DDTHH:MM[:SS]. The wall clock, or -1. */
static double parse_deadline(const char *v)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, d;
    if (v[0] == '@') {
        char *end;
        d = strtod(v + 1, &end);
        return end != v + 1 && !*end && d > 0 ? d : -1;
    }
    if (strchr(v, 'T')) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(v, "%Y-%m-%dT%H:%M", &tm);
        if (end && *end == ':')
            end = strptime(end, ":%S", &tm);
        if (!end || *end)
            return -1;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        return t == (time_t)-1 ? -1 : (double)t;
    }
    return ut_parse_duration(v, &d) == 0 ? now + d : -1;
}

/* --halt never | soon,fail=N | now,fail=N | soon,fail=P% (GNU parallel's). */
static int parse_halt(const char *v, run_halt *h)
{
    memset(h, 0, sizeof *h);
    if (strcmp(v, "never") == 0)
        return 0;
    const char *rest;
    if (strncmp(v, "soon,fail=", 10) == 0)
        h->when = 1, rest = v + 10;
    else if (strncmp(v, "now,fail=", 9) == 0)
        h->when = 2, rest = v + 9;
    else
        return -1;
    char *end;
    double x = strtod(rest, &end);
    if (end == rest || !(x > 0))
        return -1;
    if (*end == '%' && end[1] == '\0' && x <= 100) {
        h->percent = x;
        return 0;
    }
    if (*end == '\0' && x == (double)(long)x && x <= 1e9) {
        h->fails = (long)x;
        return 0;
    }
    return -1;
}

static int one_of(const char *opt, const char *v, const char *const *ok)
{
    for (; *ok; ok++)
        if (strcmp(v, *ok) == 0)
            return 0;
    cli_usage_error("run", "%s: unknown value '%s'", opt, v);
    return -1;
}

/* --pool DIR: the batch goes to the pool serving DIR with these very
 * arguments, less --pool; the progress line is ours, drawn from the counts
 * the pool writes. */
static int pool_run(const char *dir, int argc, char **argv, int at, int words, int progress)
{
    char **v = calloc((size_t)argc + 1, sizeof *v);
    if (!v)
        return BT_EXIT_SYSTEM;
    int n = 0;
    for (int i = 1; i < argc; i++)
        if (i < at || i >= at + words)
            v[n++] = argv[i];
    int st = pool_client_run(dir, n, v, progress > 0 || (progress < 0 && isatty(2)));
    free(v);
    return st;
}

int cli_run_parse(int argc, char **argv, run_config *out, cli_run_extra *x)
{
    static const struct option opts[] = {
        CLI_LAYOUT_OPTIONS,
        {"ntasks", required_argument, NULL, 'n'},
        {"cores-per-task", required_argument, NULL, 'c'},
        {"gpus-per-task", required_argument, NULL, 'g'},
        {"nodes", required_argument, NULL, 'N'},
        {"time-limit", required_argument, NULL, 't'},
        {"exclusive", no_argument, NULL, O_EXCLUSIVE},
        {"backend", required_argument, NULL, O_BACKEND},
        {"mpi", required_argument, NULL, O_MPI},
        {"launch", required_argument, NULL, O_LAUNCH},
        {"stdout", required_argument, NULL, O_STDOUT},
        {"stderr", required_argument, NULL, O_STDERR},
        {"template-dir", required_argument, NULL, O_TEMPLATE},
        {"link-files", no_argument, NULL, O_LINK},
        {"copy-files", no_argument, NULL, O_COPY},
        {"retries", required_argument, NULL, O_RETRIES},
        {"resume", optional_argument, NULL, O_RESUME},
        {"no-resume", no_argument, NULL, O_NO_RESUME},
        {"cores", required_argument, NULL, O_CORES},
        {"gpus", required_argument, NULL, O_GPUS},
        {"max-running", required_argument, NULL, O_MAX_RUNNING},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"no-progress", no_argument, NULL, O_NO_PROGRESS},
        {"dry-run", no_argument, NULL, O_DRY_RUN},
        {"journal", required_argument, NULL, O_JOURNAL},
        {"grace", required_argument, NULL, O_GRACE},
        {"joblog", required_argument, NULL, O_JOBLOG},
        {"max-results-size", required_argument, NULL, O_MAX_RESULTS},
        {"follow-workdir-links", no_argument, NULL, O_FOLLOW_LINKS},
        {"halt", required_argument, NULL, O_HALT},
        {"on-fail", required_argument, NULL, O_ON_FAIL},
        {"deadline", required_argument, NULL, O_DEADLINE},
        {"end-margin", required_argument, NULL, O_END_MARGIN},
        {"infra-retries", required_argument, NULL, O_INFRA_RETRIES},
        {"rules", required_argument, NULL, O_RULES},
        {"order", required_argument, NULL, O_ORDER},
        {"submit-uri", required_argument, NULL, O_SUBMIT_URI},
        {"cancel-submitted", no_argument, NULL, O_CANCEL_SUBMITTED},
        {"resend-limit", required_argument, NULL, O_RESEND_LIMIT},
        {"pool", required_argument, NULL, O_POOL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const backends[] = {"auto", "local", "slurm", "flux", NULL};
    static const char *const launches[] = {"auto", "agents", "steps", NULL};
    cli_layout L = {RUN_LAYOUT_DEFAULT, -1};
    run_config c;
    memset(&c, 0, sizeof c);
    c.req.ntasks = 1;
    c.req.cores_per_task = 1;
    c.stdout_name = "stdout.txt";
    c.stderr_name = "stderr.txt";
    c.grace = 5;
    c.end_margin = -1;
    c.infra_retries = 3;
    c.resend_limit = RUN_RESEND_LIMIT_DEFAULT;
    c.resume = RUN_RESUME_RECIPE;
    c.progress = -1;
    c.journal_path = "batchtile.journal";
    c.backend = "auto";
    c.mpi = "auto";
    c.launch = "auto";
    c.gpus = -1;
    int opt;
    cli_run_extra none;
    if (!x)
        x = &none;
    memset(x, 0, sizeof *x);
    optind = 1;
    opterr = 0;
    /* '+': options end at COMMAND, whose own options are its business */
    while ((opt = getopt_long(argc, argv, "+:n:c:g:N:t:h", opts, NULL)) != -1) {
        int r = cli_layout_option("run", opt, optarg, &L);
        if (r < 0)
            return BT_EXIT_USAGE;
        if (r > 0)
            continue;
        switch (opt) {
        case 'n':
            r = cli_int("run", "-n/--ntasks", optarg, 1, &c.req.ntasks);
            break;
        case 'c':
            r = cli_int("run", "-c/--cores-per-task", optarg, 1, &c.req.cores_per_task);
            break;
        case 'g':
            r = cli_int("run", "-g/--gpus-per-task", optarg, 0, &c.req.gpus_per_task);
            break;
        case 'N':
            r = cli_int("run", "-N/--nodes", optarg, 1, &c.req.nodes);
            break;
        case 't':
            if (ut_parse_duration(optarg, &c.time_limit) < 0)
                return cli_usage_error("run", "-t/--time-limit: expected a duration such as 90s, "
                                              "5m, 1h or [[HH:]MM:]SS, found '%s'", optarg);
            break;
        case O_GRACE:
            if (ut_parse_duration(optarg, &c.grace) < 0)
                return cli_usage_error("run", "--grace: expected a duration such as 5s, found '%s'",
                                       optarg);
            break;
        case O_EXCLUSIVE:
            c.req.exclusive = 1;
            break;
        case O_BACKEND:
            r = one_of("--backend", optarg, backends);
            c.backend = optarg;
            break;
        case O_LAUNCH:
            r = one_of("--launch", optarg, launches);
            c.launch = optarg;
            break;
        case O_MPI:
            /* auto, none, mpiexec, srun, flux, or an srun MPI plugin (pmi2,
             * pmix): the backend checks what it can do */
            c.mpi = optarg;
            break;
        case O_STDOUT:
            c.stdout_name = optarg;
            break;
        case O_STDERR:
            c.stderr_name = optarg;
            break;
        case O_TEMPLATE:
            c.template_dir = optarg;
            break;
        case O_LINK:
            c.copy_files = 0;
            break;
        case O_COPY:
            c.copy_files = 1;
            break;
        case O_RETRIES:
            r = cli_int("run", "--retries", optarg, 0, &c.retries);
            break;
        case O_RESUME:
            if (!optarg || strcmp(optarg, "recipe") == 0)
                c.resume = RUN_RESUME_RECIPE;
            else if (strcmp(optarg, "params") == 0)
                c.resume = RUN_RESUME_PARAMS;
            else
                return cli_usage_error("run", "--resume: expected --resume or --resume=params, "
                                              "found '--resume=%s'", optarg);
            break;
        case O_NO_RESUME:
            c.resume = RUN_RESUME_NONE;
            break;
        case O_MAX_RESULTS:
            r = cli_size("run", "--max-results-size", optarg, &c.max_results_size);
            break;
        case O_FOLLOW_LINKS:
            c.follow_workdir_links = 1;
            break;
        case O_ON_FAIL: {
            char *end = NULL;
            if (strcmp(optarg, "fail") == 0) {
                c.on_fail = RUN_ON_FAIL_FAIL;
            } else if (strcmp(optarg, "nan") == 0) {
                c.on_fail = RUN_ON_FAIL_NAN;
            } else if (strncmp(optarg, "value:", 6) == 0 &&
                       (c.on_fail_value = strtod(optarg + 6, &end), end != optarg + 6) && !*end) {
                c.on_fail = RUN_ON_FAIL_VALUE;
            } else {
                return cli_usage_error("run", "--on-fail: expected fail, nan or value:X (a "
                                              "number), found '%s'", optarg);
            }
            break;
        }
        case O_DEADLINE:
            if ((c.deadline = parse_deadline(optarg)) < 0)
                return cli_usage_error("run", "--deadline: expected a duration (90s, 5m, 1h, "
                                              "[[HH:]MM:]SS), @SECONDS or YYYY-MM-DDTHH:MM[:SS], "
                                              "found '%s'", optarg);
            break;
        case O_END_MARGIN:
            if (ut_parse_duration(optarg, &c.end_margin) < 0)
                return cli_usage_error("run", "--end-margin: expected a duration such as 30s or "
                                              "2m, found '%s'", optarg);
            break;
        case O_RULES:
            c.rules_path = optarg;
            break;
        case O_ORDER: {
            static const char *const orders[] = {"batch", "largest-first", "longest-first",
                                                 NULL};
            r = one_of("--order", optarg, orders);
            c.order = strcmp(optarg, "largest-first") == 0   ? RUN_ORDER_LARGEST
                      : strcmp(optarg, "longest-first") == 0 ? RUN_ORDER_LONGEST
                                                             : RUN_ORDER_BATCH;
            break;
        }
        case O_SUBMIT_URI:
            c.submit_uri = optarg;
            break;
        case O_CANCEL_SUBMITTED:
            c.cancel_submitted = 1;
            break;
        case O_RESEND_LIMIT:
            r = cli_int("run", "--resend-limit", optarg, 0, &c.resend_limit);
            break;
        case O_INFRA_RETRIES:
            r = cli_int("run", "--infra-retries", optarg, 0, &c.infra_retries);
            break;
        case O_HALT:
            if (parse_halt(optarg, &c.halt) < 0)
                return cli_usage_error("run", "--halt: expected never, soon,fail=N, now,fail=N "
                                              "or soon,fail=P%%, found '%s'", optarg);
            break;
        case O_CORES:
            r = cli_int("run", "--cores", optarg, 1, &c.cores);
            break;
        case O_GPUS:
            r = cli_int("run", "--gpus", optarg, 0, &c.gpus);
            break;
        case O_MAX_RUNNING:
            r = cli_int("run", "--max-running", optarg, 1, &c.max_running);
            break;
        case O_PROGRESS:
            c.progress = 1;
            break;
        case O_NO_PROGRESS:
            c.progress = 0;
            break;
        case O_DRY_RUN:
            c.dry_run = 1;
            break;
        case O_JOURNAL:
            c.journal_path = optarg;
            break;
        case O_JOBLOG:
            c.joblog_path = optarg;
            break;
        case O_POOL:
            x->pool = optarg;
            x->pool_words = optarg == argv[optind - 1] ? 2 : 1;
            x->pool_at = optind - x->pool_words;
            break;
        case 'h':
            fputs(usage, stdout);
            return BT_EXIT_OK;
        default:
            return cli_bad_option("run", opt, argv);
        }
        if (r < 0)
            return BT_EXIT_USAGE;
    }
    int rest = argc - optind;
    if (rest < 3)
        return cli_usage_error("run", "expected COMMAND [ARG...] BATCH_PARAMS BATCH_RESULTS "
                                      "after the options, found %d argument%s",
                               rest, rest == 1 ? "" : "s");
    if ((c.template_dir == NULL) && c.copy_files)
        return cli_usage_error("run", "--copy-files needs --template-dir");
    if (cli_layout_check("run", &L) < 0)
        return BT_EXIT_USAGE;
    c.cmd = argv + optind;
    c.ncmd = rest - 2;
    c.params_path = argv[argc - 2];
    c.results_path = argv[argc - 1];
    c.layout = L.layout;
    c.results_format = L.results_format;
    *out = c;
    return -1;
}

int cli_run(int argc, char **argv)
{
    run_config c;
    cli_run_extra x;
    int r = cli_run_parse(argc, argv, &c, &x);
    if (r >= 0)
        return r;
    if (x.pool)
        return pool_run(x.pool, argc, argv, x.pool_at, x.pool_words, c.progress);
    return engine_execute(&c);
}
