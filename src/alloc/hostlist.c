#include "hostlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct names {
    char **v;
    size_t n, cap;
} names;

/* More names than any allocation has nodes: a malformed expression
 * ("n[0-999][0-999][0-999]"), not a cluster. */
#define HOSTLIST_MAX 1000000

static int add(names *l, char *s)
{
    if (!s)
        return -1;
    if (l->n >= HOSTLIST_MAX) {
        free(s);
        return -2;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv) {
            free(s);
            return -1;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

/* Expand one name (no top-level comma): prefix, then a bracket group, then
 * the rest expanded recursively. */
static int expand_one(const char *pre, size_t prelen, const char *s, names *out, char *msg,
                      size_t msgsz)
{
    const char *open = strchr(s, '[');
    if (!open) {
        size_t len = prelen + strlen(s);
        char *name = malloc(len + 1);
        if (!name)
            return -1;
        memcpy(name, pre, prelen);
        strcpy(name + prelen, s);
        return add(out, name);
    }
    const char *close = strchr(open, ']');
    if (!close) {
        snprintf(msg, msgsz, "hostlist: expected ']' after '%s'", open);
        return -1;
    }
    if (close == open + 1) {
        /* said at once: a later empty group would otherwise be reached once
         * for every combination of the groups before it */
        snprintf(msg, msgsz, "hostlist: expected a number or range in '[]'");
        return -1;
    }
    size_t headlen = (size_t)(open - s);
    char *head = malloc(prelen + headlen + 64);
    if (!head)
        return -1;
    memcpy(head, pre, prelen);
    memcpy(head + prelen, s, headlen);
    /* each comma-separated item of the group: N or A-B */
    const char *p = open + 1;
    int rc = 0;
    while (rc == 0 && p < close) {
        const char *q = p;
        while (q < close && *q != ',')
            q++;
        char item[64];
        size_t ilen = (size_t)(q - p);
        if (ilen == 0 || ilen >= sizeof item) {
            snprintf(msg, msgsz, "hostlist: empty or overlong range in '%.*s'",
                     (int)(close - open + 1), open);
            rc = -1;
            break;
        }
        memcpy(item, p, ilen);
        item[ilen] = '\0';
        char *dash = strchr(item, '-'), *end;
        if (dash)
            *dash = '\0';
        unsigned long lo = strtoul(item, &end, 10), hi = lo;
        int width = (int)strlen(item);
        if (*item < '0' || *item > '9' || *end) {
            snprintf(msg, msgsz, "hostlist: expected a number or range in '%.*s'",
                     (int)(close - open + 1), open);
            rc = -1;
            break;
        }
        if (dash) {
            hi = strtoul(dash + 1, &end, 10);
            if (dash[1] < '0' || dash[1] > '9' || *end || hi < lo || hi - lo > 1000000) {
                snprintf(msg, msgsz, "hostlist: bad range '%s-%s'", item, dash + 1);
                rc = -1;
                break;
            }
        }
        for (unsigned long v = lo; rc == 0 && v <= hi; v++) {
            int w = snprintf(head + prelen + headlen, 64, "%0*lu", width, v);
            rc = expand_one(head, prelen + headlen + (size_t)w, close + 1, out, msg, msgsz);
        }
        p = q < close ? q + 1 : q;
    }
    free(head);
    return rc;
}

int alloc_hostlist_expand(const char *expr, char ***hosts, size_t *n, char *msg, size_t msgsz)
{
    names out = {NULL, 0, 0};
    if (msgsz)
        msg[0] = '\0';
    char *copy = strdup(expr);
    int rc = copy ? 0 : -1;
    /* split at commas outside brackets */
    char *p = copy;
    while (rc == 0 && p && *p) {
        char *q = p;
        int depth = 0;
        while (*q && (depth || *q != ',')) {
            if (*q == '[')
                depth++;
            else if (*q == ']')
                depth--;
            q++;
        }
        char save = *q;
        *q = '\0';
        if (*p == '\0' || depth) {
            snprintf(msg, msgsz, "hostlist: malformed '%s'", expr);
            rc = -1;
        } else {
            rc = expand_one("", 0, p, &out, msg, msgsz);
        }
        p = save ? q + 1 : q;
    }
    free(copy);
    if (rc == 0 && out.n == 0) {
        snprintf(msg, msgsz, "hostlist: no host in '%s'", expr);
        rc = -1;
    }
    if (rc == -2)
        snprintf(msg, msgsz, "hostlist: '%.200s' names more than %d hosts", expr, HOSTLIST_MAX);
    else if (rc < 0 && msgsz && !msg[0])
        snprintf(msg, msgsz, "hostlist: out of memory");
    if (rc < 0) {
        alloc_hostlist_free(out.v, out.n);
        return -1;
    }
    *hosts = out.v;
    *n = out.n;
    return 0;
}

void alloc_hostlist_free(char **hosts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(hosts[i]);
    free(hosts);
}

int alloc_expand_counts(const char *spec, int *out, size_t n)
{
    size_t k = 0;
    const char *p = spec;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0)
            return -1;
        long rep = 1;
        p = end;
        if (*p == '(') {
            if (p[1] != 'x')
                return -1;
            rep = strtol(p + 2, &end, 10);
            if (end == p + 2 || *end != ')' || rep < 1)
                return -1;
            p = end + 1;
        }
        for (long r = 0; r < rep; r++) {
            if (k == n)
                return -1;
            out[k++] = (int)v;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return k == n ? 0 : -1;
}
