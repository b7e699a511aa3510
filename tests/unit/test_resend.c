/* Dakota's endless re-send (run/resend.c): the decision from the earlier
 * runs, and the same read from a real journal. */
#include "testutil.h"

#include <unistd.h>

#include <jansson.h>

#include "run/journal.h"
#include "run/resend.h"

enum { K = 0x1234, OTHER = 0x9876 };

/* A completed run of key k, Dakota batch b, with failed failures. */
static run_resend_past run(uint64_t k, long b, long failed)
{
    return (run_resend_past){.key = k, .batch = b, .failed = failed, .interrupted = 0};
}

static int decide(long batch, const run_resend_past *past, size_t n, int limit, long *first,
                  long *last)
{
    run_resend r = {.key = K, .batch = batch};
    *first = *last = -99;
    return run_resend_decide(&r, past, n, limit, first, last);
}

static void successive_failed_batches_stop(void **state)
{
    (void)state;
    long first, last;
    run_resend_past p[] = {run(OTHER, 1, 0), run(K, 1, 3), run(K, 2, 3), run(K, 3, 2)};
    /* limit 2: batches 2 and 3 are enough */
    assert_int_equal(decide(4, p, 4, 2, &first, &last), 1);
    assert_int_equal(first, 1); /* the whole chain: 1 to 3 */
    assert_int_equal(last, 3);
    assert_int_equal(decide(4, p, 4, 3, &first, &last), 1);
    /* limit 4: three batches are not enough */
    assert_int_equal(decide(4, p, 4, 4, &first, &last), 0);
    assert_int_equal(first, -99);
    /* one batch of the key before: under limit 2, not yet */
    assert_int_equal(decide(2, p, 2, 2, &first, &last), 0);
    assert_int_equal(decide(2, p, 2, 1, &first, &last), 1);
    assert_int_equal(first, 1);
    assert_int_equal(last, 1);
    /* batch numbers with gaps still go up */
    run_resend_past g[] = {run(K, 2, 1), run(K, 7, 1)};
    assert_int_equal(decide(9, g, 2, 2, &first, &last), 1);
}

static void no_stop(void **state)
{
    (void)state;
    long first, last;
    /* the latest batch had no failures */
    run_resend_past ok[] = {run(K, 1, 3), run(K, 2, 3), run(K, 3, 0)};
    assert_int_equal(decide(4, ok, 3, 2, &first, &last), 0);
    /* a batch without failures earlier breaks the chain: one batch after it */
    run_resend_past brk[] = {run(K, 1, 3), run(K, 2, 0), run(K, 3, 3)};
    assert_int_equal(decide(4, brk, 3, 2, &first, &last), 0);
    /* the same batch number again (run by hand): not a re-send */
    run_resend_past p[] = {run(K, 1, 3), run(K, 2, 3)};
    assert_int_equal(decide(2, p, 2, 2, &first, &last), 0);
    assert_int_equal(decide(1, p, 2, 2, &first, &last), 0);
    /* another key: other evaluations */
    run_resend_past o[] = {run(OTHER, 1, 3), run(OTHER, 2, 3)};
    assert_int_equal(decide(3, o, 2, 2, &first, &last), 0);
    run_resend_past mixed[] = {run(K, 1, 3), run(OTHER, 2, 3), run(K, 3, 3)};
    assert_int_equal(decide(4, mixed, 3, 2, &first, &last), 0);
    /* limit 0 turns the check off */
    run_resend_past q[] = {run(K, 1, 3), run(K, 2, 3), run(K, 3, 3)};
    assert_int_equal(decide(4, q, 3, 0, &first, &last), 0);
    assert_int_equal(decide(4, q, 3, 2, &first, &last), 1);
    /* a batch without batch numbers, an empty journal */
    assert_int_equal(decide(-1, q, 3, 2, &first, &last), 0);
    assert_int_equal(decide(4, q, 0, 1, &first, &last), 0);
    /* an interrupted run (a signal) breaks the chain */
    run_resend_past in[] = {run(K, 1, 3), run(K, 2, 3)};
    in[1].interrupted = 1;
    assert_int_equal(decide(3, in, 2, 2, &first, &last), 0);
    assert_int_equal(decide(3, in, 2, 1, &first, &last), 0);
    assert_int_equal(first, -99);
}

/* Dakota restarted with -read_restart numbers from 1 again: a new start,
 * stopped after limit batches again. */
static void restarted_dakota(void **state)
{
    (void)state;
    long first, last;
    run_resend_past p[] = {run(K, 1, 3), run(K, 2, 3), run(K, 3, 3),
                           run(K, 1, 3), run(K, 2, 3)};
    assert_int_equal(decide(1, p, 3, 2, &first, &last), 0); /* the restart's batch 1 */
    assert_int_equal(decide(2, p, 4, 2, &first, &last), 0); /* its batch 2: one before */
    assert_int_equal(decide(3, p, 5, 2, &first, &last), 1); /* its batch 3 */
    assert_int_equal(first, 1);
    assert_int_equal(last, 2);
}

/* Append a record to j. */
static void put(run_journal *j, const char *json)
{
    assert_int_equal(run_journal_append(j, json), 0);
}

/* run_resend_check over a journal as batchtile writes it: run and end
 * records, a run killed before its end in the middle. */
static void from_the_journal(void **state)
{
    (void)state;
    char dir[] = "/tmp/bt_resend.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], msg[1024];
    snprintf(path, sizeof path, "%s/batchtile.journal", dir);
    run_journal *j = run_journal_open(path, NULL, msg, sizeof msg);
    if (!j)
        fail_msg("%s", msg);
    put(j, "{\"type\":\"run\",\"resend\":{\"key\":\"0000000000001234\",\"batch\":1}}");
    put(j, "{\"type\":\"eval\",\"eval\":1,\"status\":\"failed\"}");
    put(j, "{\"type\":\"end\",\"ok\":9,\"failed\":3,\"interrupted\":false}");
    put(j, "{\"type\":\"run\",\"resend\":{\"key\":\"0000000000001234\",\"batch\":2}}"); /* killed */
    put(j, "{\"type\":\"run\",\"resend\":{\"key\":\"0000000000001234\",\"batch\":2}}");
    put(j, "{\"type\":\"end\",\"ok\":0,\"failed\":3,\"interrupted\":false}");
    assert_int_equal(run_journal_close(j), 0);
    run_resend r = {.key = K, .batch = 3};
    msg[0] = '\0';
    assert_int_equal(run_resend_check(&r, path, 2, msg, sizeof msg), 1);
    if (!strstr(msg, "Dakota sent batch 3 with the same evaluations as batches 1 to 2") ||
        !strstr(msg, "--on-fail nan") || !strstr(msg, "--resend-limit 0"))
        fail_msg("message: %s", msg);
    assert_int_equal(run_resend_check(&r, path, 3, msg, sizeof msg), 0);
    assert_int_equal(run_resend_check(&r, path, 0, msg, sizeof msg), 0);
    r.key = OTHER;
    assert_int_equal(run_resend_check(&r, path, 2, msg, sizeof msg), 0);
    /* its own run record round-trips: the key the journal holds is r's */
    run_resend k = {.key = 0xfedcba9876543210ULL, .batch = 7};
    json_t *js = run_resend_json(&k);
    assert_string_equal(json_string_value(json_object_get(js, "key")), "fedcba9876543210");
    json_decref(js);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(successive_failed_batches_stop),
        cmocka_unit_test(no_stop),
        cmocka_unit_test(restarted_dakota),
        cmocka_unit_test(from_the_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
