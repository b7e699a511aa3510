#define _GNU_SOURCE
#include "simutil.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

void sim_cpu_list(char *out, size_t outsz)
{
    cpu_set_t set;
    size_t o = 0;
    out[0] = '\0';
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &set))
            e++;
        int n = e > c ? snprintf(out + o, outsz - o, "%s%d-%d", o ? "," : "", c, e)
                      : snprintf(out + o, outsz - o, "%s%d", o ? "," : "", c);
        if (n < 0 || (size_t)n >= outsz - o)
            return;
        o += (size_t)n;
        c = e;
    }
}

double sim_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void sim_sleep(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int sim_parse_range(const char *s, double *lo, double *hi)
{
    char *end;
    *lo = strtod(s, &end);
    if (end == s || *lo < 0)
        return -1;
    if (*end == '\0') {
        *hi = *lo;
        return 0;
    }
    if (*end != ':')
        return -1;
    const char *b = end + 1;
    *hi = strtod(b, &end);
    if (end == b || *end != '\0' || *hi < *lo)
        return -1;
    return 0;
}
