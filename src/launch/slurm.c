/* The Slurm backend: each evaluation is a job step, `srun` confined to the
 * nodes and core counts the pool chose (--nodelist, -N, -n, -c, --exact),
 * so that steps never wait for each other's resources. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "proc.h"
#include "util/file.h"

typedef struct slurm_be {
    launch_proc_backend pb; /* first: the shared process plumbing */
    char srun[4096];
    int exact;          /* srun has --exact (Slurm 20.11 and newer) */
    char mpi[64];       /* srun --mpi=..., "" for the cluster's default */
    int mpi_set;        /* mpi was chosen (the first batch of several tasks) */
    int overlap;        /* a node failed: steps start with --overlap (below) */
    int step_limit;     /* the job's MaxStepCount was reached */
    char limit_why[512];
} slurm_be;

static int slurm_start(launch_backend *b, launch_job *j, char *msg, size_t msgsz)
{
    slurm_be *S = (slurm_be *)b;
    const sched_placement *pl = j->place;
    const sched_request *q = j->req;
    ut_argv a = {NULL, 0, 0};
    int bad = ut_argv_add(&a, "%s", S->srun);

    /* exactly the nodes the pool chose */
    size_t len = 0;
    for (int i = 0; i < pl->nslices; i++)
        len += strlen(b->res->nodes[pl->slices[i].node].name) + 1;
    char *nodes = malloc(len + 1);
    if (!nodes) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    nodes[0] = '\0';
    int uniform = 1;
    for (int i = 0; i < pl->nslices; i++) {
        if (i)
            strcat(nodes, ",");
        strcat(nodes, b->res->nodes[pl->slices[i].node].name);
        uniform &= pl->slices[i].ntasks == pl->slices[0].ntasks;
    }
    int cpt = q->cores_per_task;
    if (q->exclusive) /* whole nodes: the tasks spread over all their cores */
        cpt = pl->slices[0].ncores / (pl->slices[0].ntasks ? pl->slices[0].ntasks : 1);
    bad |= ut_argv_add(&a, "--nodelist=%s", nodes) | ut_argv_add(&a, "--nodes=%d", pl->nslices) |
           ut_argv_add(&a, "--ntasks=%d", q->ntasks) | ut_argv_add(&a, "--cpus-per-task=%d", cpt);
    free(nodes);
    char hostfile[4096] = "";
    if (uniform) {
        bad |= ut_argv_add(&a, "--ntasks-per-node=%d", pl->slices[0].ntasks);
    } else {
        /* uneven counts per node: name each task's node (SLURM_HOSTFILE) */
        snprintf(hostfile, sizeof hostfile, "%s/.batchtile.hosts", j->cwd);
        int hfd = ut_open_nofollow(AT_FDCWD, hostfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        FILE *f = hfd >= 0 ? fdopen(hfd, "w") : NULL;
        if (!f && hfd >= 0)
            close(hfd);
        if (!f) {
            ut_argv_free(a.v);
            snprintf(msg, msgsz, "%s: %s", hostfile, strerror(errno));
            return -1;
        }
        for (int i = 0; i < pl->nslices; i++)
            for (int t = 0; t < pl->slices[i].ntasks; t++)
                fprintf(f, "%s\n", b->res->nodes[pl->slices[i].node].name);
        fclose(f);
        bad |= ut_argv_add(&a, "--distribution=arbitrary");
    }
    if (q->gpus_per_task > 0)
        bad |= ut_argv_add(&a, "--gpus-per-task=%d", q->gpus_per_task);
    /* only the cores asked for, and none of the job's memory reserved, so
     * that steps run side by side */
    bad |= ut_argv_add(&a, "%s", S->exact ? "--exact" : "--exclusive") | ut_argv_add(&a, "--mem=0");
    /* after a node failure Slurm shrinks the job, and (22.05) no longer gives
     * back the cores of steps that end after that: new steps would wait for
     * them forever. The pool still keeps evaluations from sharing cores. */
    if (S->overlap)
        bad |= ut_argv_add(&a, "--overlap");
    if (S->mpi[0])
        bad |= ut_argv_add(&a, "--mpi=%s", S->mpi);
    bad |= ut_argv_add(&a, "--job-name=batchtile.%ld", j->eval);
    for (size_t i = 0; j->argv[i]; i++)
        bad |= ut_argv_add(&a, "%s", j->argv[i]);

    ut_env env = {0};
    const char *sets[] = {"SLURM_HOSTFILE", hostfile, NULL, NULL};
    if (bad || ut_env_build(&env, hostfile[0] ? sets : NULL) < 0) {
        ut_argv_free(a.v);
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    ut_spawn sp = {.argv = a.v, .envp = env.envp, .cwd = j->cwd, .out_path = j->out_path,
                   .err_path = j->err_path, .outputs_ready = j->outputs_ready};
    int rc = launch_proc_spawn(b, j, &sp, msg, msgsz);
    int e = errno;
    ut_env_free(&env);
    ut_argv_free(a.v);
    errno = e;
    return rc;
}

static int slurm_signal(launch_backend *b, launch_job *j, int sig)
{
    (void)b;
    if (sig == SIGKILL) {
        /* srun's own termination sequence: two SIGINTs within a second make
         * it send SIGCONT, SIGTERM and SIGKILL to every task of the step */
        kill(j->pid, SIGINT);
        return kill(j->pid, SIGINT);
    }
    /* srun forwards other signals to the tasks */
    return kill(j->pid, sig);
}

/* Is word a line of srun --mpi=list (a plugin name, indented)? */
static int mpi_listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int starts = p == list || p[-1] == '\t' || p[-1] == ' ' || p[-1] == '\n';
        int ends = p[n] == '\0' || p[n] == '\n' || p[n] == '\r' || p[n] == ' ';
        if (starts && ends)
            return 1;
    }
    return 0;
}

/* --mpi auto for a multi-task evaluation: one N-rank MPI program, never N
 * copies. Where the cluster's MpiDefault is a PMI plugin, srun uses it;
 * where it is none, the first of pmi2 (MPICH's), pmix that srun lists.
 * -1 with msg when there is none. */
static int slurm_mpi_auto(const char *srun, char *mpi, size_t mpisz, char *msg, size_t msgsz)
{
    static char out[65536];
    char *show[] = {"scontrol", "show", "config", NULL};
    char deflt[64] = "";
    if (ut_capture(show, out, sizeof out) == 0) {
        const char *m = strstr(out, "MpiDefault");
        if (m && (m = strchr(m, '=')) != NULL)
            sscanf(m + 1, " %63s", deflt);
    }
    if (deflt[0] && strcmp(deflt, "none") != 0)
        return 0; /* srun's default starts MPI programs */
    char *list[] = {(char *)srun, "--mpi=list", NULL};
    out[0] = '\0';
    ut_capture(list, out, sizeof out);
    static const char *const prefer[] = {"pmi2", "pmix", NULL};
    for (int i = 0; prefer[i]; i++)
        if (mpi_listed(out, prefer[i])) {
            snprintf(mpi, mpisz, "%s", prefer[i]);
            return 0;
        }
    snprintf(msg, msgsz, "a multi-task evaluation (-n) under Slurm needs a PMI plugin, and this "
                         "cluster has none (MpiDefault=%s, srun --mpi=list offers neither pmi2 "
                         "nor pmix): srun would start separate one-rank copies. Name a plugin "
                         "with --mpi, or use --mpi none to run copies on purpose",
             deflt[0] ? deflt : "unknown");
    return -1;
}

int launch_slurm_mpi(const char *mpi, char *plugin, size_t pluginsz, char *msg, size_t msgsz)
{
    plugin[0] = '\0';
    if (strcmp(mpi, "mpiexec") == 0 || strcmp(mpi, "flux") == 0) {
        snprintf(msg, msgsz, "--mpi %s: under Slurm tasks start with srun (--mpi none, "
                             "srun, or an srun MPI plugin such as pmi2 or pmix)", mpi);
        return -1;
    }
    if (strcmp(mpi, "auto") == 0) {
        char srun[4096];
        if (ut_resolve_command("srun", srun, sizeof srun) < 0) {
            snprintf(msg, msgsz, "Slurm's srun is not on PATH");
            return -1;
        }
        return slurm_mpi_auto(srun, plugin, pluginsz, msg, msgsz);
    }
    /* none included: plain copies, whatever the cluster's default */
    if (strcmp(mpi, "srun") != 0)
        snprintf(plugin, pluginsz, "%s", mpi);
    return 0;
}

/* srun's own error lines in a failed step's stderr: the infrastructure's
 * failures, never the program's. */
static int slurm_infra(launch_backend *b, const launch_job *j, const char *err_path, char *why,
                       size_t whysz, char *node, size_t nodesz)
{
    slurm_be *S = (slurm_be *)b;
    (void)j;
    node[0] = '\0';
    int fd = open(err_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    char buf[16384];
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "srun: error: ", 13) != 0)
            continue;
        char line[512];
        size_t len = strcspn(l, "\n");
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        const char *on;
        if (strstr(line, "Step limit reached")) {
            /* MaxStepCount: no step will start in this job again */
            if (!S->step_limit) {
                S->step_limit = 1;
                static char cfg[65536];
                char *show[] = {"scontrol", "show", "config", NULL}, max[32] = "?";
                const char *m = ut_capture(show, cfg, sizeof cfg) == 0 ? strstr(cfg, "MaxStepCount") : NULL;
                if (m && (m = strchr(m, '=')) != NULL)
                    sscanf(m + 1, " %31s", max);
                snprintf(S->limit_why, sizeof S->limit_why,
                         "Slurm's step limit for this job is reached (MaxStepCount=%s steps): no "
                         "more evaluations start as job steps in this allocation; run again to "
                         "finish, or use --launch auto or agents (one step per node)", max);
            }
            snprintf(why, whysz, "%s", S->limit_why);
            return 3;
        }
        if (strstr(line, "Unable to create step") || strstr(line, "Unable to create job step")) {
            snprintf(why, whysz, "%s", line);
            return strstr(line, "already completing or completed") ||
                           strstr(line, "Job/step already completing")
                       ? 2 : 1;
        }
        if ((on = strstr(line, "Node failure on ")) != NULL) {
            snprintf(node, nodesz, "%.*s", (int)strcspn(on + 16, " \t,"), on + 16);
            snprintf(why, whysz, "%s", line);
            S->overlap = 1;
            return 1;
        }
        if (strstr(line, "Task launch for") && (on = strstr(line, "failed on node ")) != NULL) {
            snprintf(node, nodesz, "%.*s", (int)strcspn(on + 15, " :\t,"), on + 15);
            snprintf(why, whysz, "%s", line);
            return 1;
        }
        if (strstr(line, "Communication connection failure") ||
            strstr(line, "Zero Bytes were transmitted or received")) {
            snprintf(why, whysz, "%s", line);
            return 1;
        }
    }
    return 0;
}

/* srun's MPI plugin, for a pool's batch of more tasks than the backend was
 * made for (at its making: launch_slurm_new). */
static int slurm_prepare(launch_backend *b, const launch_options *opt, char *msg, size_t msgsz)
{
    slurm_be *S = (slurm_be *)b;
    if (opt->ntasks <= 1 || S->mpi_set)
        return 0;
    if (launch_slurm_mpi(opt->mpi, S->mpi, sizeof S->mpi, msg, msgsz) < 0)
        return -1;
    S->mpi_set = 1;
    return 0;
}

static const launch_ops slurm_ops = {
    "slurm", slurm_start, slurm_signal, launch_proc_fd, launch_proc_process, launch_proc_free,
    slurm_infra, slurm_prepare,
};

launch_backend *launch_slurm_new(const alloc_resources *res, const launch_options *opt,
                                 char *msg, size_t msgsz)
{
    slurm_be *S = launch_proc_backend_new(sizeof *S, &slurm_ops, res, msg, msgsz);
    if (!S)
        return NULL;
    ((launch_proc_backend *)S)->procs.tree = opt->tree;
    /* srun exits when its tasks have; slurmctld frees the step's CPUs when
     * slurmstepd reports the step complete, a moment later. A new step on
     * those CPUs before then would wait ("step creation temporarily
     * disabled"): keep them a little longer (BATCHTILE_SLURM_RELEASE_DELAY, s) */
    const char *d = getenv("BATCHTILE_SLURM_RELEASE_DELAY");
    S->pb.base.release_delay = d ? atof(d) : 0.01;
    if (ut_resolve_command("srun", S->srun, sizeof S->srun) < 0) {
        snprintf(msg, msgsz, "the slurm backend needs srun, and none is on PATH");
        free(S);
        return NULL;
    }
    if (opt->ntasks > 1 || strcmp(opt->mpi, "auto") != 0) {
        if (launch_slurm_mpi(opt->mpi, S->mpi, sizeof S->mpi, msg, msgsz) < 0) {
            free(S);
            return NULL;
        }
        S->mpi_set = 1;
    }
    /* --exact appeared in Slurm 20.11; before it, --exclusive meant the same for steps */
    char out[256] = "", *argv[] = {S->srun, "--version", NULL};
    ut_capture(argv, out, sizeof out);
    int major = 0, minor = 0;
    const char *v = strpbrk(out, "0123456789");
    if (v)
        sscanf(v, "%d.%d", &major, &minor);
    S->exact = major > 20 || (major == 20 && minor >= 11) || major == 0;
    return &S->pb.base;
}
