#include "stats.h"

#include <math.h>

/* Keep a continued fraction's denominators away from zero (Lentz). */
static double nonzero(double v)
{
    return fabs(v) < 1e-300 ? 1e-300 : v;
}

/* Regularised lower incomplete gamma P(a, x). */
static double gamma_p(double a, double x)
{
    if (x <= 0)
        return 0;
    double lg = lgamma(a);
    if (x < a + 1) {
        double sum = 1.0 / a, del = sum, ap = a;
        for (int i = 0; i < 1000; i++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-16)
                break;
        }
        return sum * exp(-x + a * log(x) - lg);
    }
    /* continued fraction for Q, Lentz's method */
    double b = x + 1 - a, c = 1e300, d = 1 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = 1 / nonzero(an * d + b);
        c = nonzero(b + an / c);
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return 1 - exp(-x + a * log(x) - lg) * h;
}

/* Continued fraction of the incomplete beta function. */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 / nonzero(1 - qab * x / qap);
    double h = d;
    for (int m = 1; m < 1000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 / nonzero(1 + aa * d);
        c = nonzero(1 + aa / c);
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 / nonzero(1 + aa * d);
        c = nonzero(1 + aa / c);
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double beta_i(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
    if (x < (a + 1) / (a + b + 2))
        return bt * beta_cf(a, b, x) / a;
    return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

static double t_cdf(double t, double dof)
{
    double tail = 0.5 * beta_i(dof / 2, 0.5, dof / (dof + t * t));
    return t >= 0 ? 1 - tail : tail;
}

/* Invert a monotone CDF by bisection on [lo, hi]. */
static double invert(double (*cdf)(double, double), double dof, double p, double lo, double hi)
{
    while (cdf(hi, dof) < p)
        hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * fabs(hi); i++) {
        double mid = 0.5 * (lo + hi);
        if (cdf(mid, dof) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double study_t_quantile(double p, double dof)
{
    if (p == 0.5)
        return 0;
    if (p < 0.5)
        return -study_t_quantile(1 - p, dof);
    return invert(t_cdf, dof, p, 0, 8);
}

static double chi2_cdf(double x, double dof)
{
    return gamma_p(dof / 2, x / 2);
}

double study_chi2_quantile(double p, double dof)
{
    return invert(chi2_cdf, dof, p, 0, dof + 10 * sqrt(2 * dof) + 10);
}

void study_moments_of(const double *x, size_t n, study_moments *m)
{
    m->n = n;
    m->mean = m->stddev = m->skewness = m->kurtosis = NAN;
    m->ci_mean[0] = m->ci_mean[1] = m->ci_sd[0] = m->ci_sd[1] = NAN;
    if (n == 0)
        return;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n, s2 = 0, s3 = 0, s4 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
    }
    m->mean = mean;
    if (n < 2)
        return;
    double N = (double)n, sd = sqrt(s2 / (N - 1));
    m->stddev = sd;
    double t = study_t_quantile(0.975, N - 1);
    m->ci_mean[0] = mean - t * sd / sqrt(N);
    m->ci_mean[1] = mean + t * sd / sqrt(N);
    m->ci_sd[0] = sd * sqrt((N - 1) / study_chi2_quantile(0.975, N - 1));
    m->ci_sd[1] = sd * sqrt((N - 1) / study_chi2_quantile(0.025, N - 1));
    double m2 = s2 / N;
    if (n >= 3 && m2 > 0)
        m->skewness = (s3 / N) / pow(m2, 1.5) * sqrt(N * (N - 1)) / (N - 2);
    if (n >= 4 && m2 > 0) {
        double g2 = (s4 / N) / (m2 * m2) - 3;
        m->kurtosis = ((N + 1) * g2 + 6) * (N - 1) / ((N - 2) * (N - 3));
    }
}
