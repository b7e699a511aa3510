/* --rules: every kind of condition and option, first match wins, and
 * malformed rules files, each named by file, line and column. */
#include "testutil.h"
#include "plan/rules.h"

static const sched_request defaults = {1, 1, 0, 0, 0};

/* One evaluation's parameters in Dakota's standard format. */
static dak_params *params(const char *vars, const char *comps, long eval)
{
    static char buf[4096];
    int nv = 0, nc = 0;
    for (const char *p = vars; *p; p++)
        nv += *p == '\n';
    for (const char *p = comps; *p; p++)
        nc += *p == '\n';
    snprintf(buf, sizeof buf,
             "%d variables\n%s1 functions\n1 ASV_1:f\n0 derivative_variables\n"
             "%d analysis_components\n%s%ld eval_id\n",
             nv, vars, nc, comps, eval);
    dak_error err;
    dak_params *p = dak_params_parse(buf, strlen(buf), DAK_FMT_STANDARD, "t", 1, &err);
    assert_non_null(p);
    return p;
}

static plan_rules parse_ok(const char *text)
{
    plan_rules rs;
    char msg[1024] = "";
    int rc = plan_rules_parse(&rs, "rules.txt", text, strlen(text), &defaults, 60, msg,
                              sizeof msg);
    if (rc != 0)
        fail_msg("unexpected error: %s", msg);
    return rs;
}

static void options_of_every_kind(void **state)
{
    (void)state;
    plan_rules rs = parse_ok(
        "# a comment line\n"
        "\n"
        "level == 2 -> submit -N 2 -n 8 -t 30m --account=proj --partition batch --qos=high "
        "--reservation=res --constraint=\"a&b\" --sched-arg=--mem=4G --exclusive   # trailing\n"
        "level == 1 and x1 > 0.5 -> tile -n4 -c 2 -g 1 --time-limit=5m\n"
        "fidelity == \"coarse\" -> tile --ntasks=1 -- coarse_sim --fast 'two words'\n"
        "eval > 100 -> tile -c 2\n"
        "* -> tile -t 1:30\n");
    assert_int_equal(rs.n, 5);
    const plan_rule *r = &rs.rules[0];
    assert_int_equal(r->line, 3);
    assert_int_equal(r->route, PLAN_SUBMIT);
    assert_int_equal(r->req.nodes, 2);
    assert_int_equal(r->req.ntasks, 8);
    assert_int_equal(r->req.exclusive, 1);
    assert_true(r->time_limit == 1800);
    assert_string_equal(r->sched[SUBMIT_ACCOUNT], "proj");
    assert_string_equal(r->sched[SUBMIT_PARTITION], "batch");
    assert_string_equal(r->sched[SUBMIT_QOS], "high");
    assert_string_equal(r->sched[SUBMIT_RESERVATION], "res");
    assert_string_equal(r->sched[SUBMIT_CONSTRAINT], "a&b");
    assert_int_equal(r->nsched_args, 1);
    assert_string_equal(r->sched_args[0], "--mem=4G");
    r = &rs.rules[1];
    assert_int_equal(r->route, PLAN_TILE);
    assert_int_equal(r->nterms, 2);
    assert_int_equal(r->terms[1].op, PLAN_GT);
    assert_true(r->terms[1].num == 0.5);
    assert_int_equal(r->terms[1].col, 16);
    assert_int_equal(r->req.ntasks, 4);
    assert_int_equal(r->req.cores_per_task, 2);
    assert_int_equal(r->req.gpus_per_task, 1);
    assert_true(r->time_limit == 300);
    r = &rs.rules[2];
    assert_int_equal(r->terms[0].is_string, 1);
    assert_string_equal(r->terms[0].str, "coarse");
    assert_int_equal(r->ncmd, 3);
    assert_string_equal(r->cmd[0], "coarse_sim");
    assert_string_equal(r->cmd[2], "two words");
    assert_null(r->cmd[3]);
    /* what a rule does not set comes from the command line */
    assert_int_equal(r->req.cores_per_task, 1);
    assert_true(r->time_limit == 60);
    r = &rs.rules[3];
    assert_int_equal(r->terms[0].kind, PLAN_NAME_EVAL);
    assert_int_equal(r->req.cores_per_task, 2);
    r = &rs.rules[4];
    assert_int_equal(r->all, 1);
    assert_true(r->time_limit == 90);
    /* the same rule spaced differently is the same plan */
    plan_rules rs2 = parse_ok("eval   >   100   ->   tile   -c   2\n");
    assert_true(rs2.rules[0].hash == rs.rules[3].hash);
    assert_true(rs.rules[2].hash != rs.rules[3].hash);
    plan_rules_free(&rs2);
    plan_rules_free(&rs);
}

static void conditions_of_every_kind(void **state)
{
    (void)state;
    plan_rules rs = parse_ok("level == 2 -> submit\n"              /* 0 */
                             "level != 0 and x1 >= 0.5 -> tile\n"  /* 1 */
                             "x1 < -0.5 -> tile\n"                 /* 2 */
                             "x1 <= -0.25 -> tile\n"               /* 3 */
                             "fid == \"fine\" -> tile\n"           /* 4 */
                             "fid != 'fine' and x1 > 0.9 -> tile\n" /* 5 */
                             "an_comp == \"mesh_b\" -> tile\n"     /* 6 */
                             "an_comp >= 10 -> tile\n"             /* 7 */
                             "eval >= 100 -> tile\n"               /* 8 */
                             "level == \"1\" and eval == 7 -> tile\n" /* 9 */);
    char msg[512];
    struct {
        const char *vars, *comps;
        long eval;
        int want;
    } cases[] = {
        {"2 level\n0.1 x1\ncoarse fid\n", "", 1, 0},
        {"1 level\n0.5 x1\ncoarse fid\n", "", 1, 1},
        {"0 level\n0.5 x1\ncoarse fid\n", "", 1, -1},
        {"0 level\n-0.75 x1\ncoarse fid\n", "", 1, 2},
        {"0 level\n-0.25 x1\ncoarse fid\n", "", 1, 3},
        {"0 level\n-0.2 x1\nfine fid\n", "", 1, 4},
        {"0 level\n0.95 x1\ncoarse fid\n", "", 1, 5},
        {"0 level\n0.95 x1\nfine fid\n", "", 1, 4},
        {"0 level\n0 x1\nx fid\n", "mesh_a AC_1:drv\nmesh_b AC_2:drv\n", 1, 6},
        {"0 level\n0 x1\nx fid\n", "mesh_a AC_1:drv\n12 AC_2:drv\n", 1, 7},
        {"0 level\n0 x1\nx fid\n", "mesh_a AC_1:drv\n9 AC_2:drv\n", 1, -1},
        {"0 level\n0 x1\nx fid\n", "", 100, 8},
        {"0 level\n0 x1\nx fid\n", "", 99, -1},
        {"1 level\n0.1 x1\nx fid\n", "", 7, 9},
        {"1 level\n0.1 x1\nx fid\n", "", 8, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dak_params *p = params(cases[i].vars, cases[i].comps, cases[i].eval);
        int got = plan_rules_match(&rs, p, cases[i].eval, msg, sizeof msg);
        if (got != cases[i].want)
            fail_msg("case %zu: matched %d, expected %d (%s)", i, got, cases[i].want,
                     got == -2 ? msg : "");
        dak_params_free(p);
    }
    plan_rules_free(&rs);
}

static void first_match_wins(void **state)
{
    (void)state;
    plan_rules rs = parse_ok("x1 > 0 -> tile -n 2\nx1 > 0.5 -> submit -n 8\n* -> tile -n 3\n");
    char msg[256];
    dak_params *p = params("0.9 x1\n", "", 1);
    assert_int_equal(plan_rules_match(&rs, p, 1, msg, sizeof msg), 0);
    dak_params_free(p);
    p = params("-0.9 x1\n", "", 2);
    assert_int_equal(plan_rules_match(&rs, p, 2, msg, sizeof msg), 2);
    dak_params_free(p);
    plan_rules_free(&rs);
}

static void rules_that_cannot_apply(void **state)
{
    (void)state;
    plan_rules rs = parse_ok("\n  levl == 2 -> submit\n");
    char msg[512];
    dak_params *p = params("2 level\n0.1 x1\n", "", 5);
    assert_int_equal(plan_rules_match(&rs, p, 5, msg, sizeof msg), -2);
    assert_non_null(strstr(msg, "rules.txt:2:3: evaluation 5 has no variable 'levl'"));
    assert_non_null(strstr(msg, "level"));
    plan_rules_free(&rs);
    rs = parse_ok("fid > 2 -> tile\n");
    dak_params_free(p);
    p = params("coarse fid\n", "", 5);
    assert_int_equal(plan_rules_match(&rs, p, 5, msg, sizeof msg), -2);
    assert_non_null(strstr(msg, "rules.txt:1:1: fid of evaluation 5 is the string 'coarse'"));
    dak_params_free(p);
    plan_rules_free(&rs);
    /* a rule no allocation could satisfy */
    rs = parse_ok("x > 1 -> tile -N 4 -n 2\n");
    assert_int_equal(plan_rule_check(&rs, 0, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "rules.txt:1: -N 4 with -n 2"));
    plan_rules_free(&rs);
}

static void malformed_rules_name_line_and_column(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"level == 2 submit -n 2\n", "rules.txt:1:12: expected 'and' or '->' after the condition, found 'submit'"},
        {"# ok\nlevel == 2 -> queue -n 2\n", "rules.txt:2:15: expected a route after '->', tile or submit, found 'queue'"},
        {"level = 2 -> tile\n", "rules.txt:1:7: expected an operator after 'level' (==, !=, <, <=, > or >=), found '='"},
        {"level == -> tile\n", "rules.txt:1:10: expected a value after 'level'"},
        {"fid == \"coarse -> tile\n", "rules.txt:1:8: a string that starts here has no closing \""},
        {"fid < \"coarse\" -> tile\n", "rules.txt:1:7: a string compares only with == or !="},
        {"level == coarse -> tile\n", "rules.txt:1:10: expected a number or a quoted string, found 'coarse'"},
        {"level == 1 -> tile -n x\n", "rules.txt:1:23: -n: expected a whole number of at least 1, found 'x'"},
        {"level == 1 -> tile --mem 4G\n", "rules.txt:1:20: unknown option '--mem'"},
        {"level == 1 -> tile --account=proj\n", "rules.txt:1:20: --account is for submit rules"},
        {"level == 1 -> submit -t soon\n", "rules.txt:1:25: -t: expected a duration"},
        {"level == 1 and -> tile\n", "rules.txt:1:16: expected a condition after 'and', found '->'"},
        {"level == 1 -> tile --\n", "rules.txt:1:20: expected a COMMAND after '--'"},
        {"-> tile -n 2\n", "rules.txt:1:1: expected a condition"},
        {"level == 1 -> tile -c\n", "rules.txt:1:20: -c expects a value, found the end of the line"},
        {"eval == \"7\" -> tile\n", "rules.txt:1:9: eval is a number"},
        {"level == 1 -> tile --sched-arg=--mem=1G\n", "rules.txt:1:20: --sched-arg is for submit rules"},
        {"level == 1 ->\n", "rules.txt:1:14: expected a route after '->', tile or submit, found the end of the line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        plan_rules rs;
        char msg[1024] = "";
        int rc = plan_rules_parse(&rs, "rules.txt", bad[i].text, strlen(bad[i].text), &defaults,
                                  0, msg, sizeof msg);
        if (rc != -1 || strncmp(msg, bad[i].want, strlen(bad[i].want)) != 0)
            fail_msg("case %zu (%s): got %d '%s', expected '%s'", i, bad[i].text, rc, msg,
                     bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_of_every_kind),
        cmocka_unit_test(conditions_of_every_kind),
        cmocka_unit_test(first_match_wins),
        cmocka_unit_test(rules_that_cannot_apply),
        cmocka_unit_test(malformed_rules_name_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
