/* Batch splitting: every evaluation's bytes verbatim, in order, any format. */
#include "testutil.h"

/* Split name; check count, eval numbers 1..n, that the spans tile the file
 * (standard / APREPRO) and that each span parses alone to the same record. */
static void split_fixture(const char *name, dak_format fmt, size_t expect_n)
{
    size_t len;
    char *buf = fixture(name, &len);
    dak_error err;
    dak_batch *b = dak_batch_open(buf, len, name, &err);
    assert_non_null(b);
    assert_int_equal(dak_batch_format(b), fmt);
    dak_eval ev;
    size_t n = 0, covered = 0;
    int r;
    while ((r = dak_batch_next(b, &ev, &err)) == 1) {
        assert_int_equal(ev.index, n);
        assert_int_equal(ev.params->eval, (long)n + 1);
        assert_int_equal(ev.params->batch, 1);
        if (fmt != DAK_FMT_JSON) {
            assert_ptr_equal(ev.text, buf + covered); /* contiguous, nothing skipped */
            covered += ev.len;
        } else {
            assert_true(ev.text[0] == '{' && ev.text[ev.len - 1] == '}');
        }
        /* where the parser found the eval_id: its value's bytes, in the
         * evaluation's text (a JSON string with its quotes) */
        char want[64];
        snprintf(want, sizeof want, fmt == DAK_FMT_JSON ? "\"1:%zu\"" : "1:%zu", n + 1);
        assert_int_equal(ev.params->eval_id_len, strlen(want));
        assert_true(ev.params->eval_id_at + ev.params->eval_id_len <= ev.len);
        assert_memory_equal(ev.text + ev.params->eval_id_at, want, strlen(want));
        dak_params *alone = dak_params_parse(ev.text, ev.len, fmt, "alone", ev.line, &err);
        if (!alone)
            fail_msg("%zu: %s", err.line, err.msg);
        assert_int_equal(alone->eval_id_at, ev.params->eval_id_at);
        assert_int_equal(alone->eval_id_len, ev.params->eval_id_len);
        assert_true(dak_params_hash(alone) == dak_params_hash(ev.params));
        assert_string_equal(alone->eval_id, ev.params->eval_id);
        dak_params_free(alone);
        dak_params_free(ev.params);
        n++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(n, expect_n);
    if (fmt != DAK_FMT_JSON)
        assert_int_equal(covered, len);
    dak_batch_close(b);
    free(buf);
}

static void standard_batch(void **state)
{
    (void)state;
    split_fixture("batch_std.in", DAK_FMT_STANDARD, 3);
}

static void aprepro_batch(void **state)
{
    (void)state;
    split_fixture("batch_aprepro.in", DAK_FMT_APREPRO, 3);
}

static void json_batch(void **state)
{
    (void)state;
    split_fixture("batch.json", DAK_FMT_JSON, 3);
}

static void line_numbers(void **state)
{
    (void)state;
    size_t len;
    char *buf = fixture("batch_std.in", &len);
    dak_error err;
    dak_batch *b = dak_batch_open(buf, len, "b", &err);
    dak_eval ev;
    /* evaluation 1 has 4 variables, 1 response, 4 DVV: 4+1+1+1+4+1+1+1+1 = 15 lines */
    assert_int_equal(dak_batch_next(b, &ev, &err), 1);
    assert_int_equal(ev.line, 1);
    dak_params_free(ev.params);
    assert_int_equal(dak_batch_next(b, &ev, &err), 1);
    assert_int_equal(ev.line, 16);
    dak_params_free(ev.params);
    dak_batch_close(b);
    free(buf);
}

static void old_files_without_metadata(void **state)
{
    (void)state;
    const char *s = "1 variables\n1.0 x\n0 functions\n0 derivative_variables\n"
                    "0 analysis_components\n1 eval_id\n"
                    "1 variables\n2.0 x\n0 functions\n0 derivative_variables\n"
                    "0 analysis_components\n2 eval_id\n";
    dak_error err;
    dak_batch *b = dak_batch_open(s, strlen(s), "b", &err);
    dak_eval ev;
    assert_int_equal(dak_batch_next(b, &ev, &err), 1);
    assert_int_equal(ev.len, strlen(s) / 2);
    dak_params_free(ev.params);
    assert_int_equal(dak_batch_next(b, &ev, &err), 1);
    assert_int_equal(ev.params->eval, 2);
    dak_params_free(ev.params);
    assert_int_equal(dak_batch_next(b, &ev, &err), 0);
    dak_batch_close(b);
}

static void expect_batch_error(const char *s, size_t line, const char *needle)
{
    dak_error err;
    memset(&err, 0, sizeof err);
    dak_batch *b = dak_batch_open(s, strlen(s), "b.json", &err);
    dak_eval ev;
    int r;
    while ((r = dak_batch_next(b, &ev, &err)) == 1)
        dak_params_free(ev.params);
    dak_batch_close(b);
    if (r != -1 || err.line != line || !strstr(err.msg, needle))
        fail_msg("r=%d line %zu '%s'; expected line %zu containing '%s'", r, err.line, err.msg,
                 line, needle);
}

static void malformed_json_batches(void **state)
{
    (void)state;
    const char *ok = "{\"variables\":[],\"responses\":[],\"eval_id\":\"1:1\"}";
    char buf[1024];
    snprintf(buf, sizeof buf, "[\n%s\n%s]", ok, ok);
    expect_batch_error(buf, 3, "expected ',' or ']' after evaluation 1");
    snprintf(buf, sizeof buf, "[\n%s,\n", ok);
    expect_batch_error(buf, 3, "found end of file");
    snprintf(buf, sizeof buf, "[\n%s\n] extra", ok);
    expect_batch_error(buf, 3, "expected end of file after the JSON batch");
    expect_batch_error("[\n{\"variables\": [\"unterminated]\n", 2, "unterminated JSON object");
    expect_batch_error("[ 1, 2 ]", 1, "expected '{' opening evaluation 1");
    expect_batch_error("[\n{\"variables\":[],\"responses\":[],\"eval_id\":\"1:1\",}\n]", 2,
                       "evaluation 1");
}

static void empty_json_batch(void **state)
{
    (void)state;
    dak_error err;
    dak_batch *b = dak_batch_open("[ ]\n", 4, "b", &err);
    dak_eval ev;
    assert_int_equal(dak_batch_next(b, &ev, &err), 0);
    dak_batch_close(b);
}

/* The eval_id's place in a JSON object, whatever else holds its text. */
static void json_eval_id_place(void **state)
{
    (void)state;
    static const struct {
        const char *text, *value;
    } cases[] = {
        /* a string variable and metadata with the eval_id's text, before and after it */
        {"{\"variables\": [{\"label\": \"eval_id\", \"value\": \"2:5\"}], \"responses\": [],"
         " \"eval_id\" :\n \"2:5\" , \"metadata\": [\"2:5\"]}", "\"2:5\""},
        /* eval_id first, a number */
        {"  {\"eval_id\":5,\"variables\":[],\"responses\":[]}", "5"},
        /* the member name written with an escape is the same name */
        {"{\"variables\":[],\"responses\":[],\"eval\\u005fid\":\"1:5\"}", "\"1:5\""},
        /* an escaped quote in a string before it */
        {"{\"variables\":[{\"label\":\"s\",\"value\":\"a\\\"b\"}],\"responses\":[],"
         "\"eval_id\":\"3:5\"}", "\"3:5\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dak_error err;
        const char *t = cases[i].text;
        dak_params *p = dak_params_parse(t, strlen(t), DAK_FMT_JSON, "t.json", 1, &err);
        if (!p)
            fail_msg("case %zu: %s", i, err.msg);
        assert_int_equal(p->eval, 5);
        assert_int_equal(p->eval_id_len, strlen(cases[i].value));
        assert_memory_equal(t + p->eval_id_at, cases[i].value, strlen(cases[i].value));
        dak_params_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_batch),
        cmocka_unit_test(aprepro_batch),
        cmocka_unit_test(json_batch),
        cmocka_unit_test(line_numbers),
        cmocka_unit_test(old_files_without_metadata),
        cmocka_unit_test(malformed_json_batches),
        cmocka_unit_test(empty_json_batch),
        cmocka_unit_test(json_eval_id_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
