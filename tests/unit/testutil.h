/* Helpers for the cmocka unit tests: fixture files and parsing shortcuts. */
#ifndef BATCHTILE_TESTS_TESTUTIL_H
#define BATCHTILE_TESTS_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dakota/dakota.h"

/* Read tests/data/NAME into a malloc'd NUL-terminated buffer. */
static inline char *fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", BT_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Parse a string as one evaluation's parameters in its detected format. */
static inline dak_params *parse_str(const char *s, dak_error *err)
{
    return dak_params_parse(s, strlen(s), dak_format_detect(s, strlen(s)), "t.in", 1, err);
}

#endif
