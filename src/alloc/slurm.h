/* A Slurm allocation, from the environment of a job (salloc, sbatch): its
 * nodes (SLURM_JOB_NODELIST), CPUs per node (SLURM_JOB_CPUS_PER_NODE) and
 * GPUs per node. */
#ifndef BATCHTILE_ALLOC_SLURM_H
#define BATCHTILE_ALLOC_SLURM_H
#include <stddef.h>

#include "resources.h"

/* Detect into r; gpus >= 0 declares the GPUs per node (--gpus). 0, or -1
 * with msg set (not inside a job, or malformed variables). */
int alloc_slurm_detect(alloc_resources *r, int gpus, char *msg, size_t msgsz);

/* When this Slurm job ends (wall clock), from squeue's time left (%L);
 * 0 when unknown or unlimited. */
double alloc_slurm_ends_at(void);
/* Slurm's time-left string ("[days-][hours:]minutes:seconds") in seconds;
 * -1 for anything else (UNLIMITED, NOT_SET). */
double alloc_slurm_parse_left(const char *s);

#endif
