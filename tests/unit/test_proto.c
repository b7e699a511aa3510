/* The node agents' protocol: lines cut across reads, lines that are not
 * JSON objects, buffered writes, and the hello's version check. */
#include "testutil.h"
#include "proto/proto.h"

#include <stdlib.h>
#include <unistd.h>

static void lines_across_reads(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    proto_in in = {0};
    int bad = 0;
    /* half a line: nothing yet */
    assert_int_equal(write(p[1], "{\"a\":", 5), 5);
    assert_int_equal(proto_read(&in, p[0]), 1);
    assert_null(proto_next(&in, &bad));
    assert_int_equal(bad, 0);
    /* its end, an empty line, a line that is no object, one more object */
    const char *rest = "1}\n\n[1,2]\n{\"b\":2}\n";
    assert_int_equal(write(p[1], rest, strlen(rest)), (ssize_t)strlen(rest));
    assert_int_equal(proto_read(&in, p[0]), 1);
    json_t *m = proto_next(&in, &bad);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "a")), 1);
    json_decref(m);
    assert_null(proto_next(&in, &bad));
    assert_int_equal(bad, 1);
    m = proto_next(&in, &bad);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "b")), 2);
    json_decref(m);
    assert_null(proto_next(&in, &bad));
    assert_int_equal(bad, 0);
    close(p[1]);
    assert_int_equal(proto_read(&in, p[0]), 0); /* end of file */
    close(p[0]);
    proto_in_free(&in);
}

static void many_lines_one_write(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    proto_out out = {0};
    for (int i = 0; i < 100; i++)
        assert_int_equal(proto_put(&out, json_pack("{s:i}", "id", i)), 0);
    assert_int_equal(proto_flush(&out, p[1], 1), 0);
    assert_int_equal(out.n, 0);
    close(p[1]);
    proto_in in = {0};
    int n = 0, bad = 0, r;
    while ((r = proto_read(&in, p[0])) > 0) {
        json_t *m;
        while ((m = proto_next(&in, &bad))) {
            assert_int_equal(json_integer_value(json_object_get(m, "id")), n++);
            json_decref(m);
        }
    }
    assert_int_equal(n, 100);
    close(p[0]);
    proto_in_free(&in);
    proto_out_free(&out);
}

static void hello_versions(void **state)
{
    (void)state;
    char msg[512];
    unsetenv("BATCHTILE_AGENT_PROTOCOL");
    json_t *h = proto_hello("agent", "node2", json_pack("{s:i}", "pid", 7));
    assert_int_equal(proto_hello_check(h, "driver", "node2", msg, sizeof msg), 0);
    assert_int_equal(json_integer_value(json_object_get(h, "pid")), 7);
    json_decref(h);
    /* an agent of another protocol: refused, the message says who speaks what */
    setenv("BATCHTILE_AGENT_PROTOCOL", "2", 1);
    h = proto_hello("agent", "node2", NULL);
    unsetenv("BATCHTILE_AGENT_PROTOCOL");
    assert_int_equal(proto_hello_check(h, "driver", "node2", msg, sizeof msg), -1);
    char want[256];
    snprintf(want, sizeof want, "batchtile agent %s on node2 speaks protocol 2, this driver %d: "
             "install the same batchtile on every node", proto_bt_version(), PROTO_VERSION);
    assert_string_equal(msg, want);
    json_decref(h);
    /* not a hello at all */
    h = json_pack("{s:s}", "ev", "end");
    assert_int_equal(proto_hello_check(h, "driver", "the agent on node3", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "the agent on node3: the peer's first line is no batchtile agent hello"));
    json_decref(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_across_reads),
        cmocka_unit_test(many_lines_one_write),
        cmocka_unit_test(hello_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
