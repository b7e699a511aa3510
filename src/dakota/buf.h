/* dak_buf: a growable byte buffer the writers append to. */
#ifndef BATCHTILE_DAKOTA_BUF_H
#define BATCHTILE_DAKOTA_BUF_H
#include <stddef.h>

typedef struct dak_buf {
    char *data; /* always NUL-terminated when len > 0 */
    size_t len;
    size_t cap;
} dak_buf;

#define DAK_BUF_INIT {NULL, 0, 0}

/* Append n bytes; returns 0, or -1 when out of memory. */
int dak_buf_add(dak_buf *b, const void *p, size_t n);
/* Append a NUL-terminated string. */
int dak_buf_puts(dak_buf *b, const char *s);
/* Append printf-formatted text. */
int dak_buf_printf(dak_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append a double at full precision: %.16e (17 significant digits),
 * or nan / inf / -inf. */
int dak_buf_double(dak_buf *b, double v);
/* Forget the contents but keep the memory. */
void dak_buf_reset(dak_buf *b);
/* Release the memory. */
void dak_buf_free(dak_buf *b);

#endif
