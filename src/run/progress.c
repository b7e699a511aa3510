#include "progress.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void run_progress_init(run_progress *p, int mode)
{
    p->enabled = mode < 0 ? isatty(STDERR_FILENO) : mode;
    p->drawn = 0;
    p->last = 0;
    p->first_done_at = -1;
    p->last_done = 0;
}

static void hms(double s, char *out, size_t outsz)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, outsz, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, outsz, "%ld:%02ld", t / 60, t % 60);
}

void run_progress_update(run_progress *p, size_t ok, size_t running, size_t failed, size_t total,
                         double mean_runtime, double elapsed, int force)
{
    if (!p->enabled)
        return;
    double now = mono();
    if (!force && now - p->last < 0.25)
        return;
    p->last = now;
    size_t done = ok + failed;
    char el[32], eta[32] = "--:--";
    hms(elapsed, el, sizeof el);
    if (mean_runtime > 0 && done < total) {
        /* what is left, at the mean runtime, as many at once as run now
         * (those running are about half done, on average) */
        double width = running ? (double)running : 1.0;
        double left = ((double)(total - done) - 0.5 * (double)running) * mean_runtime / width;
        hms(left > 0 ? left : 0, eta, sizeof eta);
    } else if (done == total) {
        snprintf(eta, sizeof eta, "0:00");
    }
    char line[256];
    int n = snprintf(line, sizeof line,
                     "batchtile: %zu/%zu done, %zu running, %zu failed, %s elapsed, ETA %s", done,
                     total, running, failed, el, eta);
    /* never wider than the terminal: a wrapped line is not redrawn in place */
    int cols = run_progress_columns();
    if (n > 0 && cols > 1 && n >= cols)
        line[cols - 1] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->drawn = 1;
}

int run_progress_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

void run_progress_clear(run_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
}

double run_progress_next(const run_progress *p)
{
    return p->enabled ? p->last + 0.25 : 0;
}
