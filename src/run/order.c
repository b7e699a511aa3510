/* Orders of a batch's items (order.h): each sort carries its key beside the
 * index, so that no comparison reads a global. */
#include "order.h"

#include <stdlib.h>

typedef struct keyed {
    double key;
    long eval;
    size_t i;
} keyed;

static int by_key_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int by_eval(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->eval != y->eval)
        return x->eval < y->eval ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int sorted(size_t *order, size_t n, const double *key, const run_batch *b,
                  int (*cmp)(const void *, const void *))
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n < 2)
        return 0;
    keyed *k = malloc(n * sizeof *k);
    if (!k)
        return -1;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){key ? key[i] : 0, b ? b->items[i].eval : 0, i};
    qsort(k, n, sizeof *k, cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = k[i].i;
    free(k);
    return 0;
}

int run_order_by_key(size_t *order, const double *key, size_t n)
{
    return sorted(order, n, key, NULL, by_key_desc);
}

int run_order_by_eval(size_t *order, const run_batch *b)
{
    return sorted(order, b->n, NULL, b, by_eval);
}
