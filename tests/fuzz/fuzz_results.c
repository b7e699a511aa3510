/* libFuzzer target: results parsing (standard and JSON) against an active
 * set chosen by the first bytes; what parses must write and read back. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dakota/dakota.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int asv1 = data[0] & 7, asv2 = (data[0] >> 3) & 7, ndvv = data[1] % 3, nmeta = (data[1] >> 2) & 1;
    char ptext[1024];
    int n = snprintf(ptext, sizeof ptext,
                     "2 variables\n1 x1\n2 x2\n2 functions\n%d ASV_1:f\n%d ASV_2:g\n"
                     "%d derivative_variables\n%s%s0 analysis_components\n1:1 eval_id\n"
                     "%d metadata\n%s",
                     asv1, asv2, ndvv, ndvv > 0 ? "1 DVV_1:x1\n" : "",
                     ndvv > 1 ? "2 DVV_2:x2\n" : "", nmeta, nmeta ? "s MD_1\n" : "");
    dak_error err;
    dak_params *p = dak_params_parse(ptext, (size_t)n, DAK_FMT_STANDARD, "p", 1, &err);
    assert(p);
    size_t len = size - 2;
    char *buf = malloc(len ? len : 1);
    memcpy(buf, data + 2, len);
    for (int f = 0; f <= 2; f += 2) {
        dak_results *r = dak_results_parse(buf, len, (dak_format)f, p, "fuzz", &err);
        if (!r)
            continue;
        if (!r->failed) {
            dak_buf out = DAK_BUF_INIT;
            assert(dak_results_write(&out, r, p, (dak_format)f) == 0);
            dak_results *back = dak_results_parse(out.data ? out.data : "", out.len,
                                                  (dak_format)f, p, "back", &err);
            assert(back && !back->failed);
            dak_results_free(back);
            dak_buf_free(&out);
        }
        dak_results_free(r);
    }
    free(buf);
    dak_params_free(p);
    return 0;
}
