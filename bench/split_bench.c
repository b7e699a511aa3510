/* Parser throughput: split a 100,000-evaluation batch (standard, APREPRO and
 * JSON) in memory, against a baseline in the same run: one pass of memchr
 * over the same bytes counting lines, the least any line reader must do.
 *
 * Usage: split_bench [EVALS]   prints one line per format: seconds, MB/s, ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dakota/dakota.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_batch(dak_buf *b, size_t n, int fmt)
{
    unsigned s = 12345;
    if (fmt == 2)
        dak_buf_puts(b, "[\n");
    for (size_t e = 1; e <= n; e++) {
        double x[4];
        for (int i = 0; i < 4; i++) {
            s = s * 1103515245u + 12345u;
            x[i] = ((double)(s >> 8) / (double)(1u << 24)) * 2 - 1;
        }
        if (fmt == 0) {
            dak_buf_printf(b, "%43d variables\n", 4);
            for (int i = 0; i < 4; i++)
                dak_buf_printf(b, "%43.15e x%d\n", x[i], i + 1);
            dak_buf_printf(b, "%43d functions\n%43d ASV_1:f\n%43d derivative_variables\n", 1, 1, 4);
            for (int i = 0; i < 4; i++)
                dak_buf_printf(b, "%43d DVV_%d:x%d\n", i + 1, i + 1, i + 1);
            dak_buf_printf(b, "%43d analysis_components\n%41d:%zu eval_id\n%43d metadata\n", 0, 1, e, 0);
        } else if (fmt == 1) {
            dak_buf_printf(b, "                    { DAKOTA_VARS     = %22d }\n", 4);
            for (int i = 0; i < 4; i++)
                dak_buf_printf(b, "                    { x%-14d = %22.15e }\n", i + 1, x[i]);
            dak_buf_printf(b, "                    { DAKOTA_FNS      = %22d }\n", 1);
            dak_buf_printf(b, "                    { ASV_1:f         = %22d }\n", 1);
            dak_buf_printf(b, "                    { DAKOTA_DER_VARS = %22d }\n", 4);
            for (int i = 0; i < 4; i++)
                dak_buf_printf(b, "                    { DVV_%d:x%d        = %22d }\n", i + 1, i + 1, i + 1);
            dak_buf_printf(b, "                    { DAKOTA_AN_COMPS = %22d }\n", 0);
            dak_buf_printf(b, "                    { DAKOTA_EVAL_ID  = %20d:%zu }\n", 1, e);
            dak_buf_printf(b, "                    { DAKOTA_METADATA = %22d }\n", 0);
        } else {
            dak_buf_printf(b, "%s{\"variables\": [", e > 1 ? ",\n" : "");
            for (int i = 0; i < 4; i++)
                dak_buf_printf(b, "%s{\"label\": \"x%d\", \"value\": %.17g}", i ? ", " : "", i + 1, x[i]);
            dak_buf_printf(b, "], \"responses\": [{\"label\": \"f\", \"active_set\": 1}], "
                              "\"derivative_variables\": [1, 2, 3, 4], \"analysis_components\": [], "
                              "\"eval_id\": \"1:%zu\", \"metadata\": []}", e);
        }
    }
    if (fmt == 2)
        dak_buf_puts(b, "\n]\n");
}

static size_t baseline(const char *p, size_t len)
{
    size_t lines = 0;
    const char *end = p + len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    return lines;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 100000;
    static const char *const names[] = {"standard", "aprepro", "json"};
    printf("%-9s %8s %9s %10s %10s %8s\n", "format", "evals", "MB", "split_s", "memchr_s", "ratio");
    for (int fmt = 0; fmt < 3; fmt++) {
        dak_buf b = DAK_BUF_INIT;
        make_batch(&b, n, fmt);
        double best = 1e9, base = 1e9;
        size_t count = 0;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            volatile size_t lines = baseline(b.data, b.len);
            (void)lines;
            double t1 = now();
            dak_error err;
            dak_batch *it = dak_batch_open(b.data, b.len, "bench", &err);
            dak_eval ev;
            int r;
            count = 0;
            while ((r = dak_batch_next(it, &ev, &err)) == 1) {
                dak_params_free(ev.params);
                count++;
            }
            dak_batch_close(it);
            double t2 = now();
            if (r < 0 || count != n) {
                fprintf(stderr, "split_bench: %s: %s (after %zu)\n", names[fmt], err.msg, count);
                return 1;
            }
            if (t1 - t0 < base)
                base = t1 - t0;
            if (t2 - t1 < best)
                best = t2 - t1;
        }
        printf("%-9s %8zu %9.1f %10.3f %10.4f %8.1f\n", names[fmt], count, (double)b.len / 1e6, best,
               base, best / base);
        dak_buf_free(&b);
    }
    return 0;
}
