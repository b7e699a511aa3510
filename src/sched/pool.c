#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pnode {
    int down; /* failed: nothing more is placed there */
    int ncores, ngpus;
    int free_cores, free_gpus;
    unsigned char *core_busy, *gpu_busy;
} pnode;

struct sched_pool {
    const alloc_resources *r;
    int nnodes;
    pnode *nodes;
};

sched_pool *sched_pool_new(const alloc_resources *r)
{
    sched_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->r = r;
    p->nnodes = r->nnodes;
    p->nodes = calloc((size_t)(r->nnodes > 0 ? r->nnodes : 1), sizeof *p->nodes);
    if (!p->nodes) {
        free(p);
        return NULL;
    }
    for (int i = 0; i < r->nnodes; i++) {
        pnode *n = &p->nodes[i];
        n->ncores = n->free_cores = r->nodes[i].ncores;
        n->ngpus = n->free_gpus = r->nodes[i].ngpus;
        n->core_busy = calloc((size_t)n->ncores + 1, 1);
        n->gpu_busy = calloc((size_t)n->ngpus + 1, 1);
        if (!n->core_busy || !n->gpu_busy) {
            sched_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void sched_pool_free(sched_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nnodes; i++) {
        free(p->nodes[i].core_busy);
        free(p->nodes[i].gpu_busy);
    }
    free(p->nodes);
    free(p);
}

/* How many tasks of the request node n can take now. */
static int tasks_fit(const pnode *n, const sched_request *q)
{
    if (n->down)
        return 0;
    if (q->exclusive && (n->free_cores != n->ncores || n->free_gpus != n->ngpus))
        return 0;
    int t = q->cores_per_task > 0 ? n->free_cores / q->cores_per_task : q->ntasks;
    if (q->gpus_per_task > 0) {
        int tg = n->free_gpus / q->gpus_per_task;
        if (tg < t)
            t = tg;
    }
    return t;
}

static int take(int want, unsigned char *busy, int total, int **out)
{
    *out = malloc((size_t)(want > 0 ? want : 1) * sizeof **out);
    if (!*out)
        return -1;
    int k = 0;
    for (int i = 0; i < total && k < want; i++)
        if (!busy[i]) {
            busy[i] = 1;
            (*out)[k++] = i;
        }
    return 0;
}

/* Plan how many tasks go on each node: 0, or -1 if it does not fit now. */
static int plan(const sched_pool *p, const sched_request *q, int *per_node)
{
    memset(per_node, 0, (size_t)p->nnodes * sizeof *per_node);
    if (q->nodes > 0) {
        if (q->nodes > p->nnodes || q->ntasks < q->nodes)
            return -1;
        int base = q->ntasks / q->nodes, extra = q->ntasks % q->nodes, chosen = 0;
        for (int i = 0; i < p->nnodes && chosen < q->nodes; i++) {
            int share = base + (chosen < extra ? 1 : 0);
            if (tasks_fit(&p->nodes[i], q) >= share) {
                per_node[i] = share;
                chosen++;
            }
        }
        return chosen == q->nodes ? 0 : -1;
    }
    /* one node when one can take everything: the evaluation stays local */
    for (int i = 0; i < p->nnodes; i++) {
        if (tasks_fit(&p->nodes[i], q) >= q->ntasks) {
            per_node[i] = q->ntasks;
            return 0;
        }
    }
    /* else spread over as few nodes as the free space allows, in order */
    int left = q->ntasks;
    for (int i = 0; i < p->nnodes && left > 0; i++) {
        int t = tasks_fit(&p->nodes[i], q);
        if (t > left)
            t = left;
        per_node[i] = t;
        left -= t;
    }
    return left == 0 ? 0 : -1;
}

int sched_pool_alloc(sched_pool *p, const sched_request *q, sched_placement *out)
{
    int per_node_small[64];
    int *per_node = p->nnodes <= 64 ? per_node_small : malloc((size_t)p->nnodes * sizeof *per_node);
    out->nslices = 0;
    out->slices = NULL;
    if (!per_node)
        return -1;
    int rc = -1;
    if (plan(p, q, per_node) < 0)
        goto done;
    int ns = 0;
    for (int i = 0; i < p->nnodes; i++)
        ns += per_node[i] > 0;
    out->slices = calloc((size_t)ns, sizeof *out->slices);
    if (!out->slices)
        goto done;
    for (int i = 0; i < p->nnodes; i++) {
        if (per_node[i] == 0)
            continue;
        pnode *n = &p->nodes[i];
        sched_slice *s = &out->slices[out->nslices++];
        s->node = i;
        s->ntasks = per_node[i];
        s->ncores = q->exclusive ? n->ncores : per_node[i] * q->cores_per_task;
        s->ngpus = q->exclusive ? n->ngpus : per_node[i] * q->gpus_per_task;
        if (take(s->ncores, n->core_busy, n->ncores, &s->cores) < 0 ||
            take(s->ngpus, n->gpu_busy, n->ngpus, &s->gpus) < 0) {
            sched_pool_release(p, out);
            goto done;
        }
        n->free_cores -= s->ncores;
        n->free_gpus -= s->ngpus;
    }
    rc = 0;
done:
    if (per_node != per_node_small)
        free(per_node);
    return rc;
}

void sched_placement_free(sched_placement *pl)
{
    for (int i = 0; i < pl->nslices; i++) {
        free(pl->slices[i].cores);
        free(pl->slices[i].gpus);
    }
    free(pl->slices);
    pl->slices = NULL;
    pl->nslices = 0;
}

void sched_pool_release(sched_pool *p, sched_placement *pl)
{
    for (int i = 0; i < pl->nslices; i++) {
        sched_slice *s = &pl->slices[i];
        pnode *n = &p->nodes[s->node];
        for (int k = 0; s->cores && k < s->ncores; k++)
            if (n->core_busy[s->cores[k]]) {
                n->core_busy[s->cores[k]] = 0;
                n->free_cores++;
            }
        for (int k = 0; s->gpus && k < s->ngpus; k++)
            if (n->gpu_busy[s->gpus[k]]) {
                n->gpu_busy[s->gpus[k]] = 0;
                n->free_gpus++;
            }
    }
    sched_placement_free(pl);
}

int sched_pool_free_cores(const sched_pool *p)
{
    int t = 0;
    for (int i = 0; i < p->nnodes; i++)
        t += p->nodes[i].free_cores;
    return t;
}

int sched_pool_free_gpus(const sched_pool *p)
{
    int t = 0;
    for (int i = 0; i < p->nnodes; i++)
        t += p->nodes[i].free_gpus;
    return t;
}

int sched_pool_feasible(const sched_pool *p, const sched_request *q, char *msg, size_t msgsz)
{
    const alloc_resources *r = p->r;
    int total_cores = alloc_total_cores(r), total_gpus = alloc_total_gpus(r);
    int max_cores = 0, max_gpus = 0;
    for (int i = 0; i < r->nnodes; i++) {
        if (r->nodes[i].ncores > max_cores)
            max_cores = r->nodes[i].ncores;
        if (r->nodes[i].ngpus > max_gpus)
            max_gpus = r->nodes[i].ngpus;
    }
    long need_cores = (long)q->ntasks * q->cores_per_task;
    long need_gpus = (long)q->ntasks * q->gpus_per_task;
    const char *plural = r->nnodes == 1 ? "" : "s";
    if (q->nodes > r->nnodes) {
        snprintf(msg, msgsz, "needs %d nodes (-N %d), this allocation has %d", q->nodes, q->nodes,
                 r->nnodes);
        return 0;
    }
    if (q->nodes > q->ntasks) {
        snprintf(msg, msgsz, "-N %d needs at least %d tasks, -n is %d", q->nodes, q->nodes,
                 q->ntasks);
        return 0;
    }
    if (need_cores > total_cores) {
        snprintf(msg, msgsz, "needs %ld cores (%d tasks x %d), this allocation has %d (%d node%s)",
                 need_cores, q->ntasks, q->cores_per_task, total_cores, r->nnodes, plural);
        return 0;
    }
    if (need_gpus > total_gpus) {
        snprintf(msg, msgsz, "needs %ld GPUs (%d tasks x %d), this allocation has %d", need_gpus,
                 q->ntasks, q->gpus_per_task, total_gpus);
        return 0;
    }
    if (q->cores_per_task > max_cores) {
        snprintf(msg, msgsz, "a task needs %d cores, the largest node has %d", q->cores_per_task,
                 max_cores);
        return 0;
    }
    if (q->gpus_per_task > max_gpus) {
        snprintf(msg, msgsz, "a task needs %d GPUs, the largest node has %d", q->gpus_per_task,
                 max_gpus);
        return 0;
    }
    /* the rest (how tasks divide over nodes) by trying on an empty sched_pool */
    sched_pool *empty = sched_pool_new(r);
    if (!empty) {
        snprintf(msg, msgsz, "out of memory");
        return 0;
    }
    sched_placement pl;
    int ok = sched_pool_alloc(empty, q, &pl) == 0;
    if (ok)
        sched_placement_free(&pl);
    else
        snprintf(msg, msgsz, "%d tasks x %d cores%s%s do not fit the nodes of this allocation",
                 q->ntasks, q->cores_per_task, q->nodes ? " on -N nodes" : "",
                 q->exclusive ? " (exclusive)" : "");
    sched_pool_free(empty);
    return ok;
}

int sched_pool_node_down(sched_pool *p, int node)
{
    if (node < 0 || node >= p->nnodes || p->nodes[node].down)
        return 0;
    p->nodes[node].down = 1;
    return 1;
}

int sched_pool_nodes_up(const sched_pool *p)
{
    int n = 0;
    for (int i = 0; i < p->nnodes; i++)
        n += !p->nodes[i].down;
    return n;
}
