#define _GNU_SOURCE
#include "local.h"

#include <dirent.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GPU ids from a visibility variable: "0,2" -> {"0","2"}; "" -> none. */
static int gpus_from_env(const char *v, char ***ids)
{
    int n = 0;
    char *copy = strdup(v), *save = NULL;
    if (!copy)
        return -1;
    *ids = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!*t || strcmp(t, "NoDevFiles") == 0)
            continue;
        char **ni = realloc(*ids, (size_t)(n + 1) * sizeof *ni);
        if (!ni)
            break;
        *ids = ni;
        (*ids)[n++] = strdup(t);
    }
    free(copy);
    return n;
}

/* GPUs hwloc sees as OS devices (CUDA, NVML, RSMI, OpenCL back ends). */
static int gpus_from_hwloc(hwloc_topology_t topo, int *amd)
{
    int n = 0;
    for (hwloc_obj_t o = hwloc_get_next_osdev(topo, NULL); o; o = hwloc_get_next_osdev(topo, o)) {
        if (o->attr->osdev.type != HWLOC_OBJ_OSDEV_GPU &&
            o->attr->osdev.type != HWLOC_OBJ_OSDEV_COPROC)
            continue;
        /* one per physical device: count the CUDA/RSMI names, or NVML when alone */
        if (o->name && (strncmp(o->name, "cuda", 4) == 0 || strncmp(o->name, "rsmi", 4) == 0))
            n++;
        if (o->name && strncmp(o->name, "rsmi", 4) == 0)
            *amd = 1;
    }
    if (n == 0) {
        for (hwloc_obj_t o = hwloc_get_next_osdev(topo, NULL); o;
             o = hwloc_get_next_osdev(topo, o))
            if (o->name && strncmp(o->name, "nvml", 4) == 0)
                n++;
    }
    return n;
}

static int gpus_from_dev(void)
{
    int n = 0;
    DIR *d = opendir("/dev");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "nvidia", 6) == 0 && e->d_name[6] >= '0' && e->d_name[6] <= '9')
            n++;
    closedir(d);
    return n;
}

static char **numbered_ids(int n)
{
    char **ids = calloc((size_t)(n > 0 ? n : 1), sizeof *ids);
    for (int i = 0; ids && i < n; i++) {
        char num[16];
        snprintf(num, sizeof num, "%d", i);
        ids[i] = strdup(num);
    }
    return ids;
}

int alloc_local_detect(alloc_resources *r, int cores, int gpus, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    r->backend = "local";
    r->gpu_var = "CUDA_VISIBLE_DEVICES";
    hwloc_topology_t topo;
    /* the plugins left out below are not even loaded: each is a dlopen of
     * large libraries (OpenCL, X11 and GL, libpciaccess, libxml2), most of
     * a short run's start; the variable is ours only for the load, so
     * that evaluations inherit the user's environment, not ours */
    int set_blacklist = getenv("HWLOC_PLUGINS_BLACKLIST") == NULL;
    if (set_blacklist)
        setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_gl,hwloc_opencl,hwloc_pci,hwloc_xml_libxml", 1);
    int init = hwloc_topology_init(&topo);
    if (set_blacklist)
        unsetenv("HWLOC_PLUGINS_BLACKLIST");
    if (init < 0) {
        snprintf(msg, msgsz, "hwloc: cannot initialise the topology");
        return -1;
    }
    const char *cuda = getenv("CUDA_VISIBLE_DEVICES"), *rocr = getenv("ROCR_VISIBLE_DEVICES");
    int want_io = gpus < 0 && !cuda && !rocr;
    if (want_io) {
        hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        /* GPUs come from the CUDA, NVML, RSMI and OpenCL components; the PCI
         * bus walk (libhwloc-plugins' hwloc_pci, over libpciaccess) adds only
         * bridges to that, costs time, and leaks about 1 KB in libpciaccess
         * on every load (LeakSanitizer sees it): leave it out */
        hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
        /* and so does the linux component's own walk of /sys/bus/pci (a read
         * of each device's config space: a millisecond each in a VM, a
         * good part of a short run's start) and its disks, NICs and DRM
         * cards: no GPU is counted from them */
        hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
                                      "linux:pci");
        hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
                                      "linux:io");
    }
    /* never a display: the GL component tries X servers :0..:N on every
     * load (a compute node has none), and OpenCL's ICD loader may start
     * drivers; the CUDA, NVML and RSMI components find the GPUs */
    hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "gl");
    hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "opencl");
    if (hwloc_topology_load(topo) < 0) {
        hwloc_topology_destroy(topo);
        snprintf(msg, msgsz, "hwloc: cannot load the topology");
        return -1;
    }
    /* what we may use: our affinity mask, within the cgroup's allowed cpus */
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    if (hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) < 0)
        hwloc_bitmap_copy(allowed, hwloc_topology_get_complete_cpuset(topo));
    hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_allowed_cpuset(topo));

    alloc_node *node = calloc(1, sizeof *node);
    r->nodes = node;
    r->nnodes = 1;
    char host[256] = "localhost";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    node->name = strdup(host);

    int ncore_objs = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    hwloc_obj_type_t unit = ncore_objs > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int nobjs = hwloc_get_nbobjs_by_type(topo, unit);
    node->core_pus = calloc((size_t)(nobjs > 0 ? nobjs : 1), sizeof *node->core_pus);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    for (int i = 0; i < nobjs; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, unit, (unsigned)i);
        hwloc_bitmap_and(set, o->cpuset, allowed);
        int w = hwloc_bitmap_weight(set);
        if (w <= 0)
            continue;
        if (cores > 0 && node->ncores >= cores)
            break;
        int *pus = malloc((size_t)(w + 1) * sizeof *pus), k = 0;
        unsigned id;
        hwloc_bitmap_foreach_begin(id, set) { pus[k++] = (int)id; }
        hwloc_bitmap_foreach_end();
        pus[k] = -1;
        node->core_pus[node->ncores++] = pus;
    }
    hwloc_bitmap_free(set);
    hwloc_bitmap_free(allowed);

    if (gpus >= 0) {
        node->ngpus = gpus;
        node->gpu_ids = numbered_ids(gpus);
        r->gpu_source = "--gpus";
    } else if (cuda || rocr) {
        node->ngpus = gpus_from_env(cuda ? cuda : rocr, &node->gpu_ids);
        r->gpu_source = cuda ? "CUDA_VISIBLE_DEVICES" : "ROCR_VISIBLE_DEVICES";
        r->gpu_var = r->gpu_source;
    } else {
        int amd = 0;
        int n = gpus_from_hwloc(topo, &amd);
        r->gpu_source = "hwloc";
        if (amd)
            r->gpu_var = "ROCR_VISIBLE_DEVICES";
        if (n == 0) {
            n = gpus_from_dev();
            r->gpu_source = "/dev/nvidia*";
        }
        node->ngpus = n;
        node->gpu_ids = numbered_ids(n);
    }
    if (node->ngpus < 0)
        node->ngpus = 0;
    hwloc_topology_destroy(topo);
    if (node->ncores == 0) {
        snprintf(msg, msgsz, "hwloc: found no core this process may use");
        alloc_resources_free(r);
        return -1;
    }
    if (cores > node->ncores) {
        /* more cores than there are: the user asks to oversubscribe; the
         * extra cores share the real ones' CPUs, round robin */
        int real = node->ncores;
        int **pus = realloc(node->core_pus, (size_t)cores * sizeof *pus);
        if (!pus) {
            snprintf(msg, msgsz, "out of memory");
            alloc_resources_free(r);
            return -1;
        }
        node->core_pus = pus;
        for (int c = real; c < cores; c++) {
            const int *src = pus[c % real];
            int k = 0;
            while (src[k] >= 0)
                k++;
            pus[c] = malloc((size_t)(k + 1) * sizeof **pus);
            memcpy(pus[c], src, (size_t)(k + 1) * sizeof **pus);
            node->ncores++;
        }
        r->oversubscribed = real;
    }
    return 0;
}
