/* Submitting to Slurm: sbatch --parsable with a generated job script in the
 * work directory, followed with squeue and, once the job has left the
 * queue, sacct. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/file.h"

/* The job's shape and the scheduler's options, as sbatch flags. */
static int add_options(const submit_spec *sp, ut_argv *a)
{
    const sched_request *q = sp->req;
    int bad = ut_argv_add(a, "--ntasks=%d", q->ntasks) |
              ut_argv_add(a, "--cpus-per-task=%d", q->cores_per_task);
    if (q->nodes > 0)
        bad |= ut_argv_add(a, "--nodes=%d", q->nodes);
    if (q->gpus_per_task > 0)
        bad |= ut_argv_add(a, "--gpus-per-task=%d", q->gpus_per_task);
    if (sp->time_limit > 0) {
        long t = (long)ceil(sp->time_limit);
        bad |= ut_argv_add(a, "--time=%ld:%02ld", t / 60, t % 60);
    }
    if (q->exclusive)
        bad |= ut_argv_add(a, "--exclusive");
    for (int k = 0; sp->sched && k < SUBMIT_NSCHED; k++)
        if (sp->sched[k])
            bad |= ut_argv_add(a, "--%s=%s", submit_sched_names[k], sp->sched[k]);
    for (int i = 0; i < sp->nsched_args; i++)
        bad |= ut_argv_add(a, "%s", sp->sched_args[i]);
    return bad ? -1 : 0;
}

static int script_path(const submit_spec *sp, char *out, size_t outsz)
{
    return ut_path_join(out, outsz, sp->workdir, "batchtile-job.sh");
}

static int slurm_argv(submitter *s, const submit_spec *sp, ut_argv *a)
{
    (void)s;
    char script[4096];
    if (script_path(sp, script, sizeof script) < 0)
        return -1;
    int bad = ut_argv_add(a, "sbatch") | ut_argv_add(a, "--parsable") |
              ut_argv_add(a, "--job-name=batchtile.eval.%ld", sp->eval) |
              ut_argv_add(a, "--chdir=%s", sp->workdir) |
              ut_argv_add(a, "--output=%s", sp->out_path) |
              ut_argv_add(a, "--error=%s", sp->err_path);
    if (bad || add_options(sp, a) < 0)
        return -1;
    return ut_argv_add(a, "%s", script);
}


/* The job script: the command, exec'd in the work directory (sbatch
 * --chdir), through srun when it has several tasks. */
/* A multi-task job's srun MPI plugin (--mpi), resolved once; a one-task
 * job needs none (its script does not use srun). 0, or -1 with msg. */
static int slurm_mpi_ready(submitter *s, const submit_spec *sp, char *msg, size_t msgsz)
{
    if (sp->req->ntasks <= 1 || s->mpi_ready)
        return 0;
    if (launch_slurm_mpi(s->mpi_req, s->mpi, sizeof s->mpi, msg, msgsz) < 0)
        return -1;
    s->mpi_ready = 1;
    return 0;
}

static int slurm_prepare(submitter *s, const submit_spec *sp, char *msg, size_t msgsz)
{
    if (slurm_mpi_ready(s, sp, msg, msgsz) < 0)
        return -1;
    char path[4096];
    if (script_path(sp, path, sizeof path) < 0) {
        snprintf(msg, msgsz, "work directory name too long");
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    fprintf(f, "#!/bin/sh\n# evaluation %ld, submitted by batchtile as its own Slurm job (%s)\n"
               "exec",
            sp->eval, sp->origin ? sp->origin : "--rules");
    if (sp->req->ntasks > 1 || sp->req->nodes > 1) {
        fputs(" srun", f);
        if (s->mpi[0])
            fprintf(f, " --mpi=%s", s->mpi);
    }
    for (int i = 0; sp->argv[i]; i++) {
        fputc(' ', f);
        ut_sh_quote(f, sp->argv[i]);
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(text);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    int rc = ut_write_file(path, text, len); /* sbatch reads it: no need to execute */
    free(text);
    if (rc < 0) {
        snprintf(msg, msgsz, "%s: cannot write the job script: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int slurm_parse_id(const char *out, char *id, size_t idsz)
{
    /* the last line of digits (";cluster" after them on a federation) */
    int found = 0;
    for (const char *l = out; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        size_t d = 0;
        while (d < n && isdigit((unsigned char)l[d]))
            d++;
        if (d > 0 && d < idsz && (d == n || l[d] == ';' || l[d] == '\r')) {
            memcpy(id, l, d);
            id[d] = '\0';
            found = 1;
        }
        l += n + (e != NULL);
    }
    return found ? 0 : -1;
}

static int slurm_check(submitter *s, const submit_spec *sp, char *msg, size_t msgsz)
{
    if (slurm_mpi_ready(s, sp, msg, msgsz) < 0)
        return -1;
    ut_argv a = {0};
    if (ut_argv_add(&a, "sbatch") | ut_argv_add(&a, "--test-only") ||
        add_options(sp, &a) < 0 || ut_argv_add(&a, "--wrap=true") < 0) {
        ut_argv_free(a.v);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    int rc;
    char *out = submit_run(s, a.v, &rc);
    ut_argv_free(a.v);
    if (!out) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    if (rc == 0)
        return 0;
    char line[512];
    submit_last_line(out, line, sizeof line);
    snprintf(msg, msgsz, "Slurm would never run it (sbatch --test-only: %s)",
             line[0] ? line : "no output");
    return -1;
}

/* "2026-11-26T02:36:10" (local time) to epoch seconds; 0 when not a time. */
static double iso_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        return 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? 0 : (double)t;
}

static void set_state(submit_state *st, const char *state)
{
    snprintf(st->state, sizeof st->state, "%s", state);
    st->known = 1;
    static const char *const ended[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
                                        "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
                                        "PREEMPTED", "REVOKED", "SPECIAL_EXIT", NULL};
    for (int i = 0; ended[i]; i++)
        if (strcmp(state, ended[i]) == 0)
            st->ended = 1;
    st->timed_out = strcmp(state, "TIMEOUT") == 0 || strcmp(state, "DEADLINE") == 0;
    st->infra = strcmp(state, "NODE_FAIL") == 0 || strcmp(state, "BOOT_FAIL") == 0;
}

static long find_id(char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return (long)i;
    return -1;
}

static int slurm_query(submitter *s, char *const *ids, size_t n, submit_state *out)
{
    char *list = submit_join_ids(ids, n);
    if (!list)
        return -1;
    /* the queue knows a job until MinJobAge after its end */
    char *sq[] = {"squeue", "-h", "-t", "all", "-j", list, "-O",
                  "JobID:32,State:24,exit_code:12,StartTime:24,EndTime:24", NULL};
    int rc;
    char *buf = submit_run(s, sq, &rc);
    if (!buf || (rc != 0 && !strstr(buf, "Invalid job id"))) {
        free(list);
        return -1; /* the controller did not answer: ask again later */
    }
    size_t nunknown = 0;
    if (rc == 0) {
        for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
            char id[64], state[64], code[32], t0[64], t1[64];
            if (sscanf(l, "%63s %63s %31s %63s %63s", id, state, code, t0, t1) < 3)
                continue;
            long i = find_id(ids, n, id);
            if (i < 0)
                continue;
            set_state(&out[i], state);
            int w = atoi(code);
            out[i].exited = (w & 0x7f) == 0;
            out[i].code = (w >> 8) & 0xff;
            out[i].signo = w & 0x7f;
            out[i].t_start = iso_time(t0);
            out[i].t_end = iso_time(t1);
        }
    }
    for (size_t i = 0; i < n; i++)
        nunknown += !out[i].known;
    if (nunknown) {
        /* gone from the queue: accounting has the outcome (where there is
         * accounting) */
        char *sa[] = {"sacct", "-n", "-X", "-P", "-j", list, "-o",
                      "JobIDRaw,State,ExitCode,Start,End", NULL};
        if (submit_run(s, sa, &rc) && rc == 0) {
            for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
                char *f[5] = {0};
                int nf = 0;
                for (char *p = l; nf < 5; nf++) {
                    f[nf] = p;
                    char *bar = strchr(p, '|');
                    if (!bar) {
                        nf++;
                        break;
                    }
                    *bar = '\0';
                    p = bar + 1;
                }
                if (nf < 3)
                    continue;
                long i = find_id(ids, n, f[0]);
                if (i < 0 || out[i].known)
                    continue;
                char state[32];
                sscanf(f[1], "%31s", state); /* "CANCELLED by 0" */
                set_state(&out[i], state);
                int code = 0, sig = 0;
                sscanf(f[2], "%d:%d", &code, &sig);
                out[i].exited = sig == 0;
                out[i].code = code;
                out[i].signo = sig;
                out[i].t_start = nf > 3 ? iso_time(f[3]) : 0;
                out[i].t_end = nf > 4 ? iso_time(f[4]) : 0;
            }
        }
    }
    free(list);
    return 0;
}

static int slurm_cancel(submitter *s, const char *id)
{
    char out[1024], *argv[] = {"scancel", (char *)id, NULL};
    return submit_capture(s, argv, out, sizeof out) == 0 ? 0 : -1;
}

const submit_ops submit_slurm_ops = {
    "Slurm", slurm_check, slurm_argv, slurm_prepare, slurm_parse_id, slurm_query, slurm_cancel,
};
