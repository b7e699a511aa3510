#include "slurm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostlist.h"
#include "util/proc.h"

static const char *env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (!v || !*v)
        v = getenv(b);
    return v && *v ? v : NULL;
}

/* GPUs per node: SLURM_GPUS_ON_NODE, else a "gpu:N" in the job's TRES/GRES. */
static int slurm_gpus(const char **source)
{
    const char *v = getenv("SLURM_GPUS_ON_NODE");
    if (v && *v) {
        *source = "SLURM_GPUS_ON_NODE";
        return atoi(v);
    }
    static const char *const vars[] = {"SLURM_TRES_PER_NODE", "SLURM_JOB_GRES", "SLURM_GPUS_PER_NODE",
                                       NULL};
    for (int i = 0; vars[i]; i++) {
        v = getenv(vars[i]);
        if (!v || !*v)
            continue;
        const char *g = strstr(v, "gpu");
        if (!g && strcmp(vars[i], "SLURM_GPUS_PER_NODE") != 0)
            continue;
        const char *num = g ? strrchr(g, ':') : v;
        num = num ? (num == v ? v : num + 1) : NULL;
        if (num && *num >= '0' && *num <= '9') {
            *source = vars[i];
            return atoi(num);
        }
    }
    *source = NULL;
    return 0;
}

int alloc_slurm_detect(alloc_resources *r, int gpus, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    r->backend = "slurm";
    r->gpu_var = "CUDA_VISIBLE_DEVICES";
    if (!env2("SLURM_JOB_ID", "SLURM_JOBID")) {
        snprintf(msg, msgsz, "the slurm backend runs inside a Slurm allocation (salloc, sbatch), "
                             "and SLURM_JOB_ID is not set");
        return -1;
    }
    const char *list = env2("SLURM_JOB_NODELIST", "SLURM_NODELIST");
    const char *cpn = env2("SLURM_JOB_CPUS_PER_NODE", "SLURM_CPUS_ON_NODE");
    if (!list || !cpn) {
        snprintf(msg, msgsz, "inside Slurm job %s, but %s is not set", env2("SLURM_JOB_ID", "SLURM_JOBID"),
                 !list ? "SLURM_JOB_NODELIST" : "SLURM_JOB_CPUS_PER_NODE");
        return -1;
    }
    char **hosts;
    size_t n;
    if (alloc_hostlist_expand(list, &hosts, &n, msg, msgsz) < 0)
        return -1;
    int *cpus = calloc(n, sizeof *cpus);
    if (!cpus || alloc_expand_counts(cpn, cpus, n) < 0) {
        snprintf(msg, msgsz, "SLURM_JOB_CPUS_PER_NODE '%s': expected counts like '36(x3),24' for "
                             "the %zu nodes of '%s'", cpn, n, list);
        free(cpus);
        alloc_hostlist_free(hosts, n);
        return -1;
    }
    const char *source = "--gpus";
    int ngpu = gpus >= 0 ? gpus : slurm_gpus(&source);
    r->gpu_source = source;
    r->nodes = calloc(n, sizeof *r->nodes);
    r->nnodes = (int)n;
    for (size_t i = 0; r->nodes && i < n; i++) {
        alloc_node *node = &r->nodes[i];
        node->name = hosts[i];
        node->ncores = cpus[i];
        node->ngpus = ngpu;
        node->gpu_ids = calloc((size_t)(ngpu > 0 ? ngpu : 1), sizeof *node->gpu_ids);
        for (int g = 0; g < ngpu; g++) {
            char id[16];
            snprintf(id, sizeof id, "%d", g);
            node->gpu_ids[g] = strdup(id);
        }
    }
    free(hosts); /* the names now belong to the nodes */
    free(cpus);
    return 0;
}

double alloc_slurm_parse_left(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    long f[4] = {0, 0, 0, 0};
    int nf = 0;
    long days = 0;
    const char *p = s;
    char *end;
    const char *dash = strchr(p, '-');
    if (dash) {
        days = strtol(p, &end, 10);
        if (end != dash || days < 0)
            return -1;
        p = dash + 1;
    }
    for (;;) {
        if (*p < '0' || *p > '9' || nf == 3)
            return -1;
        f[nf++] = strtol(p, &end, 10);
        p = end;
        if (*p != ':')
            break;
        p++;
    }
    while (*p == ' ' || *p == '\n' || *p == '\r')
        p++;
    if (*p)
        return -1;
    /* [days-][hours:]minutes:seconds; a lone number is minutes (Slurm's) */
    double sec;
    if (nf == 3)
        sec = (double)f[0] * 3600 + (double)f[1] * 60 + (double)f[2];
    else if (nf == 2)
        sec = dash ? (double)f[0] * 3600 + (double)f[1] * 60 : (double)f[0] * 60 + (double)f[1];
    else
        sec = dash ? (double)f[0] * 3600 : (double)f[0] * 60;
    return sec + (double)days * 86400;
}

double alloc_slurm_ends_at(void)
{
    const char *id = env2("SLURM_JOB_ID", "SLURM_JOBID");
    if (!id)
        return 0;
    /* this Slurm (22.05) exports no end time: ask squeue for the time left */
    char out[256] = "", jid[64];
    snprintf(jid, sizeof jid, "%s", id);
    char *argv[] = {"squeue", "-h", "-j", jid, "-o", "%L", NULL};
    if (ut_capture(argv, out, sizeof out) != 0)
        return 0;
    double left = alloc_slurm_parse_left(out);
    if (left < 0) /* UNLIMITED, NOT_SET, INVALID */
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + left;
}
