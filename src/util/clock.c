#include "clock.h"

#include <time.h>

static double seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double ut_clock_mono(void)
{
    return seconds(CLOCK_MONOTONIC);
}

double ut_clock_wall(void)
{
    return seconds(CLOCK_REALTIME);
}
