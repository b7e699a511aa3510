/* Journal framing (frame.h): CRC-32 trailers, and reading whole lines. */
#define _GNU_SOURCE
#include "frame.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/file.h"

uint32_t rec_crc32(const char *s, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ (unsigned char)s[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

int rec_frame_ok(const char *line, size_t n)
{
    static const char key[] = ",\"len\":";
    const char *last = NULL;
    for (const char *p = line; (p = memmem(p, n - (size_t)(p - line), key, sizeof key - 1));
         p++)
        last = p;
    if (!last)
        return memmem(line, n, "\"crc\":", 6) == NULL;
    unsigned long len;
    unsigned int crc;
    char tail[64];
    size_t rest = n - (size_t)(last - line);
    if (rest >= sizeof tail)
        return 0;
    memcpy(tail, last, rest);
    tail[rest] = '\0';
    int used = 0;
    if (sscanf(tail, ",\"len\":%lu,\"crc\":\"%8x\"}%n", &len, &crc, &used) != 2 ||
        (size_t)used != rest)
        return 0;
    return len == (size_t)(last - line) && crc == rec_crc32(line, len);
}

int rec_frame_trailer(const char *json, size_t n, char *out, size_t outsz)
{
    if (n < 3 || json[n - 1] != '}')
        return -1;
    size_t body = n - 1; /* without the closing brace */
    int fl = snprintf(out, outsz, ",\"len\":%zu,\"crc\":\"%08x\"}\n", body, rec_crc32(json, body));
    return fl > 0 && (size_t)fl < outsz ? fl : -1;
}

long rec_frame_read(const char *path, int (*fn)(void *arg, const char *line, size_t n),
                    void *arg)
{
    ut_map m;
    if (ut_file_map(path, &m) < 0)
        return errno == ENOENT ? 0 : -1;
    long count = 0;
    const char *p = m.data, *end = m.data + m.len;
    size_t released = 0;
    while (p < end) {
        if ((size_t)(p - m.data) >= released + (16u << 20)) {
            released = (size_t)(p - m.data);
            ut_map_release(&m, released); /* memory does not grow with the journal */
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break; /* a last line without its newline is torn: not durable */
        size_t n = (size_t)(nl - p);
        if (rec_frame_ok(p, n))
            count += fn(arg, p, n) > 0;
        p = nl + 1;
    }
    ut_file_unmap(&m);
    return count;
}
