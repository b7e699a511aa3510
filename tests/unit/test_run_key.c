/* An evaluation's identity for resume (run_item.hash, run/batch.c): its
 * exact bytes but for Dakota's batch number, at the place where the
 * parameters parser found the eval_id; loaded from real files. */
#include "testutil.h"

#include <unistd.h>

#include "run/batch.h"

/* Load text as a batch parameters file; the caller frees b. */
static void load(run_batch *b, const char *text)
{
    char path[] = "/tmp/bt_run_key.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char msg[512];
    int rc = run_batch_load(b, path, 0, msg, sizeof msg);
    unlink(path);
    if (rc != RUN_LOAD_OK)
        fail_msg("%s", msg);
}

/* The identity of the one evaluation in text, and its batch number. */
static unsigned long long key_of(const char *text, long *batch)
{
    run_batch b;
    load(&b, text);
    assert_int_equal(b.n, 1);
    unsigned long long k = b.items[0].hash;
    if (batch)
        *batch = b.batch_id;
    run_batch_free(&b);
    return k;
}

/* One evaluation in Dakota's standard layout (values right-aligned in 43
 * columns): x2, a string variable s, eval_id, one metadata label md. */
static const char *standard(char *buf, size_t sz, const char *x2, const char *s,
                            const char *eval_id, const char *md)
{
    snprintf(buf, sz,
             "%43s variables\n%43s x1\n%43s x2\n%43s s\n%43s functions\n%43s ASV_1:f\n"
             "%43s derivative_variables\n%43s analysis_components\n%43s eval_id\n"
             "%43s metadata\n%43s MD_1\n",
             "3", "9.0000000000000000e-01", x2, s, "1", "1", "0", "0", eval_id, "1", md);
    return buf;
}

/* The same in APREPRO (strings quoted). */
static const char *aprepro(char *buf, size_t sz, const char *x2, const char *s,
                           const char *eval_id, const char *md)
{
    char qs[64], qmd[64];
    snprintf(qs, sizeof qs, "\"%s\"", s);
    snprintf(qmd, sizeof qmd, "\"%s\"", md);
    snprintf(buf, sz,
             "%20s{ DAKOTA_VARS     = %22s }\n%20s{ x1              = %22s }\n"
             "%20s{ x2              = %22s }\n%20s{ s               = %22s }\n"
             "%20s{ DAKOTA_FNS      = %22s }\n%20s{ ASV_1:f         = %22s }\n"
             "%20s{ DAKOTA_DER_VARS = %22s }\n%20s{ DAKOTA_AN_COMPS = %22s }\n"
             "%20s{ DAKOTA_EVAL_ID  = %22s }\n%20s{ DAKOTA_METADATA = %22s }\n"
             "%20s{ MD_1            = %22s }\n",
             "", "3", "", "9.000000000000000e-01", "", x2, "", qs, "", "1", "", "1", "", "0",
             "", "0", "", eval_id, "", "1", "", qmd);
    return buf;
}

/* The same in JSON, as a batch of one; the string variable after the
 * eval_id member (JSON's members come in any order). */
static const char *json(char *buf, size_t sz, const char *x2, const char *s,
                        const char *eval_id, const char *md)
{
    snprintf(buf, sz,
             "[\n{\"responses\": [{\"label\": \"f\", \"active_set\": 1}], \"eval_id\": \"%s\", "
             "\"variables\": [{\"label\": \"x1\", \"value\": 0.9}, {\"label\": \"x2\", "
             "\"value\": %s}, {\"label\": \"s\", \"value\": \"%s\"}], \"metadata\": [\"%s\"]}\n]\n",
             eval_id, x2, s, md);
    return buf;
}

typedef const char *(*layout)(char *, size_t, const char *, const char *, const char *,
                              const char *);

/* What every format must do; x2 is written as the format writes 1.1. */
static void check_layout(layout f, const char *x2, const char *x2_other)
{
    char a[2048], b[2048];
    long batch;
    /* a batch renumbered by a restarted Dakota (3:9 before the kill, 1:9
     * and 10:9 after): the same evaluation, padding and all */
    unsigned long long k3 = key_of(f(a, sizeof a, x2, "word", "3:9", "seconds"), &batch);
    assert_int_equal(batch, 3);
    assert_true(key_of(f(b, sizeof b, x2, "word", "1:9", "seconds"), &batch) == k3);
    assert_int_equal(batch, 1);
    assert_true(key_of(f(b, sizeof b, x2, "word", "10:9", "seconds"), NULL) == k3);
    /* a string variable and a metadata label with the eval_id's text: only
     * the eval_id's batch number is left out, they stay in */
    unsigned long long s3 = key_of(f(a, sizeof a, x2, "3:9", "3:9", "3:9"), NULL);
    assert_true(key_of(f(b, sizeof b, x2, "3:9", "1:9", "3:9"), NULL) == s3);
    assert_true(key_of(f(b, sizeof b, x2, "1:9", "1:9", "3:9"), NULL) != s3);
    assert_true(key_of(f(b, sizeof b, x2, "3:9", "1:9", "1:9"), NULL) != s3);
    assert_true(key_of(f(b, sizeof b, x2, "1:9", "1:9", "1:9"), NULL) != s3);
    assert_true(s3 != k3);
    /* different parameters, another evaluation number: another evaluation */
    assert_true(key_of(f(b, sizeof b, x2_other, "word", "3:9", "seconds"), NULL) != k3);
    assert_true(key_of(f(b, sizeof b, x2, "word", "3:8", "seconds"), NULL) != k3);
    /* a prefix before the batch number is kept */
    unsigned long long p = key_of(f(a, sizeof a, x2, "word", "2:3:9", "seconds"), &batch);
    assert_int_equal(batch, 3);
    assert_true(key_of(f(b, sizeof b, x2, "word", "2:1:9", "seconds"), NULL) == p);
    assert_true(key_of(f(b, sizeof b, x2, "word", "5:3:9", "seconds"), NULL) != p);
    assert_true(p != k3);
    /* no batch number: the exact bytes, nothing left out */
    run_batch rb;
    load(&rb, f(a, sizeof a, x2, "word", "9", "seconds"));
    assert_int_equal(rb.batch_id, -1);
    assert_true(rb.items[0].hash == rb.items[0].bytes);
    run_batch_free(&rb);
}

static void standard_key(void **state)
{
    (void)state;
    /* 17 digits that parse to the same double are still another parameter */
    check_layout(standard, "1.1000000000000000e+00", "1.1000000000000001e+00");
}

static void aprepro_key(void **state)
{
    (void)state;
    check_layout(aprepro, "1.100000000000000e+00", "1.200000000000000e+00");
}

static void json_key(void **state)
{
    (void)state;
    check_layout(json, "1.1", "1.2");
}

/* A whole batch renumbered: every evaluation keeps its identity, its
 * exact-bytes hash (the check that the file did not change) does not. */
static void batch_renumbered(void **state)
{
    (void)state;
    char e1[2048], e2[2048], f3[4096], f1[4096];
    snprintf(f3, sizeof f3, "%s%s", standard(e1, sizeof e1, "1.1", "a", "3:1", "m"),
             standard(e2, sizeof e2, "1.2", "b", "3:2", "m"));
    snprintf(f1, sizeof f1, "%s%s", standard(e1, sizeof e1, "1.1", "a", "1:1", "m"),
             standard(e2, sizeof e2, "1.2", "b", "1:2", "m"));
    run_batch a, b;
    load(&a, f3);
    load(&b, f1);
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(a.items[i].hash == b.items[i].hash);
        assert_true(a.items[i].bytes != b.items[i].bytes);
        /* the bytes check passes: the file is as it was read */
        int owned;
        dak_params *p = run_item_params(&a, &a.items[i], &owned);
        assert_non_null(p);
        assert_int_equal(p->eval, (long)i + 1);
        if (owned)
            dak_params_free(p);
    }
    assert_true(a.items[0].hash != a.items[1].hash);
    run_batch_free(&a);
    run_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standard_key),
        cmocka_unit_test(aprepro_key),
        cmocka_unit_test(json_key),
        cmocka_unit_test(batch_renumbered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
