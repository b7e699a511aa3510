/* The node agents' protocol: line-delimited JSON between a driver and the
 * `batchtile agent` on each node, over the agent's stdin (requests) and
 * stdout (events). The first line each way is a hello naming the protocol
 * version and batchtile's version; a mismatch is refused on both sides.
 * Writes are buffered so that many lines go in one write. */
#ifndef BATCHTILE_PROTO_PROTO_H
#define BATCHTILE_PROTO_PROTO_H
#include <jansson.h>
#include <stddef.h>

/* The protocol version this batchtile speaks as role ("driver", "agent");
 * an agent's BATCHTILE_AGENT_PROTOCOL overrides it, for the tests of a
 * mismatch. */
#define PROTO_VERSION 1
int proto_version(const char *role);
/* This batchtile's version ("0.3.0"). */
const char *proto_bt_version(void);

/* Bytes waiting to be written. */
typedef struct proto_out {
    char *d;
    size_t n, cap;
} proto_out;
/* Append msg as one line (msg's reference is stolen). 0, or -1 on memory. */
int proto_put(proto_out *o, json_t *msg);
/* Write what waits to fd; with block, all of it. 0 (what is left stays),
 * or -1 with errno (the reader is gone: EPIPE). */
int proto_flush(proto_out *o, int fd, int block);
void proto_out_free(proto_out *o);

/* Bytes read, cut into lines. */
typedef struct proto_in {
    char *d;
    size_t n, cap, off;
} proto_in;
/* Read what fd has, one read(2) (a non-blocking fd with nothing: 1). 1 while
 * open, 0 at end of file, -1 with errno. */
int proto_read(proto_in *in, int fd);
/* The next whole line as JSON (a new reference), or NULL when none is
 * complete; a line that is not a JSON object gives NULL with *bad set. */
json_t *proto_next(proto_in *in, int *bad);
void proto_in_free(proto_in *in);

/* A hello: {"hello": role, "protocol": N, "version": V, "node": node} and
 * extra's members (extra stolen, may be NULL). */
json_t *proto_hello(const char *role, const char *node, json_t *extra);
/* Check the peer's hello: 0, or -1 with msg saying who speaks what
 * ("batchtile agent 0.3 on node2 speaks protocol 2, this driver 1: install the
 * same batchtile on every node"). me: "driver" or "agent". */
int proto_hello_check(const json_t *hello, const char *me, const char *where, char *msg,
                      size_t msgsz);

#endif
