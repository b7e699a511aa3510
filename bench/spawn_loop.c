/* The baseline of the throughput benchmark: the least any driver must do
 * to run a pre-split batch. posix_spawn COMMAND params.in results.out in
 * each given directory (stdout/stderr to files there), at most P at once,
 * and wait for them. Nothing else: no parsing, no placement, no results.
 *
 * Usage: spawn_loop P COMMAND DIR... */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: spawn_loop P COMMAND DIR...\n");
        return 2;
    }
    int par = atoi(argv[1]), running = 0, failed = 0;
    char *cmd[] = {argv[2], "params.in", "results.out", NULL};
    for (int i = 3; i < argc || running > 0;) {
        if (i < argc && running < par) {
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_addchdir_np(&fa, argv[i]);
            posix_spawn_file_actions_addopen(&fa, 1, "stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
            posix_spawn_file_actions_addopen(&fa, 2, "stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
            pid_t pid;
            if (posix_spawn(&pid, cmd[0], &fa, NULL, cmd, environ) != 0)
                failed++;
            else
                running++;
            posix_spawn_file_actions_destroy(&fa);
            i++;
            continue;
        }
        int st;
        if (wait(&st) > 0) {
            running--;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                failed++;
        }
    }
    return failed ? 1 : 0;
}
