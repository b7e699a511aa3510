/* The scheduler options of a submitted job, by name (submit.h). */
#include "submit.h"

const char *const submit_sched_names[SUBMIT_NSCHED] = {"account", "partition", "qos",
                                                       "reservation", "constraint"};
