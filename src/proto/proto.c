/* The node agents' protocol: see proto.h. */
#define _GNU_SOURCE
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BT_VERSION
#define BT_VERSION "unknown"
#endif

int proto_version(const char *role)
{
    const char *v = strcmp(role, "agent") == 0 ? getenv("BATCHTILE_AGENT_PROTOCOL") : NULL;
    return v && *v ? atoi(v) : PROTO_VERSION;
}

const char *proto_bt_version(void)
{
    return BT_VERSION;
}

static int reserve(char **d, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *nd = realloc(*d, c);
    if (!nd)
        return -1;
    *d = nd;
    *cap = c;
    return 0;
}

int proto_put(proto_out *o, json_t *msg)
{
    if (!msg)
        return -1;
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!s)
        return -1;
    size_t len = strlen(s);
    int r = reserve(&o->d, &o->cap, o->n + len + 1);
    if (r == 0) {
        memcpy(o->d + o->n, s, len);
        o->d[o->n + len] = '\n';
        o->n += len + 1;
    }
    free(s);
    return r;
}

int proto_flush(proto_out *o, int fd, int block)
{
    size_t done = 0;
    while (done < o->n) {
        ssize_t w = write(fd, o->d + done, o->n - done);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            if (!block)
                break;
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 1000);
            continue;
        }
        return -1;
    }
    memmove(o->d, o->d + done, o->n - done);
    o->n -= done;
    return 0;
}

void proto_out_free(proto_out *o)
{
    free(o->d);
    o->d = NULL;
    o->n = o->cap = 0;
}

int proto_read(proto_in *in, int fd)
{
    if (in->off > 0 && in->off == in->n)
        in->off = in->n = 0;
    for (;;) {
        if (in->off > 0 && in->n + 4096 > in->cap) {
            memmove(in->d, in->d + in->off, in->n - in->off);
            in->n -= in->off;
            in->off = 0;
        }
        if (reserve(&in->d, &in->cap, in->n + 65536) < 0)
            return -1;
        ssize_t r = read(fd, in->d + in->n, in->cap - in->n);
        if (r > 0) {
            in->n += (size_t)r;
            return 1; /* one read a call: a blocking fd does not wait for more */
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN ? 1 : -1;
    }
}

json_t *proto_next(proto_in *in, int *bad)
{
    *bad = 0;
    for (;;) {
        char *start = in->d + in->off;
        char *nl = in->n > in->off ? memchr(start, '\n', in->n - in->off) : NULL;
        if (!nl)
            return NULL;
        size_t len = (size_t)(nl - start);
        in->off += len + 1;
        if (len == 0)
            continue;
        json_error_t err;
        json_t *j = json_loadb(start, len, 0, &err);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            *bad = 1;
            return NULL;
        }
        return j;
    }
}

void proto_in_free(proto_in *in)
{
    free(in->d);
    in->d = NULL;
    in->n = in->cap = in->off = 0;
}

json_t *proto_hello(const char *role, const char *node, json_t *extra)
{
    json_t *h = json_pack("{s:s, s:i, s:s, s:s}", "hello", role, "protocol", proto_version(role),
                          "version", BT_VERSION, "node", node ? node : "");
    if (h && extra)
        json_object_update(h, extra);
    json_decref(extra);
    return h;
}

int proto_hello_check(const json_t *hello, const char *me, const char *where, char *msg,
                      size_t msgsz)
{
    const char *role = "", *version = "?", *node = "";
    int proto = -1;
    if (!hello || json_unpack((json_t *)hello, "{s:s, s:i, s?s, s?s}", "hello", &role, "protocol",
                              &proto, "version", &version, "node", &node) < 0) {
        snprintf(msg, msgsz, "%s: the peer's first line is no batchtile agent hello: "
                             "install the same batchtile on every node", where);
        return -1;
    }
    if (proto != proto_version(me)) {
        snprintf(msg, msgsz, "batchtile %s %s%s%s speaks protocol %d, this %s %d: install the "
                             "same batchtile on every node",
                 role, version, node[0] ? " on " : "", node, proto, me, proto_version(me));
        return -1;
    }
    return 0;
}
