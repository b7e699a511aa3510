/* Which backend a run uses, and the resources it offers. */
#ifndef BATCHTILE_ALLOC_DETECT_H
#define BATCHTILE_ALLOC_DETECT_H
#include <stddef.h>

#include "resources.h"

/* "auto" becomes "flux" when FLUX_URI is set, else "slurm" inside a Slurm
 * allocation (SLURM_JOB_ID), else "local"; other names are returned as
 * they are. */
const char *alloc_backend_choose(const char *name);
/* Detect the resources of backend (already chosen). cores/gpus: the local
 * overrides (0 / -1 to detect). 0, or -1 with msg set. */
int alloc_detect(const char *backend, int cores, int gpus, alloc_resources *r, char *msg,
                 size_t msgsz);

#endif
