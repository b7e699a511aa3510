#include "tmpl.h"

#include <stdio.h>
#include <string.h>

int ut_tmpl_expand(const char *tmpl, long eval, char *out, size_t outsz)
{
    static const char key[] = "{eval}";
    size_t o = 0;
    for (const char *s = tmpl; *s;) {
        if (strncmp(s, key, sizeof key - 1) == 0) {
            int n = snprintf(out + o, outsz - o, "%ld", eval);
            if (n < 0 || (size_t)n >= outsz - o)
                return -1;
            o += (size_t)n;
            s += sizeof key - 1;
        } else {
            if (o + 1 >= outsz)
                return -1;
            out[o++] = *s++;
        }
    }
    if (o >= outsz)
        return -1;
    out[o] = '\0';
    return 0;
}

int ut_tmpl_has_eval(const char *tmpl)
{
    return strstr(tmpl, "{eval}") != NULL;
}
