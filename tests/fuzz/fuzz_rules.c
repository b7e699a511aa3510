/* libFuzzer target: a --rules file over arbitrary bytes. A file either
 * parses, and then every rule matches (or fails to apply to) a fixed
 * evaluation without crashing, or is refused with "rules:LINE:COL: ...". */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/rules.h"

static const char params_text[] = "3 variables\n2 level\n0.25 x1\ncoarse fid\n1 functions\n"
                                  "1 ASV_1:f\n0 derivative_variables\n2 analysis_components\n"
                                  "mesh_a AC_1:drv\n12 AC_2:drv\n7 eval_id\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dak_params *p;
    if (!p) {
        dak_error err;
        p = dak_params_parse(params_text, sizeof params_text - 1, DAK_FMT_STANDARD, "p", 1, &err);
        assert(p);
    }
    if (size > 65536)
        return 0;
    sched_request def = {1, 1, 0, 0, 0};
    plan_rules rs;
    char msg[1024];
    if (plan_rules_parse(&rs, "rules", (const char *)data, size, &def, 0, msg, sizeof msg) < 0) {
        assert(strncmp(msg, "rules:", 6) == 0);
        return 0;
    }
    int m = plan_rules_match(&rs, p, 7, msg, sizeof msg);
    assert(m >= -2 && m < rs.n);
    for (int i = 0; i < rs.n; i++) {
        assert(rs.rules[i].req.ntasks >= 1 && rs.rules[i].req.cores_per_task >= 1);
        plan_rule_check(&rs, i, msg, sizeof msg);
    }
    plan_rules_free(&rs);
    return 0;
}
