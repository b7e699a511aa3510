/* Cores taken by the batchtile drivers of one allocation on one node: see
 * registry.h. A line of the file: "PID STARTTIME PU PU ...", the first
 * logical CPU of each core the driver took. */
#define _GNU_SOURCE
#include "registry.h"

#include "util/file.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Process pid's start time (clock ticks since boot), or 0 when gone. */
/* Whether one of the signals in set is pending (they are blocked). */
static int signal_pending(const sigset_t *set)
{
    sigset_t pend;
    if (!set || sigpending(&pend) < 0)
        return 0;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(set, sig) == 1 && sigismember(&pend, sig) == 1)
            return 1;
    return 0;
}

static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (ut_read_small_at(AT_FDCWD, path, buf, sizeof buf) < 0)
        return 0;
    char *p = strrchr(buf, ')');
    unsigned long long st = 0;
    /* after the name: state ppid ... field 22 is the start time */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                            "%*d %*d %*d %llu", &st) != 1)
        return 0;
    return st;
}

/* The registry's directory, made 0700 and ours; -1 when it is not. */
static int reg_dir(char *out, size_t outsz)
{
    const char *x = getenv("XDG_RUNTIME_DIR");
    int w = x && x[0] == '/' ? snprintf(out, outsz, "%s/batchtile", x)
                             : snprintf(out, outsz, "/tmp/batchtile-%d", (int)getuid());
    if (w < 0 || (size_t)w >= outsz)
        return -1;
    if (mkdir(out, 0700) < 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

/* Read the live entries of f into keep (rewritten without the dead) and
 * mark the PUs they hold in held[] (size npu). */
static void read_live(FILE *f, char *keep, size_t keepsz, char *held, int npu, long *other)
{
    char line[8192];
    size_t o = 0;
    keep[0] = '\0';
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        long pid;
        unsigned long long st;
        int used;
        if (sscanf(line, "%ld %llu%n", &pid, &st, &used) != 2 || pid == getpid() ||
            start_time(pid) != st)
            continue; /* a dead driver's (or a reused pid's) */
        *other = pid;
        size_t len = strlen(line);
        if (o + len < keepsz) {
            memcpy(keep + o, line, len + 1);
            o += len;
        }
        for (char *p = line + used, *end;; p = end) {
            long pu = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pu >= 0 && pu < npu)
                held[pu] = 1;
        }
    }
}

int alloc_registry_claim(alloc_registry *reg, alloc_resources *r, const sigset_t *stop,
                         char *msg, size_t msgsz)
{
    char *reg_path = reg->path;
    reg_path[0] = '\0';
    if (r->nnodes != 1 || !r->nodes[0].core_pus)
        return 0;
    alloc_node *node = &r->nodes[0];
    char dir[4096], host[256] = "";
    if (reg_dir(dir, sizeof dir) < 0) {
        ut_err("warning: %s: no registry of this node's cores (%s): another batchtile on "
               "this node would not be seen", dir, strerror(errno));
        return 0;
    }
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_JOB_ID");
    const char *fj = getenv("FLUX_JOB_ID");
    int w = snprintf(reg_path, sizeof reg->path, "%s/cores.%s.%s", dir,
                     job && *job ? job : fj && *fj ? fj : "local", host);
    if (w < 0 || (size_t)w >= sizeof reg->path || strchr(reg_path + strlen(dir) + 1, '/')) {
        reg_path[0] = '\0';
        return 0;
    }
    int npu = 0;
    for (int c = 0; c < node->ncores; c++)
        for (const int *pu = node->core_pus[c]; *pu >= 0; pu++)
            if (*pu + 1 > npu)
                npu = *pu + 1;
    char *held = calloc((size_t)npu + 1, 1);
    size_t keepsz = 1 << 20;
    char *keep = malloc(keepsz);
    int fd = open(reg_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
    if (!held || !keep || !f) {
        snprintf(msg, msgsz, "%s: %s", reg_path, strerror(errno ? errno : ENOMEM));
        free(held);
        free(keep);
        if (f)
            fclose(f);
        else if (fd >= 0)
            close(fd);
        reg_path[0] = '\0';
        return -1;
    }
    int said = 0, nfree = 0;
    long other = 0;
    for (;;) {
        flock(fd, LOCK_EX);
        memset(held, 0, (size_t)npu + 1);
        other = 0;
        read_live(f, keep, keepsz, held, npu, &other);
        nfree = 0;
        for (int c = 0; c < node->ncores; c++)
            nfree += !held[node->core_pus[c][0]];
        if (nfree > 0)
            break;
        flock(fd, LOCK_UN);
        if (signal_pending(stop)) {
            free(held);
            free(keep);
            fclose(f);
            reg_path[0] = '\0';
            return 0;
        }
        if (!said++)
            ut_err("all %d cores of this node are taken by another batchtile of this "
                   "allocation (pid %ld, %s): waiting for some to be free",
                   node->ncores, other, reg_path);
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* keep only the free cores, and record them as ours */
    int k = 0, taken = node->ncores - nfree;
    char mine[8192];
    size_t o = (size_t)snprintf(mine, sizeof mine, "%ld %llu", (long)getpid(),
                                start_time(getpid()));
    for (int c = 0; c < node->ncores; c++) {
        if (held[node->core_pus[c][0]]) {
            free(node->core_pus[c]);
            continue;
        }
        if (o < sizeof mine)
            o += (size_t)snprintf(mine + o, sizeof mine - o, " %d", node->core_pus[c][0]);
        node->core_pus[k++] = node->core_pus[c];
    }
    node->ncores = k;
    rewind(f);
    if (ftruncate(fd, 0) == 0)
        fprintf(f, "%s%s\n", keep, mine);
    fflush(f);
    flock(fd, LOCK_UN);
    fclose(f);
    if (taken > 0)
        ut_err("another batchtile of this allocation on this node (pid %ld) uses %d of its "
               "cores: this run takes the %d free ones", other, taken, nfree);
    free(held);
    free(keep);
    return 0;
}

void alloc_registry_release(alloc_registry *reg)
{
    char *reg_path = reg->path;
    if (!reg_path[0])
        return;
    int fd = open(reg_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
    size_t keepsz = 1 << 20;
    char *keep = malloc(keepsz);
    if (f && keep) {
        flock(fd, LOCK_EX);
        char none[1];
        long other = 0;
        read_live(f, keep, keepsz, none, 0, &other);
        rewind(f);
        if (ftruncate(fd, 0) == 0)
            fputs(keep, f);
        fflush(f);
        flock(fd, LOCK_UN);
    }
    free(keep);
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    reg_path[0] = '\0';
}
