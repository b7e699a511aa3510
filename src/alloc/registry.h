/* The cores of this node that other batchtile drivers of the same
 * allocation already use: a registry file per allocation and node (by
 * SLURM_JOB_ID, FLUX_JOB_ID, else the machine) in a runtime directory of
 * ours ($XDG_RUNTIME_DIR/batchtile, else /tmp/batchtile-UID, mode 0700).
 * Each driver records the cores it took (the file flock'd while read and
 * rewritten; entries of dead processes dropped), so that a second one
 * takes only the free ones, and waits, with a line, while none is. */
#ifndef BATCHTILE_ALLOC_REGISTRY_H
#define BATCHTILE_ALLOC_REGISTRY_H
#include <signal.h>
#include <stddef.h>

#include "resources.h"

/* One driver's claim: the registry file its entry is in ("" for none). */
typedef struct alloc_registry {
    char path[4096];
} alloc_registry;

/* Take the cores of r's first node that no live driver holds: r keeps only
 * those; a line on stderr names what others hold. Waits while none is
 * free, until one of the signals in stop (blocked by the caller) is
 * pending: then r is unchanged and nothing recorded, for the caller to act
 * on the signal before it starts anything. reg records where our entry is
 * (empty when none was made). 0 (also when no registry can be kept: r
 * unchanged, with a line), or -1 with msg set. */
int alloc_registry_claim(alloc_registry *reg, alloc_resources *r, const sigset_t *stop,
                         char *msg, size_t msgsz);
/* Drop reg's entry (at the run's end; a dead driver's is dropped by the
 * next); reg is then empty. */
void alloc_registry_release(alloc_registry *reg);

#endif
