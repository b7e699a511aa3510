#include "detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flux.h"
#include "local.h"
#include "slurm.h"

const char *alloc_backend_choose(const char *name)
{
    if (strcmp(name, "auto") != 0)
        return name;
    const char *v;
    if ((v = getenv("FLUX_URI")) && *v)
        return "flux";
    if ((v = getenv("SLURM_JOB_ID")) && *v)
        return "slurm";
    return "local";
}

int alloc_detect(const char *backend, int cores, int gpus, alloc_resources *r, char *msg,
                 size_t msgsz)
{
    if (strcmp(backend, "local") == 0)
        return alloc_local_detect(r, cores, gpus, msg, msgsz);
    if (strcmp(backend, "slurm") == 0) {
        if (alloc_slurm_detect(r, gpus, msg, msgsz) < 0)
            return -1;
        if ((r->ends_at = alloc_slurm_ends_at()) > 0)
            r->ends_source = "squeue %L";
        return 0;
    }
    if (strcmp(backend, "flux") == 0)
        return alloc_flux_detect(r, msg, msgsz);
    snprintf(msg, msgsz, "--backend: expected auto, local, slurm or flux, found '%s'", backend);
    return -1;
}
