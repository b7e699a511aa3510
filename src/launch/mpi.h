/* Starting a multi-task evaluation with mpiexec: which MPI it is (MPICH's
 * Hydra or Open MPI) and the flags each needs to put rank i on its cores. */
#ifndef BATCHTILE_LAUNCH_MPI_H
#define BATCHTILE_LAUNCH_MPI_H
#include <stddef.h>

typedef enum launch_mpi_flavor {
    LAUNCH_MPI_MPICH,   /* Hydra: -bind-to user:a+b,c+d */
    LAUNCH_MPI_OPENMPI, /* mpirun: ranks inherit the evaluation's CPU set */
    LAUNCH_MPI_OTHER,   /* plain mpiexec -n N */
} launch_mpi_flavor;

typedef struct launch_mpi {
    char path[4096]; /* mpiexec, absolute */
    launch_mpi_flavor flavor;
} launch_mpi;

/* Find mpiexec and tell its flavour from `mpiexec --version`. 0, or -1 with msg. */
int launch_mpi_detect(launch_mpi *m, char *msg, size_t msgsz);
/* The argv prefix that starts ntasks ranks, rank i bound to rank_cpus[i]
 * ("0+1"); NULL rank_cpus: no binding. Returns a malloc'd NULL-terminated
 * array of malloc'd strings (free with ut_argv_free), or NULL. */
char **launch_mpi_argv(const launch_mpi *m, int ntasks, char *const *rank_cpus,
                       char *const *cmd);

#endif
