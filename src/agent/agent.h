/* `batchtile agent`: the program a driver starts once on each node of its
 * allocation (srun, flux_rexec). It reads requests on stdin and writes
 * events on stdout (proto.h), and spawns the evaluations it is handed with
 * the local backend over this node's cores and GPUs, exactly as `batchtile
 * run` does on one machine. When its input closes (the driver is gone) it
 * kills every evaluation's process tree and exits. */
#ifndef BATCHTILE_AGENT_AGENT_H
#define BATCHTILE_AGENT_AGENT_H

/* Serve on stdin/stdout until the driver says bye or goes. The exit
 * status: 0, 1 (the driver's protocol differs, or a bad request), 3 (this
 * node cannot run evaluations: no resources, no mpiexec). */
int agent_serve(void);

#endif
