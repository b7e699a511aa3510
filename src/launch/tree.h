/* Whole process trees: every process an evaluation starts, daemons that
 * left its process group (setsid) included, carries the run's token
 * (BATCHTILE_RUN) and its evaluation number (BATCHTILE_EVAL) in its
 * environment. batchtile is a child subreaper, so such a daemon becomes
 * our child when its parent exits: found there and killed when its
 * evaluation ends or runs out of time. A watchdog process kills whatever
 * still carries the token when the driver itself dies (kill -9), and a
 * resumed run kills what earlier runs of the same journal left. */
#ifndef BATCHTILE_LAUNCH_TREE_H
#define BATCHTILE_LAUNCH_TREE_H
#include <stddef.h>
#include <sys/types.h>

/* Make this run's token (pid and start time), put it in our environment
 * for every child to inherit, and start the watchdog. The token is copied
 * to out. 0, or -1 with errno (no watchdog: the rest still works). */
int launch_tree_init(char *out, size_t outsz);
/* Stop the watchdog (at a normal end, after every evaluation ended). */
void launch_tree_fini(void);
/* Send sig to our children that carry evaluation eval's number and are
 * not in skip (the pids of evaluations still tracked), and to their
 * process groups. Returns how many were found. */
int launch_tree_kill_eval(long eval, int sig, const pid_t *skip, size_t nskip);
/* Send SIGKILL to every process that carries token (any user we may
 * signal), until none is left or about a second has passed. Returns how
 * many were found. */
int launch_tree_kill_run(const char *token);

#endif
