#include "flux.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#ifdef BT_HAVE_FLUX
#include <flux/core.h>
#include <jansson.h>

#include "hostlist.h"

/* An idset "0-2,5" into a list of ids (malloc'd), *n of them. */
static int *idset(const char *s, int *n)
{
    int *v = NULL, cap = 0;
    *n = 0;
    while (s && *s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        for (long i = a; i <= b; i++) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                int *nv = realloc(v, (size_t)cap * sizeof *nv);
                if (!nv)
                    return v;
                v = nv;
            }
            v[(*n)++] = (int)i;
        }
        s = *end == ',' ? end + 1 : end;
    }
    return v;
}

/* Is rank one of the ranks of the R object r (its R_lite)? */
static int r_has_rank(json_t *r, int rank)
{
    json_t *ent;
    size_t k;
    json_array_foreach(json_object_get(json_object_get(r, "execution"), "R_lite"), k, ent) {
        int n, *ranks = idset(json_string_value(json_object_get(ent, "rank")), &n), has = 0;
        for (int i = 0; i < n; i++)
            has |= ranks[i] == rank;
        free(ranks);
        if (has)
            return 1;
    }
    return 0;
}

/* The scheduler's view of the instance's resources: all, down, allocated. */
static flux_future_t *sched_status(flux_t *h, json_t **all, json_t **down)
{
    flux_future_t *f = flux_rpc(h, "resource.sched-status", NULL, FLUX_NODEID_ANY, 0);
    *down = NULL;
    if (f && flux_rpc_get_unpack(f, "{s:o s?o}", "all", all, "down", down) == 0)
        return f;
    flux_future_destroy(f);
    f = flux_rpc(h, "sched.resource-status", NULL, 0, 0);
    if (f && flux_rpc_get_unpack(f, "{s:o s?o}", "all", all, "down", down) == 0)
        return f;
    flux_future_destroy(f);
    return NULL;
}

int alloc_flux_rank_down(struct flux_handle *h, int rank)
{
    json_t *all, *down;
    flux_future_t *f = sched_status(h, &all, &down);
    int r = f ? r_has_rank(down, rank) : -1;
    flux_future_destroy(f);
    return r;
}

int alloc_flux_detect(alloc_resources *r, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    r->backend = "flux";
    r->gpu_var = "CUDA_VISIBLE_DEVICES";
    r->gpu_source = "the Flux instance";
    flux_t *h = flux_open(NULL, 0);
    if (!h) {
        snprintf(msg, msgsz, "cannot connect to the Flux instance (FLUX_URI=%s)",
                 getenv("FLUX_URI") ? getenv("FLUX_URI") : "unset");
        return -1;
    }
    json_t *all = NULL, *down = NULL;
    flux_future_t *f = sched_status(h, &all, &down);
    if (!f) {
        snprintf(msg, msgsz, "the Flux instance did not say what resources it has: %s",
                 strerror(errno));
        flux_close(h);
        return -1;
    }
    json_t *rlite = json_object_get(json_object_get(all, "execution"), "R_lite");
    json_t *nodelist = json_object_get(json_object_get(all, "execution"), "nodelist");
    /* host names, one per rank, from the nodelist hostlists */
    char **hosts = NULL;
    size_t nhosts = 0;
    for (size_t i = 0; i < json_array_size(nodelist); i++) {
        char **h2;
        size_t n2;
        const char *expr = json_string_value(json_array_get(nodelist, i));
        if (expr && alloc_hostlist_expand(expr, &h2, &n2, msg, msgsz) == 0) {
            hosts = realloc(hosts, (nhosts + n2) * sizeof *hosts);
            memcpy(hosts + nhosts, h2, n2 * sizeof *h2);
            nhosts += n2;
            free(h2);
        }
    }
    int maxrank = -1;
    json_t *ent;
    size_t k;
    json_array_foreach(rlite, k, ent) {
        int n, *ranks = idset(json_string_value(json_object_get(ent, "rank")), &n);
        for (int i = 0; i < n; i++)
            if (ranks[i] > maxrank)
                maxrank = ranks[i];
        free(ranks);
    }
    r->nnodes = maxrank + 1;
    r->nodes = calloc((size_t)(r->nnodes > 0 ? r->nnodes : 1), sizeof *r->nodes);
    json_array_foreach(rlite, k, ent) {
        int n, nc, ng;
        int *ranks = idset(json_string_value(json_object_get(ent, "rank")), &n);
        json_t *ch = json_object_get(ent, "children");
        int *cores = idset(json_string_value(json_object_get(ch, "core")), &nc);
        int *gpus = idset(json_string_value(json_object_get(ch, "gpu")), &ng);
        for (int i = 0; i < n; i++) {
            alloc_node *node = &r->nodes[ranks[i]];
            /* a rank that is down (offline, drained, excluded) takes no work */
            int up = !r_has_rank(down, ranks[i]);
            node->ncores = up ? nc : 0;
            node->ngpus = up ? ng : 0;
            node->gpu_ids = calloc((size_t)(ng > 0 ? ng : 1), sizeof *node->gpu_ids);
            for (int g = 0; g < node->ngpus; g++) {
                char id[16];
                snprintf(id, sizeof id, "%d", gpus[g]);
                node->gpu_ids[g] = strdup(id);
            }
        }
        free(ranks);
        free(cores);
        free(gpus);
    }
    for (int i = 0; i < r->nnodes; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s/rank%d", (size_t)i < nhosts ? hosts[i] : "?", i);
        r->nodes[i].name = strdup(name);
        if (!r->nodes[i].gpu_ids)
            r->nodes[i].gpu_ids = calloc(1, sizeof(char *));
    }
    alloc_hostlist_free(hosts, nhosts);
    flux_future_destroy(f);
    /* when this instance (or the job we run in) ends */
    double left = 0;
    flux_error_t ferr;
    if (flux_job_timeleft(h, &ferr, &left) == 0 && isfinite(left) && left > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r->ends_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + left;
        r->ends_source = "flux_job_timeleft";
    }
    flux_close(h);
    if (r->nnodes == 0) {
        snprintf(msg, msgsz, "the Flux instance reports no resources");
        return -1;
    }
    return 0;
}
#else
int alloc_flux_rank_down(struct flux_handle *h, int rank)
{
    (void)h;
    (void)rank;
    return -1;
}

int alloc_flux_detect(alloc_resources *r, char *msg, size_t msgsz)
{
    memset(r, 0, sizeof *r);
    snprintf(msg, msgsz, "this batchtile was built without flux-core (pkg-config flux-core "
                         "found nothing at build time); rebuild where flux-core is installed, or "
                         "use --backend local");
    return -1;
}
#endif
