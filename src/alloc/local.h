/* The local machine's share for this process: the cores of its CPU
 * affinity mask and cgroup cpuset (via hwloc), and its GPUs. */
#ifndef BATCHTILE_ALLOC_LOCAL_H
#define BATCHTILE_ALLOC_LOCAL_H
#include "resources.h"

/* Detect into r. cores > 0 keeps only the first `cores` cores (--cores;
 * more than there are shares the real ones round robin, and says so in
 * r->oversubscribed);
 * gpus >= 0 declares that many GPUs, ids 0..gpus-1 (--gpus). GPUs come
 * otherwise from CUDA_VISIBLE_DEVICES / ROCR_VISIBLE_DEVICES when set, else
 * from hwloc's OS devices. 0, or -1 with msg set. */
int alloc_local_detect(alloc_resources *r, int cores, int gpus, char *msg, size_t msgsz);

#endif
