/* The one interface every backend (local, slurm, flux) implements: start an
 * evaluation on a placement, signal it, and report its completion through
 * the orchestrator's event loop. The orchestrator never knows which
 * backend it talks to. */
#ifndef BATCHTILE_LAUNCH_BACKEND_H
#define BATCHTILE_LAUNCH_BACKEND_H
#include <stddef.h>
#include <sys/types.h>

#include "alloc/resources.h"
#include "sched/pool.h"

/* One evaluation attempt, as the orchestrator hands it to a backend. */
typedef struct launch_job {
    long eval;
    char **argv;          /* the evaluation's command; argv[0] resolved */
    const char *cwd;      /* its work directory */
    const char *out_path; /* stdout file, relative to cwd */
    const char *err_path; /* stderr file, relative to cwd */
    const sched_request *req;
    const sched_placement *place; /* the pool's choice; NULL when the backend places */
    double time_limit;    /* seconds, 0 for none (backends that enforce it) */
    int outputs_ready;    /* out_path and err_path were made fresh ahead (prestage) */
    /* filled by the backend */
    pid_t pid;  /* process-based backends: the process group leader */
    char ext_id[64]; /* the scheduler's own name for it ("Flux:ƒ2aqnWXy"), or "" */
    void *priv; /* backend's own */
    void *owner; /* the orchestrator's record */
} launch_job;

/* How a job ended. */
typedef struct launch_status {
    int exited;          /* exited normally, with code */
    int code;
    int signo;           /* killed by this signal when not exited */
    const char *reason;  /* a backend's own explanation (e.g. "cannot start"), or NULL */
    int timed_out;       /* the backend enforced the time limit and it ran out */
    double t_start, t_end; /* when it really ran (epoch seconds), 0 when unknown */
    int infra;           /* the infrastructure's failure, not the program's (a Flux
                            exception such as a node failure) */
    const char *node;    /* with infra: the node to blame (res->nodes[].name), or NULL */
} launch_status;

typedef struct launch_backend launch_backend;
struct launch_options;

/* Called by a backend when a job has ended. */
typedef void (*launch_done_fn)(void *arg, launch_job *job, const launch_status *st);

typedef struct launch_ops {
    const char *name;
    /* Start job; 0, or -1 with msg set (the job did not start). */
    int (*start)(launch_backend *b, launch_job *job, char *msg, size_t msgsz);
    /* Send sig to every process of the job. */
    int (*signal)(launch_backend *b, launch_job *job, int sig);
    /* An fd the event loop should watch, or -1 (completions then come from
     * SIGCHLD, on which the loop calls process). */
    int (*fd)(launch_backend *b);
    /* Handle what is ready: reap children or read the fd; report through done. */
    void (*process)(launch_backend *b);
    /* Release the backend. */
    void (*destroy)(launch_backend *b);
    /* Optional: was this failed attempt the infrastructure's fault (its
     * stderr at err_path holds the launcher's own words)? 1 with why set
     * and, when one node is to blame, its name in node (else ""); 2 when the
     * allocation itself is ending; 3 when it starts no more jobs (Slurm's
     * step limit: what runs may finish); 0 when it is the program's. */
    int (*infra)(launch_backend *b, const launch_job *job, const char *err_path, char *why,
                 size_t whysz, char *node, size_t nodesz);
    /* Optional: make ready for evaluations of opt->ntasks tasks, more than
     * the backend was made for (a pool's later batch): its MPI launcher
     * found and checked as at its making. 0, or -1 with msg set (the batch
     * is refused, as run would refuse it). */
    int (*prepare)(launch_backend *b, const struct launch_options *opt, char *msg, size_t msgsz);
} launch_ops;

struct launch_backend {
    const launch_ops *ops;
    const alloc_resources *res;
    launch_done_fn done;
    void *done_arg;
    /* seconds a finished job's resources stay taken: the time the scheduler
     * under us may need to release them (Slurm frees a step's CPUs a moment
     * after srun exits); 0 for none */
    double release_delay;
    int places_itself;       /* the scheduler under us places jobs: submit all, no sched_pool */
    int enforces_time_limit; /* the job's time limit is the backend's to enforce */
};

/* Options the backends share. */
typedef struct launch_options {
    const char *mpi; /* "auto", "none", "mpiexec", "srun", "flux", or an srun MPI plugin */
    int ntasks;
    double grace; /* TERM to KILL of a time limit (--grace), seconds */
    int max_nodes; /* the most nodes (-N) any evaluation asks for, 0: none asks */
    int max_cores; /* the most cores (-n x -c) any evaluation asks for */
    struct launch_tree *tree; /* the run's process tree (tree.h), NULL for none */
} launch_options;

/* The local backend: posix_spawn on this machine, confined to the
 * placement's cores and GPUs, multi-task evaluations through mpiexec.
 * NULL with msg set on failure. */
launch_backend *launch_local_new(const alloc_resources *res, const launch_options *opt,
                                 char *msg, size_t msgsz);

/* The Slurm backend: each evaluation a job step (srun) on the nodes the pool
 * chose, inside the current allocation. NULL with msg set on failure. */
launch_backend *launch_slurm_new(const alloc_resources *res, const launch_options *opt,
                                 char *msg, size_t msgsz);

/* The srun MPI plugin for --mpi M ("auto": the cluster's default when it
 * starts MPI programs, else pmi2 or pmix) into plugin ("" for srun's
 * default). 0, or -1 with msg set. */
int launch_slurm_mpi(const char *mpi, char *plugin, size_t pluginsz, char *msg, size_t msgsz);

/* The Flux backend: each evaluation a Flux job in the instance at FLUX_URI,
 * confined to the ranks the pool chose. NULL with msg set on failure (or
 * without flux-core). */
launch_backend *launch_flux_new(const alloc_resources *res, const launch_options *opt, char *msg,
                                size_t msgsz);

/* The agent backend (--launch agents|auto): one `batchtile agent` per node,
 * started once with the allocation's launcher (an srun step per node under
 * Slurm, flux_rexec on each rank under Flux), its stdin and stdout the
 * protocol (proto/proto.h); evaluations on one node are handed to its agent.
 * With agents_only 0 (auto) an evaluation over several nodes starts as the
 * inner backend's step or Flux job; with 1 (agents) a batch whose
 * evaluations may span nodes is refused (NULL, errno EINVAL). An agent that
 * goes: its evaluations end as the infrastructure's failures on its node.
 * NULL with msg set on failure. */
launch_backend *launch_agent_new(const alloc_resources *res, const launch_options *opt,
                                 int agents_only, char *msg, size_t msgsz);

#endif
