/* Pool jobs: the job script, the record of how to start one, sbatch / flux
 * batch, and the scheduler's word on them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir.h"
#include "start.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/proc.h"


/* The pool's job name: one per DIR, so that --dependency=singleton orders
 * only this pool's jobs. */
static void job_name(const char *dir, char *out, size_t outsz)
{
    char real[4096];
    const char *d = realpath(dir, real) ? real : dir;
    snprintf(out, outsz, "batchtile-pool-%08llx",
             (unsigned long long)(ut_hash_str(UT_HASH_INIT, d) & 0xffffffffULL));
}

int pool_start_record(const char *dir, const pool_start_opts *o, char *msg, size_t msgsz)
{
    char script[4096], path[4096], name[64], real[4096];
    if (!realpath(dir, real)) {
        snprintf(msg, msgsz, "%s: %s", dir, strerror(errno));
        return -1;
    }
    const char *sched = o->scheduler;
    if (!sched)
        sched = getenv("FLUX_URI") ? "flux" : "slurm";
    job_name(real, name, sizeof name);
    pool_path(script, sizeof script, real, NULL, "pool-job.sh");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", script);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(msg, msgsz, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "#!/bin/sh\n# batchtile pool start: the pool's job (%s)\nexec ", name);
    ut_sh_quote(f, o->self);
    fputs(" pool serve", f);
    if (o->renew)
        fputs(" --renew", f);
    if (o->idle_exit) {
        fputs(" --idle-exit ", f);
        ut_sh_quote(f, o->idle_exit);
    }
    if (o->cores) {
        fputs(" --cores ", f);
        ut_sh_quote(f, o->cores);
    }
    if (o->gpus) {
        fputs(" --gpus ", f);
        ut_sh_quote(f, o->gpus);
    }
    fputs(" -- ", f);
    ut_sh_quote(f, real);
    fputc('\n', f);
    if (fclose(f) != 0 || chmod(tmp, 0700) < 0 || rename(tmp, script) < 0) {
        snprintf(msg, msgsz, "%s: %s", script, strerror(errno));
        unlink(tmp);
        return -1;
    }
    json_t *argv = json_array();
    int fl = strcmp(sched, "flux") == 0;
    json_array_append_new(argv, json_string(fl ? "flux" : "sbatch"));
    if (fl) {
        json_array_append_new(argv, json_string("batch"));
        json_array_append_new(argv, json_sprintf("--job-name=%s", name));
        json_array_append_new(argv, json_sprintf("--nodes=%s", o->nodes ? o->nodes : "1"));
        if (o->time)
            json_array_append_new(argv, json_sprintf("--time-limit=%s", o->time));
        json_array_append_new(argv, json_sprintf("--output=%s/pool-{{id}}.out", real));
        if (o->account)
            json_array_append_new(argv, json_sprintf("--setattr=system.bank=%s", o->account));
        if (o->partition)
            json_array_append_new(argv, json_sprintf("--queue=%s", o->partition));
    } else {
        json_array_append_new(argv, json_string("--parsable"));
        json_array_append_new(argv, json_sprintf("--job-name=%s", name));
        json_array_append_new(argv, json_sprintf("--output=%s/pool-%%j.out", real));
        json_array_append_new(argv, json_sprintf("--chdir=%s", real));
        if (o->nodes)
            json_array_append_new(argv, json_sprintf("--nodes=%s", o->nodes));
        if (o->time)
            json_array_append_new(argv, json_sprintf("--time=%s", o->time));
        if (o->account)
            json_array_append_new(argv, json_sprintf("--account=%s", o->account));
        if (o->partition)
            json_array_append_new(argv, json_sprintf("--partition=%s", o->partition));
        if (o->qos)
            json_array_append_new(argv, json_sprintf("--qos=%s", o->qos));
    }
    for (int i = 0; i < o->nsched_args; i++)
        json_array_append_new(argv, json_string(o->sched_args[i]));
    json_t *rec = json_pack("{s:s, s:o, s:s, s:[]}", "scheduler", sched, "argv", argv, "script",
                            script, "jobs");
    /* the instance the pool job goes to: clients outside it (a login node),
     * and the pool itself inside its own instance, still reach it */
    if (rec && fl && getenv("FLUX_URI"))
        json_object_set_new(rec, "uri", json_string(getenv("FLUX_URI")));
    pool_path(path, sizeof path, real, NULL, "start.json");
    int r = rec ? pool_json_write(path, rec) : -1;
    json_decref(rec);
    if (r < 0)
        snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
    return r;
}

static json_t *read_record(const char *dir, char *path, size_t pathsz)
{
    char why[256];
    if (pool_path(path, pathsz, dir, NULL, "start.json") < 0)
        return NULL;
    return pool_json_read(path, why, sizeof why);
}

/* Run argv (a NULL-terminated array of words) for the scheduler of record
 * rec, its output into out: Flux's commands with the recorded instance's
 * FLUX_URI and ASCII job ids. */
static int capture(json_t *rec, char **argv, char *out, size_t outsz)
{
    out[0] = '\0';
    const char *uri = json_string_value(json_object_get(rec, "uri"));
    const char *sets[] = {"FLUX_F58_FORCE_ASCII", "1", uri ? "FLUX_URI" : NULL, uri, NULL};
    ut_env env;
    if (ut_env_build(&env, sets) < 0)
        return -1;
    int r = ut_capture_env(argv, env.envp, out, outsz);
    ut_env_free(&env);
    return r;
}

/* The last non-empty line of out, trimmed, into line. */
static void last_line(const char *out, char *line, size_t linesz)
{
    const char *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
        end--;
    const char *b = end;
    while (b > out && b[-1] != '\n')
        b--;
    size_t n = (size_t)(end - b);
    if (n >= linesz)
        n = linesz - 1;
    memcpy(line, b, n);
    line[n] = '\0';
}

int pool_start_submit(const char *dir, int singleton, char *id, size_t idsz, char *msg,
                      size_t msgsz)
{
    char path[4096];
    json_t *rec = read_record(dir, path, sizeof path);
    if (!rec) {
        snprintf(msg, msgsz, "%s: no record of how to start the pool ('batchtile pool start')",
                 path);
        return -1;
    }
    json_t *argv = json_object_get(rec, "argv");
    const char *sched = json_string_value(json_object_get(rec, "scheduler"));
    const char *script = json_string_value(json_object_get(rec, "script"));
    size_t n = json_array_size(argv);
    if (!sched || !script || n == 0) {
        snprintf(msg, msgsz, "%s: not a record of 'batchtile pool start'", path);
        json_decref(rec);
        return -1;
    }
    int fl = strcmp(sched, "flux") == 0;
    char **v = calloc(n + 3, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        v[k++] = (char *)json_string_value(json_array_get(argv, i));
    /* Flux has no singleton dependency: the successor is submitted as is
     * (it waits for the DIR's lock, see pool serve) */
    if (singleton && !fl)
        v[k++] = "--dependency=singleton";
    v[k++] = (char *)script;
    char out[4096];
    int st = capture(rec, v, out, sizeof out);
    free(v);
    char line[512];
    last_line(out, line, sizeof line);
    if (st != 0 || !line[0]) {
        snprintf(msg, msgsz, "%s failed (exit %d): %s", fl ? "flux batch" : "sbatch", st, line);
        json_decref(rec);
        return -1;
    }
    /* sbatch --parsable: "ID" or "ID;CLUSTER" */
    char *semi = strchr(line, ';');
    if (semi)
        *semi = '\0';
    snprintf(id, idsz, "%s", line);
    json_t *jobs = json_object_get(rec, "jobs");
    if (!json_is_array(jobs)) {
        jobs = json_array();
        json_object_set_new(rec, "jobs", jobs);
    }
    json_array_append_new(jobs, json_string(id));
    json_object_set_new(rec, "latest", json_string(id));
    if (pool_json_write(path, rec) < 0) {
        snprintf(msg, msgsz, "%s: %s (job %s submitted)", path, strerror(errno), id);
        json_decref(rec);
        return -1;
    }
    json_decref(rec);
    return 0;
}

int pool_start_latest(const char *dir, char *id, size_t idsz, char *sched, size_t schedsz,
                      char *state, size_t statesz)
{
    char path[4096];
    json_t *rec = read_record(dir, path, sizeof path);
    if (!rec)
        return -1;
    const char *s = json_string_value(json_object_get(rec, "scheduler"));
    const char *latest = json_string_value(json_object_get(rec, "latest"));
    int fl = s && strcmp(s, "flux") == 0;
    snprintf(sched, schedsz, "%s", fl ? "Flux" : "Slurm");
    snprintf(id, idsz, "%s", latest ? latest : "");
    state[0] = '\0';
    int live = 0;
    if (latest) {
        char out[1024], jid[128];
        snprintf(jid, sizeof jid, "%s", latest);
        if (fl) {
            char *v[] = {"flux", "jobs", "--no-header", "-o", "{state}", jid, NULL};
            if (capture(rec, v, out, sizeof out) == 0) {
                last_line(out, state, statesz);
                live = strcmp(state, "INACTIVE") != 0 && state[0] && !strchr(state, ' ');
            }
        } else {
            char *v[] = {"squeue", "-h", "-j", jid, "-o", "%T (%r)", NULL};
            if (capture(rec, v, out, sizeof out) == 0) {
                last_line(out, state, statesz);
                live = strncmp(state, "PENDING", 7) == 0 || strncmp(state, "RUNNING", 7) == 0 ||
                       strncmp(state, "CONFIGURING", 11) == 0;
                /* a running job has no reason worth saying */
                char *r = strstr(state, " (None)");
                if (r)
                    *r = '\0';
            }
        }
    }
    json_decref(rec);
    return live;
}

int pool_start_cancel(const char *dir, const char *id)
{
    char path[4096], out[1024], jid[128];
    json_t *rec = read_record(dir, path, sizeof path);
    if (!rec)
        return -1;
    const char *s = json_string_value(json_object_get(rec, "scheduler"));
    int fl = s && strcmp(s, "flux") == 0;
    snprintf(jid, sizeof jid, "%s", id);
    char *vf[] = {"flux", "cancel", jid, NULL};
    char *vs[] = {"scancel", jid, NULL};
    int r = capture(rec, fl ? vf : vs, out, sizeof out) == 0 ? 0 : -1;
    json_decref(rec);
    return r;
}

char **pool_start_jobs(const char *dir)
{
    char path[4096];
    json_t *rec = read_record(dir, path, sizeof path);
    json_t *jobs = rec ? json_object_get(rec, "jobs") : NULL;
    size_t n = json_array_size(jobs);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        const char *id = json_string_value(json_array_get(jobs, i));
        v[i] = strdup(id ? id : "");
    }
    json_decref(rec);
    return v;
}
