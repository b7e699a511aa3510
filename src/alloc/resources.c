#include "resources.h"

#include <stdio.h>
#include <stdlib.h>

void alloc_resources_free(alloc_resources *r)
{
    for (int i = 0; i < r->nnodes; i++) {
        alloc_node *n = &r->nodes[i];
        free(n->name);
        if (n->core_pus)
            for (int c = 0; c < n->ncores; c++)
                free(n->core_pus[c]);
        free(n->core_pus);
        for (int g = 0; g < n->ngpus; g++)
            free(n->gpu_ids[g]);
        free(n->gpu_ids);
    }
    free(r->nodes);
    r->nodes = NULL;
    r->nnodes = 0;
}

int alloc_total_cores(const alloc_resources *r)
{
    int t = 0;
    for (int i = 0; i < r->nnodes; i++)
        t += r->nodes[i].ncores;
    return t;
}

int alloc_total_gpus(const alloc_resources *r)
{
    int t = 0;
    for (int i = 0; i < r->nnodes; i++)
        t += r->nodes[i].ngpus;
    return t;
}

void alloc_format_cpus(const int *cpus, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; cpus[i] >= 0;) {
        int j = i;
        while (cpus[j + 1] >= 0 && cpus[j + 1] == cpus[j] + 1)
            j++;
        int n = j > i ? snprintf(out + o, outsz - o, "%s%d-%d", o ? "," : "", cpus[i], cpus[j])
                      : snprintf(out + o, outsz - o, "%s%d", o ? "," : "", cpus[i]);
        if (n < 0 || (size_t)n >= outsz - o)
            return;
        o += (size_t)n;
        i = j + 1;
    }
}

void alloc_print(const alloc_resources *r, FILE *f)
{
    fprintf(f, "%-8s %5s %6s %5s  %s\n", "BACKEND", "NODES", "CORES", "GPUS", "NODELIST");
    fprintf(f, "%-8s %5d %6d %5d  ", r->backend, r->nnodes, alloc_total_cores(r),
            alloc_total_gpus(r));
    for (int i = 0; i < r->nnodes; i++)
        fprintf(f, "%s%s", i ? "," : "", r->nodes[i].name);
    fputc('\n', f);
    for (int i = 0; i < r->nnodes; i++) {
        const alloc_node *n = &r->nodes[i];
        fprintf(f, "  %s: %d core%s", n->name, n->ncores, n->ncores == 1 ? "" : "s");
        if (n->core_pus) {
            /* the logical CPUs of all cores together */
            size_t total = 0;
            for (int c = 0; c < n->ncores; c++)
                for (int k = 0; n->core_pus[c][k] >= 0; k++)
                    total++;
            int *all = malloc((total + 1) * sizeof *all);
            if (all) {
                size_t o = 0;
                for (int c = 0; c < n->ncores; c++)
                    for (int k = 0; n->core_pus[c][k] >= 0; k++)
                        all[o++] = n->core_pus[c][k];
                all[o] = -1;
                char list[4096];
                alloc_format_cpus(all, list, sizeof list);
                fprintf(f, " (cpus %s)", list);
                free(all);
            }
        }
        fprintf(f, ", %d GPU%s", n->ngpus, n->ngpus == 1 ? "" : "s");
        for (int g = 0; g < n->ngpus; g++)
            fprintf(f, "%s%s", g ? "," : " (", n->gpu_ids[g]);
        if (n->ngpus)
            fputc(')', f);
        if (r->gpu_source && n->ngpus)
            fprintf(f, " from %s", r->gpu_source);
        fputc('\n', f);
    }
}
