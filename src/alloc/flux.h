/* A Flux instance's resources (FLUX_URI): every broker rank with its cores
 * and GPUs, from the scheduler's resource status (a rank that is down has
 * none). */
#ifndef BATCHTILE_ALLOC_FLUX_H
#define BATCHTILE_ALLOC_FLUX_H
#include <stddef.h>

#include "resources.h"

/* Detect into r. 0, or -1 with msg set (no instance, or flux-core is not
 * built in). */
int alloc_flux_detect(alloc_resources *r, char *msg, size_t msgsz);

struct flux_handle;
/* Is the instance's rank down now (offline, drained, excluded), as its
 * scheduler sees it? 1, 0, or -1 when it cannot be asked. */
int alloc_flux_rank_down(struct flux_handle *h, int rank);

#endif
