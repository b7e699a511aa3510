/* Name templates: "{eval}" stands for the evaluation number. */
#ifndef BATCHTILE_UTIL_TMPL_H
#define BATCHTILE_UTIL_TMPL_H
#include <stddef.h>

/* Expand tmpl with eval into out; -1 if it does not fit. */
int ut_tmpl_expand(const char *tmpl, long eval, char *out, size_t outsz);
/* Whether tmpl contains "{eval}". */
int ut_tmpl_has_eval(const char *tmpl);

#endif
