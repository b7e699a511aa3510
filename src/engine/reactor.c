/* The engine's loop without policy (reactor.h): epoll over the watched
 * descriptors and one signalfd, timers in a binary heap on the monotonic
 * clock (an id map beside it for removal). It waits for the earliest of
 * them and calls what is ready; what a callback removes during a dispatch
 * is freed once the dispatch is over, so that nothing it frees is called. */
#include "engine/reactor.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct rx_fd {
    int fd, events, dead;
    engine_reactor_fd_fn fn;
    void *arg;
    struct rx_fd *next_dead;
} rx_fd;

typedef struct rx_timer {
    int id;
    int dead;      /* removed while in the dispatch's list */
    int in_firing; /* in the current dispatch's list */
    double due, every;
    engine_reactor_timer_fn fn;
    void *arg;
    size_t heap_ix; /* SIZE_MAX: not in the heap */
} rx_timer;

struct engine_reactor {
    int ep, sfd;
    rx_fd **fds; /* by descriptor */
    size_t fds_cap, nfds;
    rx_fd *dead_fds; /* removed during a dispatch */
    int dispatching;
    rx_timer **heap;
    size_t nheap, heap_cap;
    rx_timer **map; /* open addressing by id, linear probing */
    size_t map_cap, ntimers;
    rx_timer **firing; /* the timers of the current dispatch */
    size_t firing_cap;
    int next_id;
    engine_reactor_signal_fn sig_fn;
    void *sig_arg;
};

double engine_reactor_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

engine_reactor *engine_reactor_new(void)
{
    engine_reactor *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->sfd = -1;
    r->next_id = 1;
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    if (r->ep < 0) {
        int e = errno;
        free(r);
        errno = e;
        return NULL;
    }
    return r;
}

void engine_reactor_free(engine_reactor *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->fds_cap; i++)
        free(r->fds[i]);
    while (r->dead_fds) {
        rx_fd *w = r->dead_fds;
        r->dead_fds = w->next_dead;
        free(w);
    }
    for (size_t i = 0; i < r->map_cap; i++)
        free(r->map[i]);
    free(r->fds);
    free(r->heap);
    free(r->map);
    free(r->firing);
    if (r->sfd >= 0)
        close(r->sfd);
    close(r->ep);
    free(r);
}

/* ---- descriptors ---------------------------------------------------------- */

static uint32_t epoll_events(int events)
{
    return (events & ENGINE_REACTOR_READ ? EPOLLIN : 0u) |
           (events & ENGINE_REACTOR_WRITE ? EPOLLOUT : 0u);
}

static rx_fd *fd_find(const engine_reactor *r, int fd)
{
    return fd >= 0 && (size_t)fd < r->fds_cap ? r->fds[fd] : NULL;
}

int engine_reactor_fd_add(engine_reactor *r, int fd, int events, engine_reactor_fd_fn fn,
                          void *arg)
{
    if (fd < 0 || !fn || !(events & (ENGINE_REACTOR_READ | ENGINE_REACTOR_WRITE))) {
        errno = EINVAL;
        return -1;
    }
    if (fd_find(r, fd)) {
        errno = EEXIST;
        return -1;
    }
    if ((size_t)fd >= r->fds_cap) {
        size_t cap = r->fds_cap ? r->fds_cap : 16;
        while (cap <= (size_t)fd)
            cap *= 2;
        rx_fd **n = realloc(r->fds, cap * sizeof *n);
        if (!n)
            return -1;
        memset(n + r->fds_cap, 0, (cap - r->fds_cap) * sizeof *n);
        r->fds = n;
        r->fds_cap = cap;
    }
    rx_fd *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    *w = (rx_fd){.fd = fd, .events = events, .fn = fn, .arg = arg};
    struct epoll_event ev = {.events = epoll_events(events), .data.ptr = w};
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        free(w);
        errno = e;
        return -1;
    }
    r->fds[fd] = w;
    r->nfds++;
    return 0;
}

int engine_reactor_fd_events(engine_reactor *r, int fd, int events)
{
    rx_fd *w = fd_find(r, fd);
    if (!w) {
        errno = ENOENT;
        return -1;
    }
    if (!(events & (ENGINE_REACTOR_READ | ENGINE_REACTOR_WRITE))) {
        errno = EINVAL;
        return -1;
    }
    struct epoll_event ev = {.events = epoll_events(events), .data.ptr = w};
    if (epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev) < 0)
        return -1;
    w->events = events;
    return 0;
}

int engine_reactor_fd_remove(engine_reactor *r, int fd)
{
    rx_fd *w = fd_find(r, fd);
    if (!w) {
        errno = ENOENT;
        return -1;
    }
    /* the descriptor may be closed already: then the kernel dropped it */
    epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
    r->fds[fd] = NULL;
    r->nfds--;
    if (r->dispatching) {
        w->dead = 1;
        w->next_dead = r->dead_fds;
        r->dead_fds = w;
    } else {
        free(w);
    }
    return 0;
}

/* ---- timers: the heap ------------------------------------------------------- */

static int heap_less(const engine_reactor *r, size_t a, size_t b)
{
    const rx_timer *x = r->heap[a], *y = r->heap[b];
    return x->due < y->due || (x->due == y->due && x->id < y->id);
}

static void heap_swap(engine_reactor *r, size_t a, size_t b)
{
    rx_timer *t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
    r->heap[a]->heap_ix = a;
    r->heap[b]->heap_ix = b;
}

static void heap_fix(engine_reactor *r, size_t i)
{
    while (i > 0 && heap_less(r, i, (i - 1) / 2)) {
        heap_swap(r, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->nheap && heap_less(r, l, m))
            m = l;
        if (l + 1 < r->nheap && heap_less(r, l + 1, m))
            m = l + 1;
        if (m == i)
            return;
        heap_swap(r, i, m);
        i = m;
    }
}

static int heap_push(engine_reactor *r, rx_timer *t)
{
    if (r->nheap == r->heap_cap) {
        size_t cap = r->heap_cap ? 2 * r->heap_cap : 16;
        rx_timer **n = realloc(r->heap, cap * sizeof *n);
        if (!n)
            return -1;
        r->heap = n;
        r->heap_cap = cap;
    }
    t->heap_ix = r->nheap;
    r->heap[r->nheap++] = t;
    heap_fix(r, t->heap_ix);
    return 0;
}

static void heap_take(engine_reactor *r, rx_timer *t)
{
    size_t i = t->heap_ix;
    if (i == SIZE_MAX)
        return;
    t->heap_ix = SIZE_MAX;
    r->nheap--;
    if (i == r->nheap)
        return;
    r->heap[i] = r->heap[r->nheap];
    r->heap[i]->heap_ix = i;
    heap_fix(r, i);
}

/* ---- timers: the id map ----------------------------------------------------- */

static size_t map_slot(const engine_reactor *r, int id)
{
    return ((size_t)(unsigned)id * 2654435761u) & (r->map_cap - 1);
}

static size_t map_find(const engine_reactor *r, int id)
{
    if (!r->map_cap)
        return SIZE_MAX;
    for (size_t i = map_slot(r, id);; i = (i + 1) & (r->map_cap - 1)) {
        if (!r->map[i])
            return SIZE_MAX;
        if (r->map[i]->id == id)
            return i;
    }
}

static void map_insert_nogrow(engine_reactor *r, rx_timer *t)
{
    size_t i = map_slot(r, t->id);
    while (r->map[i])
        i = (i + 1) & (r->map_cap - 1);
    r->map[i] = t;
}

static int map_insert(engine_reactor *r, rx_timer *t)
{
    if (2 * (r->ntimers + 1) > r->map_cap) {
        size_t cap = r->map_cap ? 2 * r->map_cap : 16, old = r->map_cap;
        rx_timer **o = r->map, **n = calloc(cap, sizeof *n);
        if (!n)
            return -1;
        r->map = n;
        r->map_cap = cap;
        for (size_t i = 0; i < old; i++)
            if (o[i])
                map_insert_nogrow(r, o[i]);
        free(o);
    }
    map_insert_nogrow(r, t);
    r->ntimers++;
    return 0;
}

/* Take slot i out, shifting back what probed past it. */
static void map_delete(engine_reactor *r, size_t i)
{
    size_t mask = r->map_cap - 1;
    r->map[i] = NULL;
    r->ntimers--;
    for (size_t j = (i + 1) & mask; r->map[j]; j = (j + 1) & mask) {
        size_t home = map_slot(r, r->map[j]->id);
        /* move j into the hole when its home is not within (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            r->map[i] = r->map[j];
            r->map[j] = NULL;
            i = j;
        }
    }
}

int engine_reactor_timer_add(engine_reactor *r, double after, double every,
                             engine_reactor_timer_fn fn, void *arg)
{
    if (!fn || !isfinite(after) || !isfinite(every) || after < 0 || every < 0) {
        errno = EINVAL;
        return -1;
    }
    if (r->next_id == INT_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    rx_timer *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    *t = (rx_timer){.id = r->next_id, .due = engine_reactor_now() + after, .every = every,
                    .fn = fn, .arg = arg, .heap_ix = SIZE_MAX};
    if (map_insert(r, t) < 0) {
        free(t);
        return -1;
    }
    if (heap_push(r, t) < 0) {
        map_delete(r, map_find(r, t->id));
        free(t);
        return -1;
    }
    r->next_id++;
    return t->id;
}

void engine_reactor_timer_remove(engine_reactor *r, int id)
{
    size_t i = id > 0 ? map_find(r, id) : SIZE_MAX;
    if (i == SIZE_MAX)
        return;
    rx_timer *t = r->map[i];
    map_delete(r, i);
    heap_take(r, t);
    if (t->in_firing)
        t->dead = 1; /* freed when the dispatch is over */
    else
        free(t);
}

size_t engine_reactor_timer_count(const engine_reactor *r)
{
    return r->ntimers;
}

/* ---- signals ---------------------------------------------------------------- */

int engine_reactor_signals(engine_reactor *r, const sigset_t *mask, engine_reactor_signal_fn fn,
                           void *arg)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    int any = 0;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(mask, s) == 1) {
            if (sigismember(&cur, s) != 1) {
                errno = EINVAL;
                return -1;
            }
            any = 1;
        }
    if (!any) {
        if (r->sfd >= 0) {
            epoll_ctl(r->ep, EPOLL_CTL_DEL, r->sfd, NULL);
            close(r->sfd);
            r->sfd = -1;
        }
        r->sig_fn = NULL;
        return 0;
    }
    if (!fn) {
        errno = EINVAL;
        return -1;
    }
    int sfd = signalfd(r->sfd, mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return -1;
    if (r->sfd < 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, sfd, &ev) < 0) {
            int e = errno;
            close(sfd);
            errno = e;
            return -1;
        }
        r->sfd = sfd;
    }
    r->sig_fn = fn;
    r->sig_arg = arg;
    return 0;
}

static int read_signals(engine_reactor *r)
{
    int n = 0;
    struct signalfd_siginfo si[16];
    ssize_t got;
    /* all that is pending in one read; again only when it filled the buffer */
    while (r->sfd >= 0 && (got = read(r->sfd, si, sizeof si)) >= (ssize_t)sizeof si[0]) {
        size_t k = (size_t)got / sizeof si[0];
        for (size_t i = 0; i < k; i++)
            r->sig_fn(r, &si[i], r->sig_arg);
        n += (int)k;
        if (k < sizeof si / sizeof si[0])
            break;
    }
    return n;
}

/* ---- the wait and the dispatch ---------------------------------------------- */

/* Take the timers due at now out of the heap (repeating ones back in at
 * their next period) into r->firing; their number, or -1. */
static long collect_due(engine_reactor *r, double now)
{
    size_t n = 0;
    while (r->nheap && r->heap[0]->due <= now) {
        rx_timer *t = r->heap[0];
        if (n == r->firing_cap) {
            size_t cap = r->firing_cap ? 2 * r->firing_cap : 16;
            rx_timer **f = realloc(r->firing, cap * sizeof *f);
            if (!f)
                break; /* the rest stay due for the next call */
            r->firing = f;
            r->firing_cap = cap;
        }
        heap_take(r, t);
        t->in_firing = 1;
        r->firing[n++] = t;
        if (t->every > 0) {
            /* the next period after now, in phase; missed ones are skipped */
            double k = floor((now - t->due) / t->every) + 1;
            t->due += k * t->every;
            if (t->due <= now)
                t->due = now + t->every;
            heap_push(r, t); /* room: it was just taken out */
        }
    }
    return (long)n;
}

static int fire_timers(engine_reactor *r, size_t n)
{
    int called = 0;
    for (size_t k = 0; k < n; k++) {
        rx_timer *t = r->firing[k];
        if (t->dead)
            continue;
        int id = t->id;
        if (t->every <= 0) /* one-shot: gone once its callback starts */
            map_delete(r, map_find(r, id));
        t->fn(r, id, t->arg);
        called++;
    }
    for (size_t k = 0; k < n; k++) {
        rx_timer *t = r->firing[k];
        t->in_firing = 0;
        if (t->dead || t->every <= 0)
            free(t);
    }
    return called;
}

int engine_reactor_run_once(engine_reactor *r, double max_wait)
{
    double now = engine_reactor_now(), wait = max_wait;
    if (r->nheap) {
        double until = r->heap[0]->due - now;
        if (until < 0)
            until = 0;
        if (wait < 0 || until < wait)
            wait = until;
    }
    if (wait < 0 && r->nfds == 0 && r->sfd < 0) {
        errno = EDEADLK;
        return -1;
    }
    int ms = -1;
    if (wait >= 0)
        ms = wait * 1000.0 >= (double)INT_MAX ? INT_MAX : (int)ceil(wait * 1000.0);
    struct epoll_event evs[64];
    int n = epoll_wait(r->ep, evs, 64, ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return -1;
    }
    int called = 0, sig = 0;
    r->dispatching = 1;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.ptr == r) {
            sig = 1;
            continue;
        }
        rx_fd *w = evs[i].data.ptr;
        if (w->dead)
            continue;
        uint32_t e = evs[i].events;
        int rev = (e & EPOLLIN ? ENGINE_REACTOR_READ : 0) |
                  (e & EPOLLOUT ? ENGINE_REACTOR_WRITE : 0) |
                  (e & (EPOLLERR | EPOLLHUP) ? ENGINE_REACTOR_ERROR : 0);
        w->fn(r, w->fd, rev, w->arg);
        called++;
    }
    if (sig)
        called += read_signals(r);
    long due = collect_due(r, engine_reactor_now());
    if (due > 0)
        called += fire_timers(r, (size_t)due);
    r->dispatching = 0;
    while (r->dead_fds) {
        rx_fd *w = r->dead_fds;
        r->dead_fds = w->next_dead;
        free(w);
    }
    return called;
}
