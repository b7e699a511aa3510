/* libFuzzer target: the small string parsers -- Slurm hostlists, Slurm's
 * per-node counts ("36(x3),24") and durations (90s, 5m, [[HH:]MM:]SS) --
 * over arbitrary bytes (the first byte picks the parser). */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/hostlist.h"
#include "util/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0: {
        char **hosts = NULL, msg[512];
        size_t n = 0;
        if (alloc_hostlist_expand(s, &hosts, &n, msg, sizeof msg) == 0)
            alloc_hostlist_free(hosts, n);
        else
            assert(msg[0] != '\0');
        break;
    }
    case 1: {
        int out[64];
        (void)alloc_expand_counts(s, out, (size_t)(data[0] / 3 % 64));
        break;
    }
    default: {
        double sec = -1;
        if (ut_parse_duration(s, &sec) == 0)
            assert(sec >= 0 && isfinite(sec));
        break;
    }
    }
    free(s);
    return 0;
}
