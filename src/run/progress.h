/* The live progress line on a terminal: done / running / failed / total,
 * elapsed and ETA, redrawn in place a few times a second. */
#ifndef BATCHTILE_RUN_PROGRESS_H
#define BATCHTILE_RUN_PROGRESS_H
#include <stddef.h>

typedef struct run_progress {
    int enabled;
    int drawn;       /* a line is on the screen */
    double last;     /* monotonic time of the last draw */
    double first_done_at; /* elapsed time when the first evaluation ended */
    size_t last_done;
} run_progress;

/* mode: 1 on, 0 off, -1 when stderr is a terminal. */
void run_progress_init(run_progress *p, int mode);
/* Redraw if due (at most 4 times a second) or forced. mean_runtime: of the
 * evaluations finished so far in this run (0: none yet); the ETA is what is
 * left times that, over the evaluations running at once. */
void run_progress_update(run_progress *p, size_t ok, size_t running, size_t failed, size_t total,
                         double mean_runtime, double elapsed, int force);
/* The terminal's width (TIOCGWINSZ on stderr), 0 when unknown; read at
 * every redraw, and the loop redraws at once on SIGWINCH. */
int run_progress_columns(void);
/* Erase the line (before another message, and at the end). */
void run_progress_clear(run_progress *p);
/* Monotonic time of the next redraw, 0 when off. */
double run_progress_next(const run_progress *p);

#endif
