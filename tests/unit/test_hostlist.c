/* Slurm hostlist expressions and per-node counts. */
#include "testutil.h"
#include "alloc/hostlist.h"

static void expect_hosts(const char *expr, const char *joined)
{
    char **h, msg[256], got[4096] = "";
    size_t n;
    if (alloc_hostlist_expand(expr, &h, &n, msg, sizeof msg) < 0)
        fail_msg("%s: %s", expr, msg);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(got, " ");
        strcat(got, h[i]);
    }
    alloc_hostlist_free(h, n);
    if (strcmp(got, joined) != 0)
        fail_msg("%s: got '%s', expected '%s'", expr, got, joined);
}

static void expands(void **state)
{
    (void)state;
    expect_hosts("node1", "node1");
    expect_hosts("node[1-3]", "node1 node2 node3");
    expect_hosts("cn[001-004,010],gpu7", "cn001 cn002 cn003 cn004 cn010 gpu7");
    expect_hosts("n[08-11]", "n08 n09 n10 n11");
    expect_hosts("a,b,c", "a b c");
    expect_hosts("rack[1-2]-n[01-02]", "rack1-n01 rack1-n02 rack2-n01 rack2-n02");
    expect_hosts("x[7]", "x7");
    expect_hosts("big[1-2],small[5,7-8].lan", "big1 big2 small5.lan small7.lan small8.lan");
}

static void refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "node[1-", "node[3-1]", "node[a-b]", "n[1,,2]", "a,,b",
                                      "n[1-2", "n[]", "n[0][00-900][00-45450][]", NULL};
    for (int i = 0; bad[i]; i++) {
        char **h, msg[256] = "";
        size_t n;
        if (alloc_hostlist_expand(bad[i], &h, &n, msg, sizeof msg) == 0)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(strstr(msg, "hostlist") != NULL);
    }
}

static void counts(void **state)
{
    (void)state;
    int v[5];
    assert_int_equal(alloc_expand_counts("36(x3),24", v, 4), 0);
    assert_true(v[0] == 36 && v[1] == 36 && v[2] == 36 && v[3] == 24);
    assert_int_equal(alloc_expand_counts("2(x3)", v, 3), 0);
    assert_int_equal(alloc_expand_counts("4,8", v, 2), 0);
    assert_true(v[0] == 4 && v[1] == 8);
    assert_int_equal(alloc_expand_counts("36(x3),24", v, 3), -1); /* too many */
    assert_int_equal(alloc_expand_counts("36(x3)", v, 4), -1);    /* too few */
    assert_int_equal(alloc_expand_counts("36(3)", v, 3), -1);
    assert_int_equal(alloc_expand_counts("x", v, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(expands), cmocka_unit_test(refuses),
                                       cmocka_unit_test(counts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
