/* Rendered results kept out of memory: each finished evaluation's section of
 * the batch results file is appended to an unnamed temporary file (beside
 * the results file) and read back when that file is written, so that a
 * batch of a million costs a few bytes an evaluation. */
#ifndef BATCHTILE_RUN_SPILL_H
#define BATCHTILE_RUN_SPILL_H
#include <stddef.h>
#include <stdint.h>

typedef struct run_spill {
    int fd;
    uint64_t flushed; /* bytes in the file */
    char *buf;        /* what follows them, not yet written */
    size_t blen, bcap;
} run_spill;

/* Open one in directory dir. 0, or -1 with errno. */
int run_spill_open(run_spill *s, const char *dir);
/* Append len bytes; *off says where they are. 0, or -1 with errno. */
int run_spill_add(run_spill *s, const char *text, size_t len, uint64_t *off);
/* Read len bytes at off into out (len + 1 bytes, NUL-terminated). 0, or -1. */
int run_spill_read(run_spill *s, uint64_t off, size_t len, char *out);
void run_spill_close(run_spill *s);

#endif
