/* Small helpers the example simulations share. */
#ifndef BATCHTILE_SIM_SIMUTIL_H
#define BATCHTILE_SIM_SIMUTIL_H
#include <stddef.h>

/* The CPUs this process may run on, as a list "0-3,6" into out. */
void sim_cpu_list(char *out, size_t outsz);
/* Seconds since the epoch, with microseconds. */
double sim_now(void);
/* Sleep for s seconds (fractions allowed), resuming after signals. */
void sim_sleep(double s);
/* Parse "A" or "A:B" into a range of seconds; -1 when malformed. */
int sim_parse_range(const char *s, double *lo, double *hi);

#endif
