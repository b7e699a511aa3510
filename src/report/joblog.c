#define _GNU_SOURCE
#include "joblog.h"

#include <stdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct report_joblog {
    int fd;
};

report_joblog *report_joblog_open(const char *path, char *msg, size_t msgsz)
{
    report_joblog *j = malloc(sizeof *j);
    if (!j) {
        snprintf(msg, msgsz, "out of memory");
        return NULL;
    }
    j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (j->fd < 0 || fstat(j->fd, &st) < 0) {
        snprintf(msg, msgsz, "--joblog %s: %s", path, strerror(errno));
        if (j->fd >= 0)
            close(j->fd);
        free(j);
        return NULL;
    }
    if (st.st_size == 0) {
        static const char head[] =
            "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
        (void)!write(j->fd, head, sizeof head - 1);
    }
    return j;
}

int report_joblog_add(report_joblog *j, long seq, const char *host, double start, double runtime,
                      int exitval, int sig, const char *command)
{
    /* tabs or newlines in a command would break the columns */
    char *cmd = strdup(command);
    if (!cmd)
        return -1;
    for (char *c = cmd; *c; c++)
        if (*c == '\t' || *c == '\n' || *c == '\r')
            *c = ' ';
    char *line = NULL;
    int n = asprintf(&line, "%ld\t%s\t%.3f\t%.3f\t0\t0\t%d\t%d\t%s\n", seq, host, start, runtime,
                     exitval, sig, cmd);
    free(cmd);
    if (n < 0)
        return -1;
    ssize_t w = write(j->fd, line, (size_t)n); /* one write per line: appends stay whole */
    free(line);
    return w == n ? 0 : -1;
}

void report_joblog_close(report_joblog *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j);
}
