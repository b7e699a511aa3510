/* `batchtile run`: the engine with one batch. The batch is loaded and its
 * journal locked before the machine is probed (a second run says so at
 * once, and loads no topology); the watchdog and the backend come once its
 * plans are known, so that every line and exit status is what run has
 * always printed and returned. */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>

#include "util/log.h"

static void exec_done(engine_batch *b, int status, void *arg)
{
    (void)b;
    *(int *)arg = status;
}

int engine_execute(const run_config *c)
{
    int status;
    engine_batch *b = engine_batch_open(c, NULL, NULL, &status);
    if (!b)
        return status;
    engine_config ec = {.backend = c->backend,
                        .mpi = c->mpi,
                        .launch = c->launch,
                        .cores = c->cores,
                        .gpus = c->gpus,
                        .ntasks_max = 1,
                        .grace = c->grace,
                        .deadline = c->deadline,
                        .end_margin = c->end_margin,
                        .signals = 1};
    char msg[2048];
    engine *e = engine_open(&ec, !c->dry_run, &status, msg, sizeof msg);
    if (!e) {
        ut_err("%s", msg);
        engine_batch_release(b);
        return status;
    }
    if ((status = engine_batch_setup(b, e)) != 0 || c->dry_run)
        goto out;
    engine_shape need;
    engine_batch_shape(b, &need);
    if (engine_start(e, &need, msg, sizeof msg) < 0) {
        engine_log(b, "%s", msg);
        status = errno == EINVAL ? 1 : 3; /* --launch agents, a multi-node batch */
        goto out;
    }
    if ((status = engine_batch_begin(b)) != 0)
        goto out;
    if (engine_batch_attach(e, b) < 0) {
        engine_log(b, "out of memory");
        status = 3;
        goto out;
    }
    b->done = exec_done;
    b->done_arg = &status;
    engine_run(e);
out:
    if (b->eng && !b->complete)
        engine_batch_detach(e, b);
    engine_free(e); /* the watchdog and the sweep, before the journal lets go */
    engine_batch_release(b);
    return status;
}
