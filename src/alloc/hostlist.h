/* Slurm hostlist expressions: "cn[001-004,010],gpu7" <-> host names. */
#ifndef BATCHTILE_ALLOC_HOSTLIST_H
#define BATCHTILE_ALLOC_HOSTLIST_H
#include <stddef.h>

/* Expand expr into *hosts (malloc'd array of malloc'd names, *n of them):
 * comma-separated names, each with any number of bracket groups of
 * numbers and ranges (zero padding kept: "[08-10]" gives 08 09 10).
 * 0, or -1 with msg set when malformed. */
int alloc_hostlist_expand(const char *expr, char ***hosts, size_t *n, char *msg, size_t msgsz);
void alloc_hostlist_free(char **hosts, size_t n);
/* Per-node counts as Slurm writes them ("36(x3),24"): expand into n values.
 * 0, or -1 when malformed or the total is not n. */
int alloc_expand_counts(const char *spec, int *out, size_t n);

#endif
