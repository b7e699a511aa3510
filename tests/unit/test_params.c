/* Parameters files: standard, APREPRO and JSON, well-formed and not. */
#include "testutil.h"

static dak_params *load(const char *name)
{
    size_t len;
    char *buf = fixture(name, &len);
    dak_error err;
    dak_params *p = dak_params_parse(buf, len, dak_format_detect(buf, len), name, 1, &err);
    if (!p)
        fail_msg("%s:%zu: %s", err.file, err.line, err.msg);
    free(buf); /* the record owns copies of everything */
    return p;
}

static void standard_all_blocks(void **state)
{
    (void)state;
    dak_params *p = load("params_std.in");
    assert_int_equal(p->format, DAK_FMT_STANDARD);
    assert_int_equal(p->nvars, 4);
    assert_string_equal(p->vars[0].label, "x1");
    assert_int_equal(p->vars[0].kind, DAK_VAL_REAL);
    assert_true(p->vars[0].real == -4.301475213095546e-01);
    assert_int_equal(p->vars[2].kind, DAK_VAL_INT);
    assert_int_equal(p->vars[2].integer, 3);
    assert_string_equal(p->vars[3].label, "dussv_1");
    assert_string_equal(p->vars[3].value, "foo bar");
    assert_int_equal(p->vars[3].kind, DAK_VAL_STRING);
    assert_int_equal(p->nfns, 3);
    assert_string_equal(p->fns[1].label, "nln_ineq_con_1");
    assert_int_equal(p->fns[0].asv, 1);
    assert_int_equal(p->fns[1].asv, 3);
    assert_int_equal(p->fns[2].asv, 7);
    assert_int_equal(p->ndvv, 2);
    assert_int_equal(p->dvv[1], 2);
    assert_string_equal(p->dvv_label[1], "x2");
    assert_int_equal(p->nac, 2);
    assert_string_equal(p->acs[0].driver, "first.sh");
    assert_string_equal(p->acs[1].driver, "second.sh");
    assert_string_equal(p->acs[1].value, "a b");
    assert_string_equal(p->eval_id, "1:7");
    assert_int_equal(p->eval, 7);
    assert_int_equal(p->batch, 1);
    assert_true(p->has_metadata);
    assert_int_equal(p->nmeta, 1);
    assert_string_equal(p->meta[0], "seconds");
    assert_non_null(dak_params_var(p, "x2"));
    assert_null(dak_params_var(p, "x9"));
    assert_true(dak_params_wants(p, 4));
    dak_params_free(p);
}

static void standard_without_metadata(void **state)
{
    (void)state;
    dak_params *p = load("params_std_nometa.in");
    assert_false(p->has_metadata);
    assert_int_equal(p->nmeta, 0);
    assert_string_equal(p->eval_id, "7");
    assert_int_equal(p->eval, 7);
    assert_int_equal(p->batch, 0);
    assert_false(dak_params_wants(p, 2));
    dak_params_free(p);
}

static void aprepro_all_blocks(void **state)
{
    (void)state;
    dak_params *p = load("params_aprepro.in");
    assert_int_equal(p->format, DAK_FMT_APREPRO);
    assert_int_equal(p->nvars, 3);
    assert_true(p->vars[1].real == -1.5);
    assert_string_equal(p->vars[2].value, "foo bar");
    assert_int_equal(p->vars[2].kind, DAK_VAL_STRING);
    assert_int_equal(p->nfns, 2);
    assert_string_equal(p->fns[1].label, "response_fn_2");
    assert_int_equal(p->fns[1].asv, 3);
    assert_string_equal(p->acs[0].driver, "driver.sh");
    assert_string_equal(p->acs[0].value, "a = b c");
    assert_string_equal(p->eval_id, "2:1:7");
    assert_int_equal(p->eval, 7);
    assert_int_equal(p->batch, 1);
    assert_string_equal(p->meta[0], "seconds");
    dak_params_free(p);
}

static void json_all_blocks(void **state)
{
    (void)state;
    dak_params *p = load("params.json");
    assert_int_equal(p->format, DAK_FMT_JSON);
    assert_int_equal(p->nvars, 3);
    assert_true(p->vars[0].real == 0.25);
    assert_int_equal(p->vars[1].kind, DAK_VAL_INT);
    assert_string_equal(p->vars[1].value, "3");
    assert_string_equal(p->vars[2].value, "foo bar");
    assert_int_equal(p->fns[0].asv, 3);
    assert_string_equal(p->fns[1].label, "c1");
    assert_int_equal(p->ndvv, 2);
    assert_string_equal(p->dvv_label[0], "x1");
    assert_string_equal(p->acs[0].value, "a b");
    assert_int_equal(p->eval, 7);
    assert_int_equal(p->batch, 1);
    assert_int_equal(p->nmeta, 1);
    dak_params_free(p);
}

static void eval_id_forms(void **state)
{
    (void)state;
    static const char *const ids[] = {"7", "1:7", "2:1:7", "x:1:7"};
    static const long batch[] = {0, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "1 variables\n1.0 x\n0 functions\n0 derivative_variables\n"
                 "0 analysis_components\n%s eval_id\n", ids[i]);
        dak_error err;
        dak_params *p = parse_str(buf, &err);
        assert_non_null(p);
        assert_int_equal(p->eval, 7);
        assert_int_equal(p->batch, batch[i]);
        dak_params_free(p);
    }
}

static void detect_formats(void **state)
{
    (void)state;
    assert_int_equal(dak_format_detect("   4 variables\n", 15), DAK_FMT_STANDARD);
    assert_int_equal(dak_format_detect("  { DAKOTA_VARS = 1 }", 21), DAK_FMT_APREPRO);
    assert_int_equal(dak_format_detect(" [ {", 4), DAK_FMT_JSON);
    assert_int_equal(dak_format_detect("{\n \"variables\"", 14), DAK_FMT_JSON);
    assert_int_equal(dak_format_detect("", 0), DAK_FMT_STANDARD);
}

static void hash_ignores_layout_not_values(void **state)
{
    (void)state;
    dak_error err;
    dak_params *a = parse_str("1 variables\n 5.0e-01 x\n1 functions\n1 ASV_1:f\n"
                              "0 derivative_variables\n0 analysis_components\n1:1 eval_id\n",
                              &err);
    dak_params *c = parse_str("1 variables\n 5.1e-01 x\n1 functions\n1 ASV_1:f\n"
                              "0 derivative_variables\n0 analysis_components\n1:1 eval_id\n",
                              &err);
    dak_params *d = parse_str("1 variables\n 5.0e-01 x\n1 functions\n3 ASV_1:f\n"
                              "0 derivative_variables\n0 analysis_components\n1:1 eval_id\n",
                              &err);
    assert_non_null(a);
    assert_non_null(c);
    assert_non_null(d);
    dak_params *b = parse_str("{\"variables\":[{\"label\":\"x\",\"value\":0.5}],"
                  "\"responses\":[{\"label\":\"f\",\"active_set\":1}],\"eval_id\":\"1:9\"}",
                  &err);
    assert_non_null(b);
    assert_true(dak_params_hash(a) == dak_params_hash(b));
    assert_true(dak_params_hash(a) != dak_params_hash(c));
    assert_true(dak_params_hash(a) != dak_params_hash(d));
    dak_params_free(a);
    dak_params_free(b);
    dak_params_free(c);
    dak_params_free(d);
}

/* Malformed input: NULL, the right line, and a message saying what was expected. */
static void expect_error(const char *text, size_t len, size_t line, const char *needle)
{
    dak_error err;
    memset(&err, 0, sizeof err);
    dak_params *p =
        dak_params_parse(text, len, dak_format_detect(text, len), "bad.in", 1, &err);
    if (p)
        fail_msg("parsed, expected an error containing '%s'", needle);
    if (err.line != line || !strstr(err.msg, needle))
        fail_msg("got line %zu '%s', expected line %zu containing '%s'", err.line, err.msg, line,
                 needle);
    assert_string_equal(err.file, "bad.in");
}
#define EXPECT_ERROR(s, line, needle) expect_error(s, sizeof(s) - 1, line, needle)

static void malformed_standard(void **state)
{
    (void)state;
    EXPECT_ERROR("", 1, "expected '<n> variables', found end of file");
    EXPECT_ERROR("2 variables\n1.0 x1\n", 3, "expected variable 2 of 2, found end of file");
    EXPECT_ERROR("1 variables\n1.0 x1\n2 functions\n1 ASV_1:f\n0 derivative_variables\n", 5,
                 "as '<0..7> ASV_2:<response>', found '0 derivative_variables'");
    EXPECT_ERROR("1 variables\n1.0 x1\nthree functions\n", 3,
                 "expected '<n> functions', found 'three functions'");
    EXPECT_ERROR("1 variables\n1.0 x1\n1 function\n", 3, "expected '<n> functions'");
    EXPECT_ERROR("1 variables\n1.0 x1\n1 functions\n9 ASV_1:f\n", 4, "'<0..7> ASV_1:<response>'");
    EXPECT_ERROR("1 variables\n1.0 x1\n1 functions\n1 f\n", 4, "ASV_1");
    EXPECT_ERROR("1 variables\n1.0 x1\n0 functions\n1 derivative_variables\n0 DVV_1:x1\n", 5,
                 "'<id> DVV_1:<variable>'");
    EXPECT_ERROR("1 variables\n1.0 x1\n0 functions\n0 derivative_variables\n0 analysis_components\n",
                 6, "expected '<id> eval_id', found end of file");
    EXPECT_ERROR("1 variables\n1.0 x1\n0 functions\n0 derivative_variables\n0 analysis_components\n"
                 "1:x eval_id\n",
                 6, "ending in an evaluation number");
    EXPECT_ERROR("1 variables\n1.0 x1\n0 functions\n0 derivative_variables\n0 analysis_components\n"
                 "1 eval_id\n1 variables\n",
                 7, "expected end of file after eval_id");
    EXPECT_ERROR("999999999 variables\n1.0 x\n", 1, "larger than the rest of the file");
    EXPECT_ERROR("1 variables\nlonely\n", 2, "as 'value label', found 'lonely'");
    EXPECT_ERROR("\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00 \x01\x02\n", 1,
                 "expected '<n> variables', found '");
}

static void malformed_error_says_line_17(void **state)
{
    (void)state;
    /* the issue's own example: a batch whose second evaluation lost a line */
    char buf[4096] = "";
    const char *one = "2 variables\n1.0 x1\n2.0 x2\n1 functions\n1 ASV_1:f\n0 derivative_variables\n"
                      "0 analysis_components\n1:1 eval_id\n0 metadata\n";
    strcat(buf, one);
    strcat(buf, "2 variables\n1.0 x1\n2.0 x2\n3.0 x3\n1 functions\n");
    dak_error err;
    dak_batch *b = dak_batch_open(buf, strlen(buf), "batch.in", &err);
    dak_eval ev;
    assert_int_equal(dak_batch_next(b, &ev, &err), 1);
    dak_params_free(ev.params);
    assert_int_equal(dak_batch_next(b, &ev, &err), -1);
    char msg[1024];
    assert_string_equal(dak_error_str(&err, msg, sizeof msg),
                        "batch.in:13: expected '<n> functions', found '3.0 x3'");
    dak_batch_close(b);
}

static void malformed_aprepro_and_json(void **state)
{
    (void)state;
    EXPECT_ERROR("{ DAKOTA_VARS = 1 }\n{ x1 = 1.0 }\n{ DAKOTA_FNS = 1 \n", 3,
                 "expected '{ DAKOTA_FNS = <n> }'");
    EXPECT_ERROR("{ DAKOTA_VARS = 1 }\n{ x1 1.0 }\n", 2, "'{ label = value }'");
    EXPECT_ERROR("{\"variables\": [}", 1, "expected JSON parameters");
    EXPECT_ERROR("{\"variables\": [{\"label\": \"x\"}], \"responses\": []}", 1,
                 "variables[0]: expected {\"label\": string, \"value\"");
    EXPECT_ERROR("{\"variables\": [], \"responses\": [{\"label\": \"f\", \"active_set\": 8}]}", 1,
                 "responses[0]");
    EXPECT_ERROR("{\"variables\": [], \"responses\": []}", 1, "expected \"eval_id\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_all_blocks),
        cmocka_unit_test(standard_without_metadata),
        cmocka_unit_test(aprepro_all_blocks),
        cmocka_unit_test(json_all_blocks),
        cmocka_unit_test(eval_id_forms),
        cmocka_unit_test(detect_formats),
        cmocka_unit_test(hash_ignores_layout_not_values),
        cmocka_unit_test(malformed_standard),
        cmocka_unit_test(malformed_error_says_line_17),
        cmocka_unit_test(malformed_aprepro_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
