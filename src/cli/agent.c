/* batchtile agent: the node agent a driver starts on each node (agent.h). */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli.h"

int cli_agent(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: batchtile agent\n\n"
               "The node agent: `batchtile run --launch agents|auto` starts one on each node of\n"
               "its allocation (srun, flux_rexec) and hands it the evaluations placed there.\n"
               "It speaks a line-delimited JSON protocol on stdin and stdout; not for use by\n"
               "hand. Exit status 0, 1 (another batchtile's protocol), 3 (cannot serve).\n");
        return BT_EXIT_OK;
    }
    if (argc >= 2)
        return cli_usage_error("agent", "takes no arguments (it reads requests on stdin)");
    return agent_serve();
}
