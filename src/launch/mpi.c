#include "mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

int launch_mpi_detect(launch_mpi *m, char *msg, size_t msgsz)
{
    if (launch_resolve_command("mpiexec", m->path, sizeof m->path) < 0) {
        snprintf(msg, msgsz, "multi-task evaluations need mpiexec, and none is on PATH "
                             "(install MPICH, or use --mpi none)");
        return -1;
    }
    char out[4096];
    char *argv[] = {m->path, "--version", NULL};
    launch_capture(argv, out, sizeof out);
    if (strstr(out, "HYDRA") || strstr(out, "MPICH"))
        m->flavor = LAUNCH_MPI_MPICH;
    else if (strstr(out, "Open MPI") || strstr(out, "OpenRTE") || strstr(out, "open-mpi"))
        m->flavor = LAUNCH_MPI_OPENMPI;
    else
        m->flavor = LAUNCH_MPI_OTHER;
    return 0;
}

static int push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return -1;
    nv[++*n] = NULL;
    return 0;
}

char **launch_mpi_argv(const launch_mpi *m, int ntasks, char *const *rank_cpus, char *const *cmd)
{
    char **v = NULL, num[32];
    size_t n = 0;
    int bad = push(&v, &n, m->path);
    snprintf(num, sizeof num, "%d", ntasks);
    switch (m->flavor) {
    case LAUNCH_MPI_MPICH:
        /* this host only (not the nodes of an enclosing Slurm job), each
         * rank bound to its own cores */
        bad |= push(&v, &n, "-launcher") | push(&v, &n, "fork");
        bad |= push(&v, &n, "-hosts") | push(&v, &n, "localhost");
        bad |= push(&v, &n, "-n") | push(&v, &n, num);
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
            bad |= push(&v, &n, "-bind-to") | push(&v, &n, b);
            free(b);
        }
        break;
    case LAUNCH_MPI_OPENMPI:
        /* ranks inherit the evaluation's CPU set; Open MPI refuses root
         * unless told, and running as root must work */
        bad |= push(&v, &n, "-n") | push(&v, &n, num) | push(&v, &n, "--bind-to") |
               push(&v, &n, "none") | push(&v, &n, "--oversubscribe");
        if (geteuid() == 0)
            bad |= push(&v, &n, "--allow-run-as-root");
        break;
    default:
        bad |= push(&v, &n, "-n") | push(&v, &n, num);
        break;
    }
    for (size_t i = 0; cmd[i]; i++)
        bad |= push(&v, &n, cmd[i]);
    if (bad) {
        launch_mpi_free_argv(v);
        return NULL;
    }
    return v;
}

void launch_mpi_free_argv(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}
