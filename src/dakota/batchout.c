#include "batchout.h"

int dak_batchout_add(dak_buf *out, dak_format fmt, size_t index, const dak_params *p,
                     const dak_results *r)
{
    if (fmt == DAK_FMT_JSON) {
        if (dak_buf_puts(out, index == 0 ? "[\n" : ",\n") < 0)
            return -1;
        return dak_results_write(out, r, p, DAK_FMT_JSON);
    }
    if (dak_results_write(out, r, p, DAK_FMT_STANDARD) < 0)
        return -1;
    return dak_buf_puts(out, "#\n");
}

int dak_batchout_finish(dak_buf *out, dak_format fmt, size_t count)
{
    if (fmt != DAK_FMT_JSON)
        return 0;
    return dak_buf_puts(out, count ? "\n]\n" : "[]\n");
}
