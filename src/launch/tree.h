/* Whole process trees. Where the machine lets us, each evaluation runs in
 * a cgroup of its own (cgroup.h), which nothing it starts can leave: killed
 * whole at its end and at its time limit. Everywhere, batchtile is a child
 * sub-reaper: a process that detaches (setsid, double fork) stays our
 * descendant and becomes our child when its parent exits. Every process
 * an evaluation starts carries the run's token (BATCHTILE_RUN) and its
 * evaluation number (BATCHTILE_EVAL) in its environment, unless it clears
 * it: such an orphan, with its whole subtree, is killed when its
 * evaluation ends or runs out of time; an orphan that cleared its
 * environment is killed at the run's end by the sweep (without a cgroup,
 * nothing tells whose it is sooner). A watchdog process kills the run's
 * cgroup and whatever still carries the token when the driver itself dies
 * (kill -9), and a resumed run kills what earlier runs of the same journal
 * left. */
#ifndef BATCHTILE_LAUNCH_TREE_H
#define BATCHTILE_LAUNCH_TREE_H
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"

/* The run's process tree: its watchdog and its cgroups. */
typedef struct launch_tree {
    pid_t watchdog;  /* -1: none */
    int watchdog_fd; /* its pipe: closed however we die */
    launch_cg cg;
} launch_tree;

/* Make this run's token (pid and start time), put it in our environment
 * for every child to inherit, and start the watchdog. The token is copied
 * to out. 0, or -1 with errno (no watchdog: the rest still works; t is
 * usable either way). */
int launch_tree_init(launch_tree *t, char *out, size_t outsz);
/* Kill every child of ours but the watchdog, with its whole subtree, and
 * again until none is left (orphans of ended evaluations). How many. */
int launch_tree_sweep(const launch_tree *t);
/* At the end, after every evaluation ended: sweep, remove the run's
 * cgroup, stop the watchdog. */
void launch_tree_free(launch_tree *t);
/* Send sig to our children that carry evaluation eval's number and are
 * not in skip (the pids of evaluations still tracked), and to their
 * process groups (t: the run's tree, NULL for none). Returns how many
 * were found. */
int launch_tree_kill_eval(const launch_tree *t, long eval, int sig, const pid_t *skip,
                          size_t nskip);
/* Send SIGKILL to every process that carries token (any user we may
 * signal), until none is left or about a second has passed. Returns how
 * many were found. */
int launch_tree_kill_run(const char *token);

#endif
