/* batchtile run --pool DIR: the client. It writes its batch as a request
 * into DIR (its run arguments, its directory, its uid), heartbeats it,
 * copies the batch's lines to its own stderr (and stdout) as they come,
 * starts a pool job where none serves DIR and DIR records how, stops the
 * batch when it gets a signal, and returns the status in the reply. */
#ifndef BATCHTILE_POOL_CLIENT_H
#define BATCHTILE_POOL_CLIENT_H

/* argv: the `batchtile run` arguments after "run", without --pool;
 * progress: draw the batch's progress line on stderr (run's --progress,
 * from the counts in the server's heartbeat). The exit status `batchtile
 * run` would have had; 3 when DIR cannot be used, 1 when it is refused. */
int pool_client_run(const char *dir, int argc, char **argv, int progress);

/* Whether a live pool serves DIR now, from one look at its heartbeat (no
 * wait): 1 live (its description into what), 0 not, -1 unknown (a heartbeat
 * from another node that must be watched). */
int pool_client_live_now(const char *dir, char *what, size_t whatsz);

#endif
