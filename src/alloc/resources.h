/* What an allocation lets us use: its nodes, each with cores and GPUs.
 * Every backend describes its allocation with this one record. */
#ifndef BATCHTILE_ALLOC_RESOURCES_H
#define BATCHTILE_ALLOC_RESOURCES_H
#include <stddef.h>
#include <stdio.h>

typedef struct alloc_node {
    char *name;     /* host name */
    int ncores;
    int **core_pus; /* per core: its logical CPUs, -1 terminated (NULL when remote) */
    int ngpus;
    char **gpu_ids; /* per GPU: the id to put in CUDA_/ROCR_VISIBLE_DEVICES */
} alloc_node;

typedef struct alloc_resources {
    const char *backend; /* "local", "slurm", "flux" */
    int nnodes;
    alloc_node *nodes;
    int oversubscribed; /* > 0: --cores asked for more than the real cores, this many */
    const char *gpu_source;
    const char *gpu_var; /* the visibility variable evaluations get: CUDA_ or ROCR_VISIBLE_DEVICES */ /* where the GPUs came from: "CUDA_VISIBLE_DEVICES", "hwloc", "--gpus", ... */
    double ends_at; /* when the allocation ends (wall clock, s since the epoch); 0: unknown
                       or unlimited */
    const char *ends_source; /* where that came from: "squeue %L", "flux_job_timeleft" */
} alloc_resources;

/* Free everything in r. */
void alloc_resources_free(alloc_resources *r);
/* Total cores and GPUs over all nodes. */
int alloc_total_cores(const alloc_resources *r);
int alloc_total_gpus(const alloc_resources *r);
/* Print r like `flux resource list`: one line per node and a total. */
void alloc_print(const alloc_resources *r, FILE *f);
/* A CPU list "0-3,8" of an array of ints terminated by -1 into out. */
void alloc_format_cpus(const int *cpus, char *out, size_t outsz);

#endif
