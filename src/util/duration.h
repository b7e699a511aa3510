/* Durations on the command line: "90s", "5m", "1.5h", "2d", or Slurm-style
 * "[[HH:]MM:]SS"; a bare number is seconds. */
#ifndef BATCHTILE_UTIL_DURATION_H
#define BATCHTILE_UTIL_DURATION_H

/* Parse s into seconds (> 0). 0, or -1 when malformed. */
int ut_parse_duration(const char *s, double *seconds);

#endif
