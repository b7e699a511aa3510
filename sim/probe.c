/* probe: a test simulation that records where and how it ran, and does
 * on request whatever the driver's tests need to provoke.
 *
 * Record: probe.<rank>.json in the working directory (host, pid, rank,
 * size, CPU affinity, GPU visibility, Slurm/Flux ids, start and end times),
 * written at start and again at the end; with PROBE_LOG=FILE, one JSON line
 * per invocation is also appended to FILE.
 *
 * Results (rank 0): response k (1-based) = k * (sum of numeric variables),
 * gradient entries k, Hessians 0, metadata 0.
 *
 * Behaviour, from --mode/--sleep/--spew, else the parameters' string
 * variables probe_mode / probe_sleep / probe_spew, else the environment
 * PROBE_MODE / PROBE_SLEEP / PROBE_SPEW:
 *   ok          write results (default)
 *   exit:N      write results, then exit with status N
 *   signal:N    write results, then die on signal N
 *   hang        never finish (sleep until killed)
 *   tree        start a child that never finishes (pid in probe.child), then hang
 *   garbage     write bytes that are not results
 *   noresults   write no results file
 *   empty       write an empty results file
 *   partial     write results without the last value asked for
 *   fail        write FAIL
 *   flaky:N     fail (exit 1, no results) on the first N invocations in this
 *               work directory (counted in probe.attempts), then succeed
 *   sleep S / A:B   sleep S (or a uniformly random A..B) seconds first
 *   spew N          write N bytes to stdout and N to stderr first
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dakota/dakota.h"
#include "simutil.h"

static const char *env_first(const char *const *names, const char **which)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v) {
            if (which)
                *which = *names;
            return v;
        }
    }
    return NULL;
}

static const char *const rank_vars[] = {"PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                        "FLUX_TASK_RANK", "SLURM_PROCID", NULL};
static const char *const size_vars[] = {"PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "FLUX_JOB_SIZE",
                                        "SLURM_NTASKS", NULL};

static void json_str(FILE *f, const char *key, const char *v, int comma)
{
    fprintf(f, "\"%s\":", key);
    if (!v) {
        fputs("null", f);
    } else {
        fputc('"', f);
        for (; *v; v++) {
            unsigned char ch = (unsigned char)*v;
            if (ch == '"' || ch == '\\')
                fprintf(f, "\\%c", ch);
            else if (ch < 0x20)
                fprintf(f, "\\u%04x", ch);
            else
                fputc(ch, f);
        }
        fputc('"', f);
    }
    if (comma)
        fputc(',', f);
}

typedef struct record {
    char host[256], cpus[1024], cwd[4096];
    const char *eval;
    int rank, size;
    double start, end;
} record;

static void write_record(FILE *f, const record *r)
{
    fputc('{', f);
    json_str(f, "host", r->host, 1);
    fprintf(f, "\"pid\":%ld,\"rank\":%d,\"size\":%d,", (long)getpid(), r->rank, r->size);
    json_str(f, "eval", r->eval, 1);
    json_str(f, "cwd", r->cwd, 1);
    json_str(f, "cpus", r->cpus, 1);
    static const char *const env[] = {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                      "HIP_VISIBLE_DEVICES", "SLURMD_NODENAME", "SLURM_JOB_ID",
                                      "SLURM_STEP_ID", "FLUX_JOB_ID", "FLUX_URI", NULL};
    for (int i = 0; env[i]; i++)
        json_str(f, env[i], getenv(env[i]), 1);
    fprintf(f, "\"start\":%.6f,", r->start);
    if (r->end > 0)
        fprintf(f, "\"end\":%.6f}\n", r->end);
    else
        fputs("\"end\":null}\n", f);
}

static void save_record(const record *r)
{
    char name[64], tmp[80];
    snprintf(name, sizeof name, "probe.%d.json", r->rank);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    write_record(f, r);
    if (fclose(f) == 0)
        rename(tmp, name);
}

static void log_record(const record *r)
{
    const char *path = getenv("PROBE_LOG");
    if (!path || !*path)
        return;
    char *line = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&line, &len);
    if (!m)
        return;
    write_record(m, r);
    fclose(m);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t w = write(fd, line, len); /* one O_APPEND write: lines never interleave */
        (void)w;
        close(fd);
    }
    free(line);
}

static const char *param_string(const dak_params *p, const char *label)
{
    const dak_var *v = p ? dak_params_var(p, label) : NULL;
    return v ? v->value : NULL;
}

static void spew(long n)
{
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    for (int fd = 1; fd <= 2; fd++) {
        long left = n;
        while (left > 0) {
            size_t k = left > (long)sizeof chunk ? sizeof chunk : (size_t)left;
            ssize_t w = write(fd, chunk, k);
            if (w <= 0)
                break;
            left -= w;
        }
    }
}

static int bump_attempts(void)
{
    int n = 0;
    FILE *f = fopen("probe.attempts", "r");
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
    n++;
    f = fopen("probe.attempts", "w");
    if (f) {
        fprintf(f, "%d\n", n);
        fclose(f);
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *mode = NULL, *sleep_s = NULL, *spew_s = NULL;
    static const struct option opts[] = {{"mode", required_argument, NULL, 'm'},
                                         {"sleep", required_argument, NULL, 's'},
                                         {"spew", required_argument, NULL, 'w'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm')
            mode = optarg;
        else if (c == 's')
            sleep_s = optarg;
        else if (c == 'w')
            spew_s = optarg;
        else {
            fprintf(stderr, "usage: probe [--mode M] [--sleep S|A:B] [--spew N] PARAMS RESULTS\n");
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: probe [--mode M] [--sleep S|A:B] [--spew N] PARAMS RESULTS\n");
        return 2;
    }
    const char *params_path = argv[optind], *results_path = argv[optind + 1];

    record rec = {0};
    rec.start = sim_now();
    gethostname(rec.host, sizeof rec.host);
    sim_cpu_list(rec.cpus, sizeof rec.cpus);
    if (!getcwd(rec.cwd, sizeof rec.cwd))
        rec.cwd[0] = '\0';
    const char *v = env_first(rank_vars, NULL);
    rec.rank = v ? atoi(v) : 0;
    v = env_first(size_vars, NULL);
    rec.size = v ? atoi(v) : 1;

    dak_error err;
    dak_params *p = dak_params_load(params_path, &err);
    if (!p) {
        char msg[1024];
        fprintf(stderr, "probe: %s\n", dak_error_str(&err, msg, sizeof msg));
        return 2;
    }
    rec.eval = p->eval_id;
    if (!mode)
        mode = param_string(p, "probe_mode");
    if (!mode)
        mode = getenv("PROBE_MODE");
    if (!mode || !*mode)
        mode = "ok";
    if (!sleep_s)
        sleep_s = param_string(p, "probe_sleep");
    if (!sleep_s)
        sleep_s = getenv("PROBE_SLEEP");
    if (!spew_s)
        spew_s = param_string(p, "probe_spew");
    if (!spew_s)
        spew_s = getenv("PROBE_SPEW");
    save_record(&rec);
    log_record(&rec);

    if (spew_s)
        spew(atol(spew_s));
    if (sleep_s && *sleep_s) {
        double lo, hi;
        if (sim_parse_range(sleep_s, &lo, &hi) < 0) {
            fprintf(stderr, "probe: sleep: expected SECONDS or MIN:MAX, found '%s'\n", sleep_s);
            return 2;
        }
        srand((unsigned)(getpid() ^ (unsigned)(rec.start * 1e6)));
        sim_sleep(lo + (hi - lo) * ((double)rand() / RAND_MAX));
    }

    if (strcmp(mode, "hang") == 0) {
        for (;;)
            pause();
    }
    if (strcmp(mode, "tree") == 0) {
        pid_t child = fork();
        if (child == 0) {
            for (;;)
                pause();
        }
        FILE *f = fopen("probe.child", "w");
        if (f) {
            fprintf(f, "%ld\n", (long)child);
            fclose(f);
        }
        for (;;)
            pause();
    }
    if (strncmp(mode, "flaky:", 6) == 0 && bump_attempts() <= atoi(mode + 6)) {
        fprintf(stderr, "probe: flaky failure\n");
        dak_params_free(p);
        return 1;
    }

    int write_results = rec.rank == 0 && strcmp(mode, "noresults") != 0;
    if (write_results) {
        dak_results *r = dak_results_new(p);
        double sum = 0;
        for (size_t i = 0; i < p->nvars; i++)
            if (p->vars[i].kind != DAK_VAL_STRING)
                sum += p->vars[i].real;
        for (size_t k = 0; k < r->nfns; k++) {
            r->fn[k] = (double)(k + 1) * sum;
            for (size_t d = 0; d < r->ndvv; d++)
                r->grad[k * r->ndvv + d] = (double)(k + 1);
        }
        dak_buf out = DAK_BUF_INIT;
        dak_format fmt = p->format == DAK_FMT_JSON ? DAK_FMT_JSON : DAK_FMT_STANDARD;
        if (strcmp(mode, "garbage") == 0) {
            dak_buf_puts(&out, "this is not a results file\n\x01\x02 ] [[ }{\n");
        } else if (strcmp(mode, "fail") == 0) {
            dak_results_write(&out, NULL, p, fmt);
        } else if (strcmp(mode, "empty") != 0) {
            dak_results_write(&out, r, p, fmt);
            if (strcmp(mode, "partial") == 0 && fmt == DAK_FMT_STANDARD) {
                /* drop the last line: the last thing the active set asked for */
                if (out.len)
                    out.len--;
                while (out.len && out.data[out.len - 1] != '\n')
                    out.len--;
            }
        }
        FILE *f = fopen(results_path, "w");
        if (!f || (out.len && fwrite(out.data, 1, out.len, f) != out.len) || fclose(f) != 0) {
            fprintf(stderr, "probe: cannot write %s: %s\n", results_path, strerror(errno));
            return 3;
        }
        dak_buf_free(&out);
        dak_results_free(r);
    }

    rec.end = sim_now();
    save_record(&rec);

    int status = 0, sig = 0;
    if (strncmp(mode, "exit:", 5) == 0)
        status = atoi(mode + 5);
    else if (strncmp(mode, "signal:", 7) == 0)
        sig = atoi(mode + 7);
    dak_params_free(p); /* mode may point into it */
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    return status;
}
