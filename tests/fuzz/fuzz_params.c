/* libFuzzer target: every parameters parser (standard, APREPRO, JSON; single
 * and batch) over arbitrary bytes must return a record or an error, never
 * crash, leak or read out of bounds. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dakota/dakota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the parsers take a length; a copy without a terminator catches overreads */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    dak_error err;
    for (int f = 0; f < 3; f++) {
        dak_params *p = dak_params_parse(buf, size, (dak_format)f, "fuzz", 1, &err);
        if (p) {
            (void)dak_params_hash(p);
            dak_params_free(p);
        } else {
            assert(err.msg[0] != '\0');
        }
    }
    dak_batch *b = dak_batch_open(buf, size, "fuzz", &err);
    if (b) {
        dak_eval ev;
        int r;
        while ((r = dak_batch_next(b, &ev, &err)) == 1) {
            assert(ev.text >= buf && ev.text + ev.len <= buf + size);
            /* an evaluation's bytes must parse alone to the same record */
            dak_params *alone =
                dak_params_parse(ev.text, ev.len, dak_batch_format(b), "alone", ev.line, &err);
            assert(alone);
            assert(dak_params_hash(alone) == dak_params_hash(ev.params));
            dak_params_free(alone);
            dak_params_free(ev.params);
        }
        dak_batch_close(b);
    }
    free(buf);
    return 0;
}
