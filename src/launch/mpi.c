#include "mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

int launch_mpi_detect(launch_mpi *m, char *msg, size_t msgsz)
{
    if (ut_resolve_command("mpiexec", m->path, sizeof m->path) < 0) {
        snprintf(msg, msgsz, "multi-task evaluations need mpiexec, and none is on PATH "
                             "(install MPICH, or use --mpi none)");
        return -1;
    }
    char out[4096];
    char *argv[] = {m->path, "--version", NULL};
    ut_capture(argv, out, sizeof out);
    if (strstr(out, "HYDRA") || strstr(out, "MPICH"))
        m->flavor = LAUNCH_MPI_MPICH;
    else if (strstr(out, "Open MPI") || strstr(out, "OpenRTE") || strstr(out, "open-mpi"))
        m->flavor = LAUNCH_MPI_OPENMPI;
    else
        m->flavor = LAUNCH_MPI_OTHER;
    return 0;
}

char **launch_mpi_argv(const launch_mpi *m, int ntasks, char *const *rank_cpus, char *const *cmd)
{
    ut_argv a = {NULL, 0, 0};
    char num[32];
    int bad = ut_argv_add(&a, "%s", m->path);
    snprintf(num, sizeof num, "%d", ntasks);
    switch (m->flavor) {
    case LAUNCH_MPI_MPICH:
        /* this host only (not the nodes of an enclosing Slurm job), each
         * rank bound to its own cores */
        bad |= ut_argv_add(&a, "%s", "-launcher") | ut_argv_add(&a, "%s", "fork");
        bad |= ut_argv_add(&a, "%s", "-hosts") | ut_argv_add(&a, "%s", "localhost");
        bad |= ut_argv_add(&a, "%s", "-n") | ut_argv_add(&a, "%s", num);
        if (rank_cpus) {
            size_t len = 6;
            for (int i = 0; i < ntasks; i++)
                len += strlen(rank_cpus[i]) + 1;
            char *b = malloc(len);
            if (!b) {
                bad = 1;
                break;
            }
            strcpy(b, "user:");
            for (int i = 0; i < ntasks; i++) {
                if (i)
                    strcat(b, ",");
                strcat(b, rank_cpus[i]);
            }
            bad |= ut_argv_add(&a, "%s", "-bind-to") | ut_argv_add(&a, "%s", b);
            free(b);
        }
        break;
    case LAUNCH_MPI_OPENMPI:
        /* ranks inherit the evaluation's CPU set; Open MPI refuses root
         * unless told, and running as root must work */
        bad |= ut_argv_add(&a, "%s", "-n") | ut_argv_add(&a, "%s", num) | ut_argv_add(&a, "%s", "--bind-to") |
               ut_argv_add(&a, "%s", "none") | ut_argv_add(&a, "%s", "--oversubscribe");
        if (geteuid() == 0)
            bad |= ut_argv_add(&a, "%s", "--allow-run-as-root");
        break;
    default:
        bad |= ut_argv_add(&a, "%s", "-n") | ut_argv_add(&a, "%s", num);
        break;
    }
    for (size_t i = 0; cmd[i]; i++)
        bad |= ut_argv_add(&a, "%s", cmd[i]);
    if (bad) {
        ut_argv_free(a.v);
        return NULL;
    }
    return a.v;
}
