/* The study's numerics: quantiles against published tables, moments against
 * hand computation, and the sampling designs' defining properties. */
#include <math.h>

#include "testutil.h"
#include "study/sample.h"
#include "study/stats.h"

static void quantiles_match_tables(void **state)
{
    (void)state;
    /* Student t and chi-square tables (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7) */
    assert_true(fabs(study_t_quantile(0.975, 1) - 12.706) < 1e-3);
    assert_true(fabs(study_t_quantile(0.975, 10) - 2.228) < 1e-3);
    assert_true(fabs(study_t_quantile(0.975, 79) - 1.990) < 1e-3);
    assert_true(fabs(study_t_quantile(0.025, 10) + 2.228) < 1e-3);
    assert_true(fabs(study_chi2_quantile(0.975, 10) - 20.483) < 1e-3);
    assert_true(fabs(study_chi2_quantile(0.025, 10) - 3.247) < 1e-3);
    assert_true(fabs(study_chi2_quantile(0.975, 100) - 129.561) < 1e-3);
    assert_true(fabs(study_chi2_quantile(0.025, 100) - 74.222) < 1e-3);
    assert_true(fabs(study_norm_inv(0.975) - 1.959963984540054) < 1e-12);
    assert_true(fabs(study_norm_inv(1e-10) + 6.361340902404056) < 1e-9);
}

static void moments_by_hand(void **state)
{
    (void)state;
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    study_moments m;
    study_moments_of(x, 8, &m);
    /* mean 5, sum of squares 32, of cubes 42, of fourth powers 356 */
    double n = 8, m2 = 32 / n, sd = sqrt(32 / 7.0);
    assert_true(fabs(m.mean - 5) < 1e-15);
    assert_true(fabs(m.stddev - sd) < 1e-15);
    double g1 = (42 / n) / pow(m2, 1.5), G1 = g1 * sqrt(n * (n - 1)) / (n - 2);
    assert_true(fabs(m.skewness - G1) < 1e-12);
    double g2 = (356 / n) / (m2 * m2) - 3, G2 = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3));
    assert_true(fabs(m.kurtosis - G2) < 1e-12);
    double t = 2.364624251592785; /* t(0.975, 7) */
    assert_true(fabs(m.ci_mean[0] - (5 - t * sd / sqrt(n))) < 1e-9);
    assert_true(fabs(m.ci_sd[0] - sd * sqrt(7 / 16.01276)) < 1e-5); /* chi2(0.975, 7) */
    assert_true(fabs(m.ci_sd[1] - sd * sqrt(7 / 1.689869)) < 1e-5);  /* chi2(0.025, 7) */
    study_moments_of(x, 1, &m);
    assert_true(m.mean == 2 && isnan(m.stddev));
}

static void lhs_one_point_per_stratum(void **state)
{
    (void)state;
    enum { N = 50, D = 3 };
    double u[N * D];
    study_design(STUDY_LHS, N, D, 42, u);
    for (int j = 0; j < D; j++) {
        int seen[N] = {0};
        for (int i = 0; i < N; i++) {
            double v = u[i * D + j];
            assert_true(v > 0 && v < 1);
            seen[(int)(v * N)]++;
        }
        for (int k = 0; k < N; k++)
            assert_int_equal(seen[k], 1);
    }
    /* the seed decides: same seed, same design; another seed, another */
    double w[N * D], z[N * D];
    study_design(STUDY_LHS, N, D, 42, w);
    study_design(STUDY_LHS, N, D, 43, z);
    assert_memory_equal(u, w, sizeof u);
    assert_true(memcmp(u, z, sizeof u) != 0);
}

static void halton_is_even(void **state)
{
    (void)state;
    enum { N = 256, D = 4 };
    double u[N * D];
    study_design(STUDY_LOW_DISCREPANCY, N, D, 7, u);
    /* a low-discrepancy design fills every eighth of each axis nearly evenly */
    for (int j = 0; j < D; j++) {
        int bins[8] = {0};
        for (int i = 0; i < N; i++) {
            assert_true(u[i * D + j] > 0 && u[i * D + j] < 1);
            bins[(int)(u[i * D + j] * 8)]++;
        }
        for (int k = 0; k < 8; k++)
            assert_true(abs(bins[k] - N / 8) <= 3);
    }
}

static void variable_maps(void **state)
{
    (void)state;
    study_var uni = {STUDY_VAR_UNIFORM, "u", -1, 3, 0, 0};
    assert_true(fabs(study_var_value(&uni, 0.25) - 0) < 1e-15);
    study_var nor = {STUDY_VAR_NORMAL, "n", -INFINITY, INFINITY, 10, 2};
    assert_true(fabs(study_var_value(&nor, 0.975) - (10 + 2 * 1.959963984540054)) < 1e-10);
    study_var bnd = {STUDY_VAR_NORMAL, "b", 9, 11, 10, 2};
    for (double p = 0.001; p < 1; p += 0.01) {
        double v = study_var_value(&bnd, p);
        assert_true(v >= 9 && v <= 11);
    }
    assert_true(fabs(study_var_value(&bnd, 0.5) - 10) < 1e-12);
}

static void params_writer_round_trips(void **state)
{
    (void)state;
    /* what Dakota wrote, written back by our writer, is the same bytes */
    static const char *const files[] = {"params_std.in", "params_aprepro.in"};
    for (int f = 0; f < 2; f++) {
        size_t len;
        char *buf = fixture(files[f], &len);
        dak_error err;
        dak_params *p = dak_params_parse(buf, len, dak_format_detect(buf, len), files[f], 1, &err);
        assert_non_null(p);
        dak_buf out = DAK_BUF_INIT;
        assert_int_equal(dak_params_write(&out, p, p->format), 0);
        if (out.len != len || memcmp(out.data, buf, len) != 0)
            fail_msg("%s written back differs:\n%s", files[f], out.data);
        dak_buf_free(&out);
        dak_params_free(p);
        free(buf);
    }
    /* JSON: parses back to the same record */
    size_t len;
    char *buf = fixture("params.json", &len);
    dak_error err;
    dak_params *p = dak_params_parse(buf, len, DAK_FMT_JSON, "j", 1, &err);
    dak_buf out = DAK_BUF_INIT;
    assert_int_equal(dak_params_write(&out, p, DAK_FMT_JSON), 0);
    dak_params *q = dak_params_parse(out.data, out.len, DAK_FMT_JSON, "j2", 1, &err);
    assert_non_null(q);
    assert_true(dak_params_hash(p) == dak_params_hash(q));
    assert_string_equal(q->eval_id, "1:7");
    dak_params_free(p);
    dak_params_free(q);
    dak_buf_free(&out);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantiles_match_tables),  cmocka_unit_test(moments_by_hand),
        cmocka_unit_test(lhs_one_point_per_stratum), cmocka_unit_test(halton_is_even),
        cmocka_unit_test(variable_maps),           cmocka_unit_test(params_writer_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
