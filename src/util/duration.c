#include "duration.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int whole(const char *s, const char *end, long *out)
{
    if (s == end || end - s > 9)
        return -1;
    long v = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

int ut_parse_duration(const char *s, double *seconds)
{
    if (strchr(s, ':')) {
        /* [[HH:]MM:]SS */
        long part[3];
        int n = 0;
        const char *p = s;
        for (;;) {
            const char *c = strchr(p, ':');
            const char *end = c ? c : p + strlen(p);
            if (n == 3 || whole(p, end, &part[n]) < 0)
                return -1;
            n++;
            if (!c)
                break;
            p = c + 1;
        }
        double t = 0;
        for (int i = 0; i < n; i++)
            t = t * 60 + (double)part[i];
        if (t <= 0)
            return -1;
        *seconds = t;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0)
        return -1;
    double unit = 1;
    if (*end) {
        if (end[1] != '\0')
            return -1;
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return -1;
        }
    }
    *seconds = v * unit;
    return 0;
}
