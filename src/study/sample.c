#include "sample.h"

#include <math.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void study_rng_seed(study_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next64(study_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double study_rng_uniform(study_rng *r)
{
    /* 53 random bits, centred in their interval: never exactly 0 or 1 */
    return ((double)(next64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static size_t below(study_rng *r, size_t n)
{
    return (size_t)(study_rng_uniform(r) * (double)n) % n;
}

static unsigned nth_prime(size_t k)
{
    unsigned p = 1;
    for (size_t found = 0; found <= k;) {
        p++;
        int prime = 1;
        for (unsigned q = 2; q * q <= p && prime; q++)
            prime = p % q != 0;
        found += (size_t)prime;
    }
    return p;
}

static double radical_inverse(size_t i, unsigned base)
{
    double f = 1.0, r = 0.0;
    while (i > 0) {
        f /= base;
        r += f * (double)(i % base);
        i /= base;
    }
    return r;
}

void study_design(study_sample_type type, size_t n, size_t d, uint64_t seed, double *u)
{
    study_rng r;
    study_rng_seed(&r, seed);
    if (type == STUDY_LHS) {
        /* each variable: one point in each of n equal strata, in a random
         * order of its own (random pairing across variables) */
        size_t *perm = malloc((n ? n : 1) * sizeof *perm);
        for (size_t j = 0; j < d; j++) {
            for (size_t i = 0; i < n; i++)
                perm[i] = i;
            for (size_t i = n; i > 1; i--) {
                size_t k = below(&r, i), t = perm[i - 1];
                perm[i - 1] = perm[k];
                perm[k] = t;
            }
            for (size_t i = 0; i < n; i++)
                u[i * d + j] = ((double)perm[i] + study_rng_uniform(&r)) / (double)n;
        }
        free(perm);
    } else if (type == STUDY_LOW_DISCREPANCY) {
        /* Halton points 1..n in prime bases, each coordinate shifted modulo 1
         * by a seeded random amount (Cranley-Patterson rotation) */
        for (size_t j = 0; j < d; j++) {
            unsigned base = nth_prime(j);
            double shift = study_rng_uniform(&r);
            for (size_t i = 0; i < n; i++) {
                double v = radical_inverse(i + 1, base) + shift;
                v -= floor(v);
                u[i * d + j] = v > 0 ? v : 0.5 / (double)n; /* stay inside (0,1) */
            }
        }
    } else {
        for (size_t i = 0; i < n * d; i++)
            u[i] = study_rng_uniform(&r);
    }
}

double study_norm_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

double study_norm_inv(double p)
{
    /* Acklam's rational approximation, then one Halley step on erfc: close
     * to full double precision over (0, 1) */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double dd[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((dd[0] * q + dd[1]) * q + dd[2]) * q + dd[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((dd[0] * q + dd[1]) * q + dd[2]) * q + dd[3]) * q + 1);
    }
    double e = study_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double study_var_value(const study_var *v, double u)
{
    if (v->type == STUDY_VAR_DISCRETE) {
        /* each integer of [lb, ub] equally likely */
        double k = floor(v->lb + u * (v->ub - v->lb + 1));
        return k > v->ub ? v->ub : k;
    }
    if (v->type != STUDY_VAR_NORMAL)
        return v->lb + u * (v->ub - v->lb);
    double lo = isfinite(v->lb) ? study_norm_cdf((v->lb - v->mean) / v->stddev) : 0.0;
    double hi = isfinite(v->ub) ? study_norm_cdf((v->ub - v->mean) / v->stddev) : 1.0;
    double x = v->mean + v->stddev * study_norm_inv(lo + u * (hi - lo));
    /* rounding must not step outside the bounds */
    if (x < v->lb)
        x = v->lb;
    if (x > v->ub)
        x = v->ub;
    return x;
}
