/* The engine's loop, without policy: watchers of file descriptors (epoll),
 * timers (the monotonic clock, one-shot or repeating) and signals (one
 * signalfd), and engine_reactor_run_once, which waits for the first of them
 * and calls what is ready. It decides nothing: what happens next is the
 * callbacks' (and the engine's, between two calls).
 *
 * One thread; a callback may add or remove any watcher, its own included:
 * a watcher removed before its turn in the current dispatch is not called,
 * one added during a dispatch is first called by the next. */
#ifndef BATCHTILE_ENGINE_REACTOR_H
#define BATCHTILE_ENGINE_REACTOR_H
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>

typedef struct engine_reactor engine_reactor;

/* NULL with errno set. */
engine_reactor *engine_reactor_new(void);
/* Closes the reactor's own descriptors (epoll, signalfd), not the watched ones. */
void engine_reactor_free(engine_reactor *r);

/* The monotonic clock, seconds: the clock of every timer. */
double engine_reactor_now(void);

/* ---- file descriptors (level-triggered) ---- */
enum {
    ENGINE_REACTOR_READ = 1,
    ENGINE_REACTOR_WRITE = 2,
    ENGINE_REACTOR_ERROR = 4 /* only in revents: EPOLLERR or EPOLLHUP */
};
typedef void (*engine_reactor_fd_fn)(engine_reactor *r, int fd, int revents, void *arg);
/* Watch fd for events (READ, WRITE or both). 0, or -1 with errno (EEXIST:
 * fd is watched already; EINVAL: fd < 0 or no events). */
int engine_reactor_fd_add(engine_reactor *r, int fd, int events, engine_reactor_fd_fn fn,
                          void *arg);
/* Change what fd is watched for. 0, or -1 with errno (ENOENT: not watched). */
int engine_reactor_fd_events(engine_reactor *r, int fd, int events);
/* Stop watching fd (before closing it). 0, or -1 (ENOENT: not watched). */
int engine_reactor_fd_remove(engine_reactor *r, int fd);

/* ---- timers ---- */
typedef void (*engine_reactor_timer_fn)(engine_reactor *r, int id, void *arg);
/* fn runs `after` seconds from now, then every `every` seconds when every >
 * 0 (a repeating timer late by more than one period skips the periods it
 * missed, it does not run in a burst). An id > 0, never reused by this
 * reactor, or -1 with errno (EINVAL: a negative or not finite time). */
int engine_reactor_timer_add(engine_reactor *r, double after, double every,
                             engine_reactor_timer_fn fn, void *arg);
/* Cancel a timer; an id that is not (or no longer) a timer's is ignored. A
 * one-shot timer is gone once its callback starts. */
void engine_reactor_timer_remove(engine_reactor *r, int id);
/* Timers waiting (one-shot not yet run, and repeating ones). */
size_t engine_reactor_timer_count(const engine_reactor *r);

/* ---- signals ---- */
typedef void (*engine_reactor_signal_fn)(engine_reactor *r, const struct signalfd_siginfo *si,
                                         void *arg);
/* Read the signals of mask from the reactor's signalfd: fn once for each
 * delivered. The caller blocks mask in every thread first (util/thread.h);
 * a second call replaces mask and fn, an empty mask stops. 0, or -1 with
 * errno (EINVAL: a signal of mask is not blocked in this thread). */
int engine_reactor_signals(engine_reactor *r, const sigset_t *mask, engine_reactor_signal_fn fn,
                           void *arg);

/* Wait at most max_wait seconds (< 0: without limit, 0: do not wait) for a
 * descriptor to be ready, a signal or a timer due, then call every watcher
 * ready: descriptors, then signals, then the timers due, earliest first.
 * The number of callbacks called (0: max_wait passed, or EINTR), or -1 with
 * errno (EDEADLK: max_wait < 0 and nothing is watched, so nothing could
 * ever end the wait; else epoll_wait's). */
int engine_reactor_run_once(engine_reactor *r, double max_wait);

#endif
