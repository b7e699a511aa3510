/* Results files: read and validated against the ASV; written back exactly. */
#include <math.h>

#include <jansson.h>

#include "testutil.h"

/* f asks value+gradient+Hessian (7), c value (1), g gradient only (2);
 * two derivative variables; one metadata value. */
static const char params_text[] =
    "2 variables\n1.5 x1\n-2.5 x2\n3 functions\n7 ASV_1:f\n1 ASV_2:c\n2 ASV_3:g\n"
    "2 derivative_variables\n1 DVV_1:x1\n2 DVV_2:x2\n0 analysis_components\n1:4 eval_id\n"
    "1 metadata\nseconds MD_1\n";

static dak_params *params(void)
{
    dak_error err;
    dak_params *p = parse_str(params_text, &err);
    assert_non_null(p);
    return p;
}

static dak_results *parse(const dak_params *p, const char *s, dak_format fmt, dak_error *err)
{
    memset(err, 0, sizeof *err);
    return dak_results_parse(s, strlen(s), fmt, p, "results.out", err);
}

/* a response whose descriptor reads as a number ("2") is labelled with it,
 * as the library's own writer does; values on their own lines still read */
static void numeric_descriptor_is_a_label(void **state)
{
    (void)state;
    dak_error err;
    dak_params *p = parse_str("1 variables\n0.5 x1\n3 functions\n1 ASV_1:f\n1 ASV_2:2\n"
                              "1 ASV_3:g\n1 derivative_variables\n1 DVV_1:x1\n"
                              "0 analysis_components\n1:1 eval_id\n", &err);
    assert_non_null(p);
    dak_results *r = parse(p, "1.5 f\n2.5 2\n3.5 g\n", DAK_FMT_STANDARD, &err);
    if (!r)
        fail_msg("%zu: %s", err.line, err.msg);
    assert_true(r->fn[1] == 2.5 && r->fn[2] == 3.5);
    dak_results_free(r);
    /* unlabelled values, one per line, are still values */
    r = parse(p, "1.5\n2.5\n3.5\n", DAK_FMT_STANDARD, &err);
    assert_non_null(r);
    assert_true(r->fn[2] == 3.5);
    dak_results_free(r);
    /* and what the writer writes reads back */
    r = parse(p, "1.5 f\n2.5 2\n3.5 g\n", DAK_FMT_STANDARD, &err);
    dak_buf b = DAK_BUF_INIT;
    assert_int_equal(dak_results_write(&b, r, p, DAK_FMT_STANDARD), 0);
    dak_results *back = parse(p, b.data, DAK_FMT_STANDARD, &err);
    if (!back)
        fail_msg("%zu: %s in %s", err.line, err.msg, b.data);
    assert_true(back->fn[1] == 2.5);
    dak_results_free(back);
    dak_results_free(r);
    dak_buf_free(&b);
    dak_params_free(p);
}

static void standard_complete(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_error err;
    dak_results *r = parse(p,
                           "  1.0e+00 f\n  -2 c\n[ 1 2 ]\n[ 3.5e0 nan ]\n"
                           "[[ 1 2\n   3 4 ]]\n 0.25 seconds\n",
                           DAK_FMT_STANDARD, &err);
    if (!r)
        fail_msg("%zu: %s", err.line, err.msg);
    assert_false(r->failed);
    assert_true(r->fn[0] == 1.0);
    assert_true(r->fn[1] == -2.0);
    assert_true(isnan(r->fn[2])); /* not asked for */
    assert_true(r->grad[0] == 1.0 && r->grad[1] == 2.0);
    assert_true(r->grad[4] == 3.5 && isnan(r->grad[5]));
    assert_true(r->hess[0] == 1 && r->hess[1] == 2 && r->hess[2] == 3 && r->hess[3] == 4);
    assert_true(r->meta[0] == 0.25);
    dak_results_free(r);
    /* labels are optional, brackets may touch numbers, inf is a number */
    r = parse(p, "1\n-inf\n[1 2]\n[3 4]\n[[1 2 3 4]]\n5\n", DAK_FMT_STANDARD, &err);
    assert_non_null(r);
    assert_true(isinf(r->fn[1]) && r->fn[1] < 0);
    assert_true(r->meta[0] == 5);
    dak_results_free(r);
    dak_params_free(p);
}

static void standard_fail_anywhere(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_error err;
    static const char *const fails[] = {"FAIL\n", "fail", "  1.0 f\n Fail \n", "1 f\n2 c\nFAILED"};
    for (int i = 0; i < 4; i++) {
        dak_results *r = parse(p, fails[i], DAK_FMT_STANDARD, &err);
        assert_non_null(r);
        assert_true(r->failed);
        dak_results_free(r);
    }
    dak_params_free(p);
}

static void expect_invalid(const dak_params *p, const char *s, dak_format fmt, size_t line,
                           const char *needle)
{
    dak_error err;
    dak_results *r = parse(p, s, fmt, &err);
    if (r)
        fail_msg("accepted '%s'", s);
    if (err.line != line || !strstr(err.msg, needle))
        fail_msg("line %zu '%s'; expected line %zu containing '%s'", err.line, err.msg, line,
                 needle);
}

static void standard_invalid(void **state)
{
    (void)state;
    dak_params *p = params();
    expect_invalid(p, "", DAK_FMT_STANDARD, 0, "empty results file");
    expect_invalid(p, " \n\n", DAK_FMT_STANDARD, 0, "empty results file");
    expect_invalid(p, "1.0 f\n", DAK_FMT_STANDARD, 2,
                   "expected the value of response 2 'c', found end of file");
    expect_invalid(p, "1.0 f\nabc c\n", DAK_FMT_STANDARD, 2, "found 'abc'");
    expect_invalid(p, "1.0 f\n2.0 c\n1 2 ]\n", DAK_FMT_STANDARD, 3,
                   "expected '[' opening the gradient of 'f'");
    expect_invalid(p, "1.0 f\n2.0 c\n[ 1 ]\n", DAK_FMT_STANDARD, 3,
                   "expected gradient entry 2 of 2 of 'f', found ']'");
    expect_invalid(p, "1 f\n2 c\n[ 1 2 3 ]\n", DAK_FMT_STANDARD, 3, "closing the gradient of 'f'");
    expect_invalid(p, "1 f\n2 c\n[ 1 2 ]\n[ 1 2 ]\n[[ 1 2 3 ]]\n", DAK_FMT_STANDARD, 5,
                   "Hessian entry 4 of 4 of 'f'");
    expect_invalid(p, "1 f\n2 c\n[ 1 2 ]\n[ 1 2 ]\n[[ 1 2 3 4 ]]\n", DAK_FMT_STANDARD, 6,
                   "metadata value 1 'seconds', found end of file");
    expect_invalid(p, "1 f\n2 c\n[ 1 2 ]\n[ 1 2 ]\n[[ 1 2 3 4 ]]\n5 s\n6\n", DAK_FMT_STANDARD, 7,
                   "expected end of results");
    expect_invalid(p, "\x01\x02\x03 \xff\n", DAK_FMT_STANDARD, 1, "expected the value of response 1");
    dak_params_free(p);
}

static void json_results(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_error err;
    dak_results *r = parse(p,
                           "{\"functions\": {\"f\": 1.5, \"c\": \"-Inf\"},"
                           " \"gradients\": {\"f\": [1, 2], \"g\": [\"NaN\", 4]},"
                           " \"hessians\": {\"f\": [[1, 2], [3, 4]]},"
                           " \"metadata\": {\"seconds\": 9}}",
                           DAK_FMT_JSON, &err);
    if (!r)
        fail_msg("%s", err.msg);
    assert_true(r->fn[0] == 1.5 && isinf(r->fn[1]));
    assert_true(isnan(r->grad[4]) && r->grad[5] == 4);
    assert_true(r->hess[3] == 4 && r->meta[0] == 9);
    dak_results_free(r);
    r = parse(p, "{\"fail\": true}", DAK_FMT_JSON, &err);
    assert_non_null(r);
    assert_true(r->failed);
    dak_results_free(r);
    expect_invalid(p, "{\"functions\": {\"f\": 1.5}}", DAK_FMT_JSON, 0,
                   "expected \"functions\": {\"c\": number}");
    expect_invalid(p, "{\"functions\": {\"f\": 1, \"c\": 2}, \"gradients\": {\"f\": [1]}}",
                   DAK_FMT_JSON, 0, "\"gradients\": {\"f\": [2 numbers]}");
    expect_invalid(p, "[1, 2", DAK_FMT_JSON, 1, "expected JSON results");
    dak_params_free(p);
}

static void write_then_read_is_exact(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_results *r = dak_results_new(p);
    r->fn[0] = 0.1;
    r->fn[1] = -1e-300;
    r->grad[0] = 1.0 / 3.0;
    r->grad[1] = NAN;
    r->grad[4] = INFINITY;
    r->grad[5] = 6.02214076e23;
    for (int k = 0; k < 4; k++)
        r->hess[k] = k - 1.5;
    r->meta[0] = 42;
    for (int f = 0; f <= 2; f += 2) {
        dak_buf b = DAK_BUF_INIT;
        assert_int_equal(dak_results_write(&b, r, p, (dak_format)f), 0);
        dak_error err;
        dak_results *back = dak_results_parse(b.data, b.len, (dak_format)f, p, "w", &err);
        if (!back)
            fail_msg("%s: %s\n%s", dak_format_name((dak_format)f), err.msg, b.data);
        assert_memory_equal(back->fn, r->fn, 2 * sizeof(double));
        assert_true(isnan(back->grad[1]));
        assert_true(back->grad[0] == r->grad[0] && back->grad[4] == r->grad[4] &&
                    back->grad[5] == r->grad[5]);
        assert_memory_equal(back->hess, r->hess, 4 * sizeof(double));
        assert_true(back->meta[0] == 42);
        dak_results_free(back);
        dak_buf_free(&b);
    }
    dak_results_free(r);
    dak_params_free(p);
}

static void batch_results_standard(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_results *r = dak_results_new(p);
    r->fn[0] = 1;
    r->fn[1] = 2;
    dak_buf b = DAK_BUF_INIT;
    assert_int_equal(dak_batchout_add(&b, DAK_FMT_STANDARD, 0, p, r), 0);
    assert_int_equal(dak_batchout_add(&b, DAK_FMT_STANDARD, 1, p, NULL), 0);
    assert_int_equal(dak_batchout_add(&b, DAK_FMT_STANDARD, 2, p, r), 0);
    assert_int_equal(dak_batchout_finish(&b, DAK_FMT_STANDARD, 3), 0);
    /* Dakota's reader: lines starting with '#' separate the sections */
    int sections = 0, fails = 0;
    char *save, *copy = strdup(b.data);
    const char *expect_first = "  1.0000000000000000e+00 f\n  2.0000000000000000e+00 c\n";
    assert_memory_equal(b.data, expect_first, strlen(expect_first));
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            sections++;
        else if (strcmp(line, "FAIL") == 0)
            fails++;
    }
    assert_int_equal(sections, 2); /* between the three, not after the last */
    assert_int_equal(fails, 1);
    assert_true(b.data[b.len - 2] != '#');
    free(copy);
    dak_buf_free(&b);
    dak_results_free(r);
    dak_params_free(p);
}

static void batch_results_json(void **state)
{
    (void)state;
    dak_params *p = params();
    dak_results *r = dak_results_new(p);
    r->fn[0] = NAN;
    r->fn[1] = -INFINITY;
    r->grad[1] = 2.5;
    dak_buf b = DAK_BUF_INIT;
    assert_int_equal(dak_batchout_add(&b, DAK_FMT_JSON, 0, p, r), 0);
    assert_int_equal(dak_batchout_add(&b, DAK_FMT_JSON, 1, p, NULL), 0);
    assert_int_equal(dak_batchout_finish(&b, DAK_FMT_JSON, 2), 0);
    json_error_t je;
    json_t *a = json_loads(b.data, 0, &je);
    if (!a)
        fail_msg("not JSON: %s\n%s", je.text, b.data);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), 2);
    json_t *e0 = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "functions"), "f")),
                        "NaN");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "functions"), "c")),
                        "-Inf");
    assert_true(json_real_value(json_array_get(
                    json_object_get(json_object_get(e0, "gradients"), "f"), 1)) == 2.5);
    assert_true(json_is_object(json_object_get(e0, "hessians")));
    assert_true(json_is_object(json_object_get(e0, "metadata")));
    assert_true(json_is_true(json_object_get(json_array_get(a, 1), "fail")));
    json_decref(a);
    dak_buf_free(&b);
    dak_results_free(r);
    dak_params_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_complete),
        cmocka_unit_test(numeric_descriptor_is_a_label),
        cmocka_unit_test(standard_fail_anywhere),
        cmocka_unit_test(standard_invalid),
        cmocka_unit_test(json_results),
        cmocka_unit_test(write_then_read_is_exact),
        cmocka_unit_test(batch_results_standard),
        cmocka_unit_test(batch_results_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
