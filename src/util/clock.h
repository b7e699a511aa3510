/* The two clocks: monotonic (durations, deadlines) and the wall clock
 * (what the journal, the joblog and the scheduler's end times say). */
#ifndef BATCHTILE_UTIL_CLOCK_H
#define BATCHTILE_UTIL_CLOCK_H

/* Seconds on the monotonic clock. */
double ut_clock_mono(void);
/* Seconds since the epoch. */
double ut_clock_wall(void);

#endif
