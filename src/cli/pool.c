/* batchtile pool start|serve|stop|status DIR: one allocation serving a
 * whole study's batches, reached through files in DIR (src/pool/). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pool/client.h"
#include "pool/dir.h"
#include "pool/server.h"
#include "pool/start.h"
#include "run/orch.h"
#include "util/duration.h"
#include "util/file.h"

static const char usage[] =
    "Usage: batchtile pool start DIR [OPTIONS]   submit a pool job serving DIR\n"
    "       batchtile pool serve DIR [OPTIONS]   serve DIR here (inside an allocation,\n"
    "                                            or on a workstation)\n"
    "       batchtile pool stop DIR [--now]      drain the pool (--now: stop as SIGTERM)\n"
    "       batchtile pool status DIR [--json] [--watch]\n"
    "\n"
    "A pool is one allocation that serves the batches of a whole study:\n"
    "'batchtile run --pool DIR ...' (Dakota's analysis driver) hands its batch to\n"
    "it through files in DIR on the shared filesystem (no port, no ssh) and exits\n"
    "as 'batchtile run' would. DIR must be ours, not writable by group or others.\n"
    "\n"
    "start (sbatch under Slurm, flux batch under Flux; the command is recorded in\n"
    "DIR, so that a client that finds no live pool starts one the same way):\n"
    "  -N, --nodes N          nodes of the pool's job\n"
    "  -t, --time T           its time limit (the scheduler's format)\n"
    "      --account A, --partition P, --qos Q\n"
    "      --sched-arg=ARG    any other option for sbatch / flux batch (repeatable)\n"
    "      --scheduler S      slurm or flux (default: flux inside a Flux instance)\n"
    "start and serve:\n"
    "      --renew            before the allocation's end, queue the successor\n"
    "                         (Slurm: --dependency=singleton): cut batches go on there\n"
    "      --idle-exit D      end after D with no batch (default 5m; 0 never)\n"
    "      --cores N, --gpus N  what the pool's local backend may use (default: detected)\n"
    "serve:\n"
    "      --backend B        auto, local, slurm or flux (default auto; a one-node\n"
    "                         Slurm pool: local)\n"
    "stop:\n"
    "      --now              stop the running batches as SIGTERM does (their clients\n"
    "                         exit 75: run again to finish); default: finish them\n"
    "status:\n"
    "      --json             one JSON object\n"
    "      --watch            again every 2 seconds\n"
    "\n"
    "Exit status: 0 done, 1 usage error or a refused DIR, 3 system error, 4 a live\n"
    "pool already serves DIR (serve), 128+N stopped by signal N (serve).\n";

enum { O_ACCOUNT = CLI_OPT_FIRST_FREE, O_PARTITION, O_QOS, O_SCHED_ARG, O_RENEW, O_IDLE,
       O_SCHEDULER, O_BACKEND, O_NOW, O_JSON, O_WATCH, O_TIME, O_CORES, O_GPUS };

typedef struct pool_args {
    pool_start_opts st;
    const char *backend;
    double idle;
    int now, json, watch;
    int cores, gpus;
    char **sched_args;
} pool_args;

static int self_path(char *out, size_t outsz)
{
    ssize_t n = readlink("/proc/self/exe", out, outsz - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

/* Parse the options after "pool CMD DIR" (or before DIR). -1 to go on, or
 * the exit status. */
static int parse(const char *cmd, int argc, char **argv, pool_args *a, const char **dir)
{
    static const struct option opts[] = {
        {"nodes", required_argument, NULL, 'N'},
        {"time", required_argument, NULL, 't'},
        {"account", required_argument, NULL, O_ACCOUNT},
        {"partition", required_argument, NULL, O_PARTITION},
        {"qos", required_argument, NULL, O_QOS},
        {"sched-arg", required_argument, NULL, O_SCHED_ARG},
        {"renew", no_argument, NULL, O_RENEW},
        {"idle-exit", required_argument, NULL, O_IDLE},
        {"scheduler", required_argument, NULL, O_SCHEDULER},
        {"backend", required_argument, NULL, O_BACKEND},
        {"now", no_argument, NULL, O_NOW},
        {"cores", required_argument, NULL, O_CORES},
        {"gpus", required_argument, NULL, O_GPUS},
        {"json", no_argument, NULL, O_JSON},
        {"watch", no_argument, NULL, O_WATCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* which options each command takes */
    int is_start = strcmp(cmd, "start") == 0, is_serve = strcmp(cmd, "serve") == 0;
    int is_stop = strcmp(cmd, "stop") == 0, is_status = strcmp(cmd, "status") == 0;
    char where[32];
    snprintf(where, sizeof where, "pool %s", cmd);
    a->idle = 300;
    a->gpus = -1;
    a->sched_args = calloc((size_t)argc + 1, sizeof *a->sched_args);
    a->st.sched_args = a->sched_args;
    optind = 1;
    opterr = 0;
    int c, ok;
    while ((c = getopt_long(argc, argv, ":N:t:h", opts, NULL)) != -1) {
        int nodes;
        double d;
        switch (c) {
        case 'N':
            ok = is_start;
            if (ok && cli_int(where, "-N/--nodes", optarg, 1, &nodes) < 0)
                return BT_EXIT_USAGE;
            a->st.nodes = optarg;
            break;
        case 't':
            ok = is_start;
            if (ok && ut_parse_duration(optarg, &d) < 0)
                return cli_usage_error(where, "-t/--time: expected a duration such as 30m, 2h "
                                              "or [[HH:]MM:]SS, found '%s'", optarg);
            a->st.time = optarg;
            break;
        case O_ACCOUNT: ok = is_start; a->st.account = optarg; break;
        case O_PARTITION: ok = is_start; a->st.partition = optarg; break;
        case O_QOS: ok = is_start; a->st.qos = optarg; break;
        case O_SCHED_ARG:
            ok = is_start;
            a->sched_args[a->st.nsched_args++] = optarg;
            break;
        case O_SCHEDULER:
            ok = is_start;
            if (strcmp(optarg, "slurm") != 0 && strcmp(optarg, "flux") != 0)
                return cli_usage_error(where, "--scheduler: expected slurm or flux, found '%s'",
                                       optarg);
            a->st.scheduler = optarg;
            break;
        case O_RENEW: ok = is_start || is_serve; a->st.renew = 1; break;
        case O_IDLE:
            ok = is_start || is_serve;
            if (strcmp(optarg, "0") == 0)
                d = 0;
            else if (ut_parse_duration(optarg, &d) < 0)
                return cli_usage_error(where, "--idle-exit: expected a duration such as 5m, or "
                                              "0 for never, found '%s'", optarg);
            a->idle = d;
            a->st.idle_exit = optarg;
            break;
        case O_BACKEND:
            ok = is_serve;
            if (strcmp(optarg, "local") && strcmp(optarg, "slurm") && strcmp(optarg, "flux") &&
                strcmp(optarg, "auto"))
                return cli_usage_error(where, "--backend: unknown value '%s'", optarg);
            a->backend = optarg;
            break;
        case O_CORES:
            ok = is_serve || is_start;
            if (cli_int(where, "--cores", optarg, 1, &a->cores) < 0)
                return BT_EXIT_USAGE;
            a->st.cores = optarg;
            break;
        case O_GPUS:
            ok = is_serve || is_start;
            if (cli_int(where, "--gpus", optarg, 0, &a->gpus) < 0)
                return BT_EXIT_USAGE;
            a->st.gpus = optarg;
            break;
        case O_NOW: ok = is_stop; a->now = 1; break;
        case O_JSON: ok = is_status; a->json = 1; break;
        case O_WATCH: ok = is_status; a->watch = 1; break;
        case 'h':
            fputs(usage, stdout);
            return BT_EXIT_OK;
        default:
            return cli_bad_option(where, c, argv);
        }
        if (!ok)
            return cli_usage_error(where, "option '%s' is not one of pool %s's",
                                   argv[optind - 1], cmd);
    }
    if (argc - optind != 1)
        return cli_usage_error(where, "expected the pool's directory DIR, found %d argument%s",
                               argc - optind, argc - optind == 1 ? "" : "s");
    *dir = argv[optind];
    if (a->st.qos && a->st.scheduler && strcmp(a->st.scheduler, "flux") == 0)
        return cli_usage_error(where, "--qos: Flux has no QOS (use --sched-arg=...)");
    return -1;
}

static int check_dir(const char *cmd, const char *dir, int create)
{
    char msg[1024];
    int st;
    if (pool_dir_check(dir, create, msg, sizeof msg, &st) < 0) {
        fprintf(stderr, "batchtile pool %s: %s\n", cmd, msg);
        return st;
    }
    return -1;
}

/* Whether a pool serves DIR or its job is queued: said, 1; else 0. */
static int live_pool(const char *cmd, const char *dir)
{
    char what[512], id[128], sched[16], state[256];
    int live = pool_client_live_now(dir, what, sizeof what);
    if (live != 0) { /* another node's: its job says */
        if (live > 0) {
            printf("a live pool already serves %s (%s)\n", dir, what);
            return 1;
        }
    }
    if (pool_start_latest(dir, id, sizeof id, sched, sizeof sched, state, sizeof state) > 0) {
        printf("a pool for %s is already %s: %s job %s %s\n", dir,
               strncmp(state, "PENDING", 7) == 0 ? "queued" : "there", sched, id, state);
        return 1;
    }
    (void)cmd;
    return 0;
}

static int do_start(pool_args *a, const char *dir)
{
    char self[4096], msg[1024], id[128];
    int r = check_dir("start", dir, 1);
    if (r >= 0)
        return r;
    if (live_pool("start", dir))
        return BT_EXIT_OK;
    if (self_path(self, sizeof self) < 0) {
        fprintf(stderr, "batchtile pool start: /proc/self/exe: %s\n", strerror(errno));
        return BT_EXIT_SYSTEM;
    }
    a->st.self = self;
    if (pool_start_record(dir, &a->st, msg, sizeof msg) < 0 ||
        pool_start_submit(dir, 0, id, sizeof id, msg, sizeof msg) < 0) {
        fprintf(stderr, "batchtile pool start: %s\n", msg);
        return BT_EXIT_SYSTEM;
    }
    printf("%s\n", id);
    fprintf(stderr, "batchtile pool start: job %s will serve %s ('batchtile pool status %s')\n",
            id, dir, dir);
    return BT_EXIT_OK;
}

/* A request's argv, parsed as `batchtile run` parses its own; a --pool
 * in it is refused (a pool does not hand its batches on). */
static int parse_run(int argc, char **argv, run_config *cfg)
{
    cli_run_extra x;
    int r = cli_run_parse(argc, argv, cfg, &x);
    if (r < 0 && x.pool)
        return cli_usage_error("run", "--pool: a batch the pool serves cannot go to a pool");
    return r;
}

static int do_serve(pool_args *a, const char *dir)
{
    int r = check_dir("serve", dir, 1);
    if (r >= 0)
        return r;
    pool_serve_opts o = {.dir = dir, .backend = a->backend, .idle_exit = a->idle,
                         .renew = a->st.renew, .cores = a->cores, .gpus = a->gpus,
                         .parse = parse_run};
    return pool_serve(&o);
}

static int do_stop(pool_args *a, const char *dir)
{
    int r = check_dir("stop", dir, 0);
    if (r >= 0)
        return r;
    char what[512], path[4096], id[128], sched[16], state[256];
    int live = pool_client_live_now(dir, what, sizeof what);
    int job = pool_start_latest(dir, id, sizeof id, sched, sizeof sched, state, sizeof state);
    if (live == 0 && job > 0 && strncmp(state, "PENDING", 7) == 0) {
        pool_start_cancel(dir, id);
        printf("cancelled the pool's queued %s job %s\n", sched, id);
        return BT_EXIT_OK;
    }
    if (live == 0 && job <= 0) {
        printf("no live pool serves %s\n", dir);
        return BT_EXIT_OK;
    }
    pool_path(path, sizeof path, dir, NULL, "stop");
    const char *word = a->now ? "now\n" : "drain\n";
    if (ut_write_atomic(path, word, strlen(word)) < 0) {
        fprintf(stderr, "batchtile pool stop: %s: %s\n", path, strerror(errno));
        return BT_EXIT_SYSTEM;
    }
    fprintf(stderr, "batchtile pool stop: asked the pool (%s) to %s; waiting for it to end\n",
            what, a->now ? "stop now" : "finish its batches and end");
    while (pool_client_live_now(dir, what, sizeof what) != 0)
        usleep((useconds_t)(pool_period() * 5e5));
    printf("the pool serving %s ended\n", dir);
    return BT_EXIT_OK;
}

static int do_status(pool_args *a, const char *dir)
{
    int r = check_dir("status", dir, 0);
    if (r >= 0)
        return r;
    for (;;) {
        char what[512], path[4096], why[256];
        int live = pool_client_live_now(dir, what, sizeof what);
        pool_path(path, sizeof path, dir, NULL, "server.json");
        json_t *srv = pool_json_read(path, why, sizeof why);
        json_t *out = json_object();
        json_object_set_new(out, "dir", json_string(dir));
        json_object_set_new(out, "live", json_boolean(live != 0));
        if (srv)
            json_object_set(out, "server", srv);
        json_t *jobs = json_array();
        char **ids = pool_start_jobs(dir);
        for (size_t i = 0; ids && ids[i]; i++) {
            char id[128], sched[16], state[256];
            json_t *jj = json_pack("{s:s}", "id", ids[i]);
            /* the latest job's state from the scheduler (the older ones ended) */
            if (!ids[i + 1] && pool_start_latest(dir, id, sizeof id, sched, sizeof sched, state,
                                                 sizeof state) >= 0)
                json_object_set_new(jj, "state", json_string(state[0] ? state : "ENDED"));
            else
                json_object_set_new(jj, "state", json_string("ENDED"));
            json_array_append_new(jobs, jj);
            free(ids[i]);
        }
        free(ids);
        json_object_set_new(out, "jobs", jobs);
        if (a->json) {
            char *s = json_dumps(out, JSON_COMPACT);
            printf("%s\n", s ? s : "{}");
            free(s);
        } else {
            printf("pool %s: %s\n", dir, live ? what : "no live server");
            size_t n = json_array_size(jobs);
            for (size_t i = 0; i < n; i++) {
                json_t *jj = json_array_get(jobs, i);
                printf("  job %s %s\n", json_string_value(json_object_get(jj, "id")),
                       json_string_value(json_object_get(jj, "state")));
            }
            if (srv && live) {
                double ends = json_real_value(json_object_get(srv, "ends_at"));
                if (ends > 0)
                    printf("  time left %.0fs\n", ends - pool_wall());
                json_t *al = json_object_get(srv, "allocation");
#define AL(k) (int)json_integer_value(json_object_get(al, k))
                printf("  nodes %d (%d up), cores %d busy of %d, GPUs %d busy of %d\n", AL("nodes"),
                       AL("nodes_up"), AL("cores_busy"), AL("cores"), AL("gpus_busy"), AL("gpus"));
#undef AL
                json_t *bs = json_object_get(srv, "batches");
                printf("  batches %zu\n", json_array_size(bs));
                for (size_t i = 0; i < json_array_size(bs); i++) {
                    json_t *b = json_array_get(bs, i);
#define N(k) (long long)json_integer_value(json_object_get(b, k))
                    printf("    %s %s %.0fs: %lld of %lld done (%lld failed), %lld running, %lld "
                           "waiting; in %s\n", json_string_value(json_object_get(b, "id")),
                           json_string_value(json_object_get(b, "state")),
                           json_real_value(json_object_get(b, "running_s")), N("done"),
                           N("total"), N("failed"), N("running"), N("waiting"),
                           json_string_value(json_object_get(b, "cwd")));
#undef N
                }
            }
        }
        fflush(stdout);
        json_decref(out);
        json_decref(srv);
        if (!a->watch)
            return BT_EXIT_OK;
        sleep(2);
    }
}

int cli_pool(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? BT_EXIT_USAGE : BT_EXIT_OK;
    }
    const char *cmd = argv[1], *dir = NULL;
    static const char *const cmds[] = {"start", "serve", "stop", "status", NULL};
    int known = 0;
    for (int i = 0; cmds[i]; i++)
        known |= strcmp(cmd, cmds[i]) == 0;
    if (!known)
        return cli_usage_error("pool", "'%s' is not one of start, serve, stop, status", cmd);
    pool_args a;
    memset(&a, 0, sizeof a);
    int r = parse(cmd, argc - 1, argv + 1, &a, &dir);
    if (r < 0) {
        if (strcmp(cmd, "start") == 0)
            r = do_start(&a, dir);
        else if (strcmp(cmd, "serve") == 0)
            r = do_serve(&a, dir);
        else if (strcmp(cmd, "stop") == 0)
            r = do_stop(&a, dir);
        else
            r = do_status(&a, dir);
    }
    free(a.sched_args);
    return r;
}
