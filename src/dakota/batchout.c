#include "batchout.h"

int dak_batchout_add_text(dak_buf *out, dak_format fmt, size_t index, const char *text)
{
    if (fmt == DAK_FMT_JSON) {
        if (dak_buf_puts(out, index == 0 ? "[\n" : ",\n") < 0)
            return -1;
        return dak_buf_puts(out, text ? text : "{\"fail\":true}");
    }
    /* '#' between evaluations only: a batch of one is a plain results file,
     * which Dakota reads whether it asked for a batch or a single one */
    if (index > 0 && dak_buf_puts(out, "#\n") < 0)
        return -1;
    return dak_buf_puts(out, text ? text : "FAIL\n");
}

int dak_batchout_single(dak_buf *out, dak_format fmt, const char *text)
{
    if (fmt == DAK_FMT_JSON) {
        if (dak_buf_puts(out, text ? text : "{\"fail\":true}") < 0)
            return -1;
        return dak_buf_puts(out, "\n");
    }
    return dak_buf_puts(out, text ? text : "FAIL\n");
}

int dak_batchout_add(dak_buf *out, dak_format fmt, size_t index, const dak_params *p,
                     const dak_results *r)
{
    if (!r || r->failed)
        return dak_batchout_add_text(out, fmt, index, NULL);
    dak_buf one = DAK_BUF_INIT;
    int rc = dak_results_write(&one, r, p, fmt);
    if (rc == 0)
        rc = dak_batchout_add_text(out, fmt, index, one.data ? one.data : "");
    dak_buf_free(&one);
    return rc;
}

int dak_batchout_finish(dak_buf *out, dak_format fmt, size_t count)
{
    if (fmt != DAK_FMT_JSON)
        return 0;
    return dak_buf_puts(out, count ? "\n]\n" : "[]\n");
}
