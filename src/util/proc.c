/* Processes and commands, below every layer: spawn one (cwd, output files,
 * affinity, environment), argv and environment builders, command
 * resolution as execvp, and capturing a short command's output. */
#include "proc.h"

#include "file.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the child of ut_proc_spawn does before exec, on a stack of its own
 * in our memory (CLONE_VM | CLONE_VFORK: we wait until it has exec'd or
 * failed): only system calls, nothing that allocates or locks. */
typedef struct spawn_child {
    const ut_spawn *s;
    char *const *envp;
    int in, out, err;       /* to dup onto 0, 1, 2 (-1: leave, or opened below) */
    int open_outputs;       /* the child opens s->out_path, s->err_path itself */
    volatile int error;     /* errno of the step that failed (then it _exits) */
    volatile int cg_error;  /* errno of joining s->cgroup_fd (exec goes on) */
} spawn_child;

/* fd onto target, inheritable across exec. */
static int dup_onto(int fd, int target)
{
    if (fd == target)
        return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

static int spawn_child_main(void *arg)
{
    spawn_child *c = arg;
    const ut_spawn *s = c->s;
    /* SIGPIPE, which the driver ignores, is the default again (any other
     * ignored signal stays ignored, as through posix_spawn). Every signal
     * is blocked until just before the exec, and a handler could only run
     * in our memory for a signal that comes in between: the ones handled
     * here (SIGBUS: ut_file_map's guard; a sanitizer's SIGSEGV, SIGFPE,
     * SIGILL) come only from a fault of the child's own, which these few
     * system calls do not make, so posix_spawn's reset of all 64 (a fifth
     * of the time to here) is left out; SIGBUS, ours, goes back anyway */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGBUS, &dfl, NULL);
    /* in its cgroup before it can start anything (cgroup.h) */
    if (s->cgroup_fd > 0 && write(s->cgroup_fd, "0", 1) != 1)
        c->cg_error = errno ? errno : EIO;
    if (!s->same_group && setpgid(0, 0) < 0)
        goto fail;
    /* its cores from its first instruction: only the child moves */
    if (s->cpus)
        sched_setaffinity(0, sizeof *s->cpus, s->cpus);
    if (s->cwd && chdir(s->cwd) < 0)
        goto fail;
    if (c->in >= 0 && dup_onto(c->in, 0) < 0)
        goto fail;
    if (c->out >= 0 && dup_onto(c->out, 1) < 0)
        goto fail;
    if (c->err >= 0 && dup_onto(c->err, 2) < 0)
        goto fail;
    if (c->open_outputs) {
        const char *paths[2] = {s->out_path, s->err_path};
        for (int k = 0; k < 2; k++) {
            int fd = open(paths[k], O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 || dup_onto(fd, 1 + k) < 0)
                goto fail;
            if (fd != 1 + k)
                close(fd);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(s->argv[0], s->argv, c->envp);
fail:
    c->error = errno ? errno : EIO;
    _exit(127);
}

pid_t ut_proc_spawn(const ut_spawn *s)
{
    static int devnull = -1;
    if (devnull < 0)
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    spawn_child c = {s, s->envp ? s->envp : environ, -1, -1, -1, 0, 0, 0};
    c.in = s->in_fd > 2 ? s->in_fd : devnull;
    if (s->out_fd > 2)
        c.out = s->out_fd;
    /* made fresh ahead: the child opens them itself, never through a link
     * (the opens of many children overlap; a loop that opened them would
     * wait for each, on a slow filesystem) */
    c.open_outputs = s->outputs_ready && s->out_path && s->err_path && s->out_path[0] != '/' &&
                     s->err_path[0] != '/';
    /* else they are opened here, relative to the work directory and never
     * through a link (a link there is replaced, its target untouched) */
    int dfd = AT_FDCWD, ofd = -1, efd = -1, e = 0;
    pid_t pid = -1;
    if (!s->outputs_ready && (s->out_path || s->err_path) && s->cwd &&
        (dfd = open(s->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        goto out;
    if (s->out_path && !s->outputs_ready) {
        if ((ofd = ut_open_nofollow(dfd, s->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
            goto out;
        c.out = ofd;
    }
    if (s->err_path && !s->outputs_ready) {
        if ((efd = ut_open_nofollow(dfd, s->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
            goto out;
        c.err = efd;
    }
    /* posix_spawn can neither set the child's affinity nor its cgroup (it
     * would take moving this thread to the child's cores and back, twice
     * a migration an evaluation): a clone of our memory that waits for the
     * exec, as posix_spawn's own, with every signal blocked until the
     * child's exec (the child starts with none blocked) */
    _Alignas(64) char stack[32 * 1024];
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(spawn_child_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
    e = errno;
#ifdef __SANITIZE_ADDRESS__
    /* the child's frames, never unwound, left their redzones marked on
     * this buffer: ours again (AddressSanitizer would see later frames
     * here as overflows) */
    __asan_unpoison_memory_region(stack, sizeof stack);
#endif
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid > 0 && c.error) {
        /* it did not exec: reap it, and say why */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        e = c.error;
        pid = -1;
    }
    if (s->cgroup_err)
        *s->cgroup_err = pid > 0 ? c.cg_error : 0;
    if (0) {
out:
        e = errno;
    }
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    if (dfd >= 0)
        close(dfd);
    if (pid < 0)
        errno = e;
    return pid;
}

void ut_proc_adopt_orphans(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int ut_env_build(ut_env *e, const char *const *sets)
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (sets && sets[2 * k])
        k++;
    e->envp = malloc((n + k + 1) * sizeof *e->envp);
    e->owned = malloc((k + 1) * sizeof *e->owned);
    e->nowned = 0;
    if (!e->envp || !e->owned) {
        ut_env_free(e);
        return -1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int overridden = 0;
        for (size_t j = 0; j < k && !overridden; j++) {
            size_t len = strlen(sets[2 * j]);
            overridden = strncmp(environ[i], sets[2 * j], len) == 0 && environ[i][len] == '=';
        }
        if (!overridden)
            e->envp[o++] = environ[i];
    }
    for (size_t j = 0; j < k; j++) {
        size_t len = strlen(sets[2 * j]) + strlen(sets[2 * j + 1]) + 2;
        char *s = malloc(len);
        if (!s) {
            e->envp[o] = NULL;
            ut_env_free(e);
            return -1;
        }
        snprintf(s, len, "%s=%s", sets[2 * j], sets[2 * j + 1]);
        e->owned[e->nowned++] = s;
        e->envp[o++] = s;
    }
    e->envp[o] = NULL;
    return 0;
}

void ut_env_free(ut_env *e)
{
    for (size_t i = 0; i < e->nowned; i++)
        free(e->owned[i]);
    free(e->owned);
    free(e->envp);
    e->owned = NULL;
    e->envp = NULL;
    e->nowned = 0;
}

int ut_argv_add(ut_argv *a, const char *fmt, ...)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        a->v = nv;
        a->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&a->v[a->n], fmt, ap);
    va_end(ap);
    if (rc < 0) {
        a->v[a->n] = NULL;
        return -1;
    }
    a->v[++a->n] = NULL;
    return 0;
}

void ut_argv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int ut_resolve_command(const char *cmd, char *out, size_t outsz)
{
    return ut_resolve_command_in(cmd, NULL, out, outsz);
}

int ut_resolve_command_in(const char *cmd, const char *base, char *out, size_t outsz)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        cwd[0] = '\0';
    if (strchr(cmd, '/')) {
        int n = cmd[0] == '/'               ? snprintf(out, outsz, "%s", cmd)
                : !base                     ? snprintf(out, outsz, "%s/%s", cwd, cmd)
                : base[0] == '/'            ? snprintf(out, outsz, "%s/%s", base, cmd)
                                            : snprintf(out, outsz, "%s/%s/%s", cwd, base, cmd);
        return (n > 0 && (size_t)n < outsz && executable(out)) ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    /* PATH first, as execvp; then the directory Dakota runs us in, as Dakota
     * does for drivers that sit beside the input file */
    size_t plen = strlen(path);
    char *dirs = malloc(plen + strlen(cwd) + 2);
    if (!dirs)
        return -1;
    snprintf(dirs, plen + strlen(cwd) + 2, "%s:%s", path, cwd);
    char *save = NULL;
    int rc = -1;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        int n = snprintf(out, outsz, "%s/%s", *d ? d : ".", cmd);
        if (n > 0 && (size_t)n < outsz && executable(out)) {
            if (out[0] != '/') {
                char rel[PATH_MAX];
                snprintf(rel, sizeof rel, "%s", out);
                snprintf(out, outsz, "%s/%s", cwd, rel);
            }
            rc = 0;
            break;
        }
    }
    free(dirs);
    return rc;
}

int ut_capture(char *const *argv, char *out, size_t outsz)
{
    return ut_capture_env(argv, environ, out, outsz);
}

int ut_capture_env(char *const *argv, char *const *envp, char *out, size_t outsz)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t at;
    sigset_t none, defaults;
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigfillset(&defaults);
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defaults);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    size_t o = 0;
    for (;;) {
        char tmp[4096];
        ssize_t n = read(fds[0], tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t k = (size_t)n;
        if (outsz && o + k > outsz - 1)
            k = outsz - 1 - o;
        memcpy(out + o, tmp, k);
        o += k;
    }
    close(fds[0]);
    if (outsz)
        out[o] = '\0';
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void ut_sh_quote(FILE *f, const char *w)
{
    fputc('\'', f);
    for (; *w; w++) {
        if (*w == '\'')
            fputs("'\\''", f);
        else
            fputc(*w, f);
    }
    fputc('\'', f);
}
