/* The engine's reactor (engine/reactor.c): descriptors, timers and signals
 * are called when ready and only then, in the documented order, and what
 * a callback removes during a dispatch is not called (ASan sees any use
 * after free). Times are asserted one way only (never early); an upper
 * bound would fail on a busy machine. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "engine/reactor.h"

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- descriptors ---- */

typedef struct fd_seen {
    int calls, fd, revents;
    int remove_fd; /* >= 0: remove this descriptor's watcher when called */
} fd_seen;

static void on_fd(engine_reactor *r, int fd, int revents, void *arg)
{
    fd_seen *s = arg;
    s->calls++;
    s->fd = fd;
    s->revents = revents;
    if (s->remove_fd >= 0)
        assert_int_equal(engine_reactor_fd_remove(r, s->remove_fd), 0);
}

static void fd_ready_level_triggered(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    assert_non_null(r);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fd_seen s = {.remove_fd = -1};
    assert_int_equal(engine_reactor_fd_add(r, p[0], ENGINE_REACTOR_READ, on_fd, &s), 0);
    /* twice the same descriptor, or nothing to watch it for: refused */
    errno = 0;
    assert_int_equal(engine_reactor_fd_add(r, p[0], ENGINE_REACTOR_READ, on_fd, &s), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(engine_reactor_fd_add(r, p[1], 0, on_fd, &s), -1);
    assert_int_equal(errno, EINVAL);
    /* nothing to read: no call */
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(s.calls, 0);
    assert_int_equal(write(p[1], "xy", 2), 2);
    assert_int_equal(engine_reactor_run_once(r, 10), 1);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.fd, p[0]);
    assert_int_equal(s.revents, ENGINE_REACTOR_READ);
    /* still unread: called again (level-triggered) */
    assert_int_equal(engine_reactor_run_once(r, 10), 1);
    char c[2];
    assert_int_equal(read(p[0], c, 2), 2);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(s.calls, 2);
    /* the writer gone: the reader sees the hang-up */
    close(p[1]);
    assert_int_equal(engine_reactor_run_once(r, 10), 1);
    assert_true(s.revents & ENGINE_REACTOR_ERROR);
    /* removed: no more calls, a second removal refused */
    assert_int_equal(engine_reactor_fd_remove(r, p[0]), 0);
    assert_int_equal(engine_reactor_fd_remove(r, p[0]), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(engine_reactor_fd_events(r, p[0], ENGINE_REACTOR_READ), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(s.calls, 3);
    close(p[0]);
    engine_reactor_free(r);
}

static void fd_write_and_events_changed(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    int p[2];
    assert_int_equal(pipe(p), 0);
    fd_seen s = {.remove_fd = -1};
    assert_int_equal(engine_reactor_fd_add(r, p[1], ENGINE_REACTOR_WRITE, on_fd, &s), 0);
    assert_int_equal(engine_reactor_run_once(r, 10), 1);
    assert_int_equal(s.revents, ENGINE_REACTOR_WRITE);
    /* watched for reading only: a pipe's write end never is */
    assert_int_equal(engine_reactor_fd_events(r, p[1], ENGINE_REACTOR_READ), 0);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(s.calls, 1);
    close(p[0]);
    close(p[1]);
    engine_reactor_free(r); /* frees the watcher still there */
}

static void fd_removed_during_dispatch_not_called(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    fd_seen sa = {.remove_fd = b[0]}, sb = {.remove_fd = a[0]};
    assert_int_equal(engine_reactor_fd_add(r, a[0], ENGINE_REACTOR_READ, on_fd, &sa), 0);
    assert_int_equal(engine_reactor_fd_add(r, b[0], ENGINE_REACTOR_READ, on_fd, &sb), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    nap(0.01);
    /* both ready in one wait: whichever runs first removes the other */
    assert_int_equal(engine_reactor_run_once(r, 10), 1);
    assert_int_equal(sa.calls + sb.calls, 1);
    int left = sa.calls ? a[0] : b[0];
    /* the survivor's callback now would remove a watcher that is gone */
    assert_int_equal(engine_reactor_fd_remove(r, left), 0);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    engine_reactor_free(r);
}

/* ---- timers ---- */

typedef struct tm_log {
    int ids[2048];
    int n;
    double at[2048];
    engine_reactor *r;
    int remove_id; /* > 0: remove this timer when called */
    int add_after; /* 1: add a timer due now when called (once) */
    int added_id;
} tm_log;

static void on_timer(engine_reactor *r, int id, void *arg)
{
    tm_log *l = arg;
    assert_true(l->n < 2048);
    l->at[l->n] = engine_reactor_now();
    l->ids[l->n++] = id;
    if (l->remove_id > 0)
        engine_reactor_timer_remove(r, l->remove_id);
    if (l->add_after) {
        l->add_after = 0;
        l->added_id = engine_reactor_timer_add(r, 0, 0, on_timer, l);
        assert_true(l->added_id > 0);
    }
}

static void timer_one_shot_never_early(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    tm_log l = {0};
    double t0 = engine_reactor_now();
    int id = engine_reactor_timer_add(r, 0.05, 0, on_timer, &l);
    assert_true(id > 0);
    assert_int_equal(engine_reactor_timer_count(r), 1);
    /* the wait ends at the timer, not at max_wait */
    while (l.n == 0)
        assert_true(engine_reactor_run_once(r, 30) >= 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ids[0], id);
    assert_true(l.at[0] - t0 >= 0.05);
    assert_true(engine_reactor_now() - t0 < 30);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    /* gone: removing it is harmless, nothing else runs */
    engine_reactor_timer_remove(r, id);
    assert_int_equal(engine_reactor_run_once(r, 0.01), 0);
    assert_int_equal(l.n, 1);
    /* ids are not reused */
    int id2 = engine_reactor_timer_add(r, 10, 0, on_timer, &l);
    assert_true(id2 > id);
    engine_reactor_free(r); /* frees the pending one */
}

static void timer_bad_times_refused(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    tm_log l = {0};
    errno = 0;
    assert_int_equal(engine_reactor_timer_add(r, -1, 0, on_timer, &l), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(engine_reactor_timer_add(r, NAN, 0, on_timer, &l), -1);
    assert_int_equal(engine_reactor_timer_add(r, 1, INFINITY, on_timer, &l), -1);
    assert_int_equal(engine_reactor_timer_add(r, 1, -0.5, on_timer, &l), -1);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    engine_reactor_timer_remove(r, 0);
    engine_reactor_timer_remove(r, 12345);
    engine_reactor_free(r);
}

static void timer_repeating_skips_missed_periods(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    tm_log l = {0};
    double t0 = engine_reactor_now();
    int id = engine_reactor_timer_add(r, 0.02, 0.02, on_timer, &l);
    while (l.n < 3)
        assert_true(engine_reactor_run_once(r, 30) >= 0);
    /* never early: the k-th run at least k periods after the start */
    for (int k = 0; k < 3; k++)
        assert_true(l.at[k] - t0 >= 0.02 * (k + 1) - 1e-9);
    assert_int_equal(engine_reactor_timer_count(r), 1);
    /* late by ten periods: one run, not ten */
    nap(0.2);
    int n = l.n;
    assert_int_equal(engine_reactor_run_once(r, 0), 1);
    assert_int_equal(l.n, n + 1);
    engine_reactor_timer_remove(r, id);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    nap(0.05);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(l.n, n + 1);
    engine_reactor_free(r);
}

static void timer_due_earliest_first(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    tm_log l = {0};
    int c = engine_reactor_timer_add(r, 0.03, 0, on_timer, &l);
    int a = engine_reactor_timer_add(r, 0.01, 0, on_timer, &l);
    int b = engine_reactor_timer_add(r, 0.02, 0, on_timer, &l);
    nap(0.05);
    assert_int_equal(engine_reactor_run_once(r, 0), 3);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.ids[0], a);
    assert_int_equal(l.ids[1], b);
    assert_int_equal(l.ids[2], c);
    engine_reactor_free(r);
}

static void timer_changes_during_dispatch(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    /* the first due removes the second, due as well: it is not called */
    tm_log l = {0};
    int first = engine_reactor_timer_add(r, 0, 0, on_timer, &l);
    int second = engine_reactor_timer_add(r, 0.001, 0, on_timer, &l);
    l.remove_id = second;
    nap(0.01);
    assert_int_equal(engine_reactor_run_once(r, 0), 1);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ids[0], first);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    /* a repeating timer that removes itself runs once */
    tm_log m = {0};
    int rep = engine_reactor_timer_add(r, 0, 0.001, on_timer, &m);
    m.remove_id = rep;
    nap(0.01);
    assert_int_equal(engine_reactor_run_once(r, 0), 1);
    nap(0.01);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(m.n, 1);
    /* one added during a dispatch, due at once, waits for the next call */
    tm_log k = {.add_after = 1};
    int t = engine_reactor_timer_add(r, 0, 0, on_timer, &k);
    nap(0.01);
    assert_int_equal(engine_reactor_run_once(r, 0), 1);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.ids[0], t);
    assert_int_equal(engine_reactor_run_once(r, 0), 1);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.ids[1], k.added_id);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    engine_reactor_free(r);
}

/* A thousand timers, every third removed: each of the others runs once, in
 * the order of when they were due (the heap and the id map under churn). */
static void timer_many_with_removals(void **state)
{
    (void)state;
    enum { N = 1000 };
    engine_reactor *r = engine_reactor_new();
    tm_log *l = calloc(1, sizeof *l);
    static int ids[N];
    static double lo[N], hi[N]; /* the due time is between the two */
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        double after = (double)(seed >> 16 & 0x7fff) / 0x7fff * 0.05;
        lo[i] = engine_reactor_now() + after;
        ids[i] = engine_reactor_timer_add(r, after, 0, on_timer, l);
        hi[i] = engine_reactor_now() + after;
        assert_true(ids[i] > 0);
    }
    for (int i = 0; i < N; i += 3)
        engine_reactor_timer_remove(r, ids[i]);
    size_t kept = N - (N + 2) / 3;
    assert_int_equal(engine_reactor_timer_count(r), kept);
    while (engine_reactor_timer_count(r) > 0)
        assert_true(engine_reactor_run_once(r, 30) >= 0);
    assert_int_equal(l->n, (int)kept);
    static char seen[N];
    double last_lo = 0;
    for (int k = 0; k < l->n; k++) {
        int i = l->ids[k] - ids[0]; /* ids were given in order */
        assert_true(i >= 0 && i < N);
        assert_int_not_equal(i % 3, 0);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
        /* never before its time, and in the order they were due: each due
         * no earlier than the one before it */
        assert_true(l->at[k] >= lo[i]);
        assert_true(hi[i] >= last_lo);
        last_lo = lo[i];
    }
    free(l);
    engine_reactor_free(r);
}

/* Timers added and removed by the thousand, about 32 alive at a time: ids
 * far apart share the id map's slots; each removal takes the right one
 * and those left all run. */
static void timer_ids_churn(void **state)
{
    (void)state;
    enum { SLOTS = 64, OPS = 50000 };
    engine_reactor *r = engine_reactor_new();
    tm_log *l = calloc(1, sizeof *l);
    int live[SLOTS] = {0};
    size_t nlive = 0;
    unsigned seed = 777;
    for (int op = 0; op < OPS; op++) {
        seed = seed * 1103515245u + 12345u;
        int s = (int)(seed >> 16) % SLOTS;
        if (live[s]) {
            engine_reactor_timer_remove(r, live[s]);
            live[s] = 0;
            nlive--;
        } else {
            live[s] = engine_reactor_timer_add(r, 0, 0, on_timer, l);
            assert_true(live[s] > 0);
            nlive++;
        }
        assert_int_equal(engine_reactor_timer_count(r), nlive);
    }
    nap(0.01);
    assert_int_equal(engine_reactor_run_once(r, 0), (int)nlive);
    assert_int_equal(engine_reactor_timer_count(r), 0);
    for (int k = 0; k < l->n; k++) {
        int found = 0;
        for (int s = 0; s < SLOTS; s++)
            if (live[s] == l->ids[k]) {
                live[s] = 0;
                found = 1;
            }
        assert_true(found);
    }
    free(l);
    engine_reactor_free(r);
}

/* ---- signals and the wait ---- */

typedef struct sig_seen {
    int calls, signo;
} sig_seen;

static void on_signal(engine_reactor *r, const struct signalfd_siginfo *si, void *arg)
{
    (void)r;
    sig_seen *s = arg;
    s->calls++;
    s->signo = (int)si->ssi_signo;
}

static void signals_read_from_the_signalfd(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &mask, &old);
    sig_seen s = {0};
    /* a signal not blocked would never reach the signalfd: refused */
    sigset_t other;
    sigemptyset(&other);
    sigaddset(&other, SIGUSR2);
    errno = 0;
    assert_int_equal(engine_reactor_signals(r, &other, on_signal, &s), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(engine_reactor_signals(r, &mask, on_signal, &s), 0);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    raise(SIGUSR1);
    assert_int_equal(engine_reactor_run_once(r, 30), 1);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.signo, SIGUSR1);
    /* an empty mask stops: pending ones stay pending */
    sigset_t none;
    sigemptyset(&none);
    assert_int_equal(engine_reactor_signals(r, &none, on_signal, &s), 0);
    raise(SIGUSR1);
    assert_int_equal(engine_reactor_run_once(r, 0), 0);
    assert_int_equal(s.calls, 1);
    /* read again once watched again */
    assert_int_equal(engine_reactor_signals(r, &mask, on_signal, &s), 0);
    assert_int_equal(engine_reactor_run_once(r, 30), 1);
    assert_int_equal(s.calls, 2);
    engine_reactor_free(r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void wait_bounded_and_deadlock_refused(void **state)
{
    (void)state;
    engine_reactor *r = engine_reactor_new();
    /* nothing watched, no limit: it could never return */
    errno = 0;
    assert_int_equal(engine_reactor_run_once(r, -1), -1);
    assert_int_equal(errno, EDEADLK);
    /* a limit: it waits that long, not less */
    double t0 = engine_reactor_now();
    assert_int_equal(engine_reactor_run_once(r, 0.05), 0);
    assert_true(engine_reactor_now() - t0 >= 0.05);
    /* with a timer and no limit: the timer ends the wait */
    tm_log l = {0};
    engine_reactor_timer_add(r, 0.02, 0, on_timer, &l);
    assert_int_equal(engine_reactor_run_once(r, -1), 1);
    assert_int_equal(l.n, 1);
    engine_reactor_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fd_ready_level_triggered),
        cmocka_unit_test(fd_write_and_events_changed),
        cmocka_unit_test(fd_removed_during_dispatch_not_called),
        cmocka_unit_test(timer_one_shot_never_early),
        cmocka_unit_test(timer_bad_times_refused),
        cmocka_unit_test(timer_repeating_skips_missed_periods),
        cmocka_unit_test(timer_due_earliest_first),
        cmocka_unit_test(timer_changes_during_dispatch),
        cmocka_unit_test(timer_many_with_removals),
        cmocka_unit_test(timer_ids_churn),
        cmocka_unit_test(signals_read_from_the_signalfd),
        cmocka_unit_test(wait_bounded_and_deadlock_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
