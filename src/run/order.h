/* Orders of a batch's items, without global state: the order evaluations
 * start in (--order: by a key, largest first, ties in batch order) and the
 * items sorted by evaluation number (for resume's look-ups). */
#ifndef BATCHTILE_RUN_ORDER_H
#define BATCHTILE_RUN_ORDER_H
#include <stddef.h>

#include "batch.h"

/* order[0..n) := 0..n-1 sorted by key[] descending, ties by index. 0, or -1
 * when out of memory (order is then 0..n-1). */
int run_order_by_key(size_t *order, const double *key, size_t n);
/* order[0..b->n) := the item indices sorted by evaluation number (ties by
 * index). 0, or -1 when out of memory (order is then 0..n-1). */
int run_order_by_eval(size_t *order, const run_batch *b);

#endif
