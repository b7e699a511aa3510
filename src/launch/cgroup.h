/* Per-evaluation cgroups (v2), where this process may make them below its
 * own cgroup (root, or a delegated subtree) and the kernel has cgroup.kill
 * (5.14): a run's cgroup <own>/batchtile-<token>, one cgroup per running
 * evaluation below it (e0, e1, ... reused once empty). Every process an
 * evaluation starts stays in its cgroup however it detaches (setsid,
 * double fork, an empty environment), so that all of them are killed with
 * it; the watchdog and a resumed run kill the run's cgroup whole. Where no
 * cgroup can be made, tree.h's sub-reaper sweep is all there is. */
#ifndef BATCHTILE_LAUNCH_CGROUP_H
#define BATCHTILE_LAUNCH_CGROUP_H
#include <sys/types.h>

/* One cgroup per running evaluation, below the run's. */
typedef struct launch_cg_slot {
    int dfd;       /* the slot's directory */
    int events_fd; /* its cgroup.events, kept open (read again at offset 0) */
    int procs_fd;  /* its cgroup.procs, kept open for writing */
    int busy;      /* an evaluation is attached */
    int dirty;     /* still populated when its evaluation was released */
} launch_cg_slot;

/* The run's cgroups; every function takes NULL as "not in use". */
typedef struct launch_cg {
    char run_dir[4096]; /* <our cgroup>/batchtile-<token>, "" when not in use */
    int run_dfd;
    launch_cg_slot *slots;
    int nslots, capslots;
    int moved_once; /* a move has worked: a later refusal is that process's */
} launch_cg;

/* Make the run's cgroup (cg is then in use, or set "not in use"). 0, or -1
 * when cgroups cannot be used here (or BATCHTILE_CGROUP=off says not to). */
int launch_cg_init(launch_cg *cg, const char *token);
/* The run's cgroup directory, or NULL when not in use. */
const char *launch_cg_dir(const launch_cg *cg);
/* Take a free cgroup for an evaluation about to start, which joins it
 * itself before exec (ut_spawn's cgroup_fd): its slot and *procs_fd, or -1
 * (not in use). Then launch_cg_joined. */
int launch_cg_claim(launch_cg *cg, int *procs_fd);
/* The claimed slot's process started: err 0 when it joined (the slot
 * returned), else why not (the slot is free again, -1 returned; cgroups
 * given up where we have not the right). The slot of a process that did
 * not start at all goes back with launch_cg_release. */
int launch_cg_joined(launch_cg *cg, int slot, int err);
/* Send sig to every process in slot's cgroup (SIGKILL: cgroup.kill). */
void launch_cg_signal(launch_cg *cg, int slot, int sig);
/* The evaluation of slot has ended: kill what it left. 1 when there was
 * something, else 0. */
int launch_cg_release(launch_cg *cg, int slot);
/* Kill and remove the run's cgroup (the normal end). */
void launch_cg_free(launch_cg *cg);
/* Kill and remove the cgroup of the run with this token, where it exists
 * (the watchdog, and a resumed run for an interrupted one's). 1 when it
 * existed. */
int launch_cg_kill_run(const char *token);

#endif
