/* The signals a run reads from its signalfd. */
#include "orch.h"

void run_signal_mask(sigset_t *mask)
{
    sigemptyset(mask);
    static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(mask, sigs[i]);
}
