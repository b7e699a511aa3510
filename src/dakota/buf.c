#include "buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(dak_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > (size_t)-1 / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int dak_buf_add(dak_buf *b, const void *p, size_t n)
{
    if (grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dak_buf_puts(dak_buf *b, const char *s)
{
    return dak_buf_add(b, s, strlen(s));
}

int dak_buf_printf(dak_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[128];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return dak_buf_add(b, small, (size_t)n);
    if (grow(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int dak_buf_double(dak_buf *b, double v)
{
    if (isnan(v))
        return dak_buf_puts(b, "nan");
    if (isinf(v))
        return dak_buf_puts(b, v > 0 ? "inf" : "-inf");
    return dak_buf_printf(b, "%.16e", v);
}

void dak_buf_reset(dak_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dak_buf_free(dak_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
