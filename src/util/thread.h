/* Helper threads that never see a signal: the signals are the event loop's
 * (it reads them from its signalfd). */
#ifndef BATCHTILE_UTIL_THREAD_H
#define BATCHTILE_UTIL_THREAD_H
#include <pthread.h>

/* pthread_create with every signal blocked in the new thread from its
 * first instruction. 0, or an errno value. */
int ut_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
