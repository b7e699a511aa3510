/* The agent backend's state, shared by its two files (internal to launch/):
 * agent.c the backend's operations (jobs to agents, their events back),
 * agent_start.c starting the agents and their hellos. */
#ifndef BATCHTILE_LAUNCH_AGENT_INT_H
#define BATCHTILE_LAUNCH_AGENT_INT_H
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backend.h"
#include "proto/proto.h"
#include "util/clock.h"

#ifdef BT_HAVE_FLUX
#include <flux/core.h>
#endif

#define TAG_TIMER UINT32_MAX
#define TAG_INNER (UINT32_MAX - 1)
#define TAG_FLUX (UINT32_MAX - 2)

typedef struct agent_conn {
    int node;      /* index into res->nodes */
    pid_t pid;     /* srun, or 0 */
    int wfd, rfd;  /* its stdin, its stdout (Slurm), -1 */
    void *sub;     /* its flux_subprocess_t (Flux), or NULL */
    proto_out out;
    proto_in in;
    int up;        /* said hello and not gone */
    int hello;     /* its hello came */
    int eof;       /* its output ended */
    int dead;      /* ended before its hello: its node takes no work */
    char version[64];
} agent_conn;

typedef struct agent_slot {
    launch_job *job; /* NULL: free */
    int agent;
} agent_slot;

typedef struct agent_be {
    launch_backend base;
    launch_backend *inner; /* steps or Flux jobs: multi-node evaluations */
    int agents_only;
    int tasks_inner; /* multi-task evaluations are the inner backend's (--mpi none, pmi2...) */
    agent_conn *a;
    int n;
    int ep, tfd, armed;
    agent_slot *slots;
    long nslots;
    long *free_ids;
    long nfree;
    launch_job **lost; /* started on a gone agent: reported at the next process() */
    size_t nlost, caplost;
#ifdef BT_HAVE_FLUX
    flux_t *h;
#endif
} agent_be;

static inline double launch_agent_now(void)
{
    return ut_clock_wall();
}

/* agent.c: read what agent c sent (its complete lines); agent c is gone:
 * its evaluations are the infrastructure's failures. */
void launch_agent_drain(agent_be *A, agent_conn *c);
void launch_agent_gone(agent_be *A, agent_conn *c);

/* agent_start.c: start `batchtile agent` (self) for c, by an srun step on
 * its node or flux_rexec on its rank. 0, or -1 with msg. */
int launch_agent_spawn_srun(agent_be *A, agent_conn *c, const char *self, char *msg, size_t msgsz);
int launch_agent_spawn_rexec(agent_be *A, agent_conn *c, const char *self, char *msg,
                             size_t msgsz);
/* The driver's hello to agent c. */
json_t *launch_agent_hello(const agent_be *A, const agent_conn *c, const launch_options *opt);
/* Wait for every agent's hello (or its end). 0, or -1 with msg. */
int launch_agent_await(agent_be *A, char *msg, size_t msgsz);
/* Whether the allocation is a Flux instance's. */
int launch_agent_use_flux(const alloc_resources *res);

#endif
