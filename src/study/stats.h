/* Sample statistics as Dakota reports them for a sampling study: mean,
 * standard deviation, skewness, excess kurtosis, and 95% confidence
 * intervals for the mean (Student t) and the standard deviation (chi-square). */
#ifndef BATCHTILE_STUDY_STATS_H
#define BATCHTILE_STUDY_STATS_H
#include <stddef.h>

typedef struct study_moments {
    size_t n;
    double mean;
    double stddev;     /* sample standard deviation (n-1) */
    double skewness;   /* adjusted Fisher-Pearson: g1 sqrt(n(n-1))/(n-2) */
    double kurtosis;   /* excess, bias-corrected: ((n+1) g2 + 6)(n-1)/((n-2)(n-3)) */
    double ci_mean[2]; /* mean -/+ t(0.975, n-1) s / sqrt(n) */
    double ci_sd[2];   /* s sqrt((n-1)/chi2(0.975, n-1)), s sqrt((n-1)/chi2(0.025, n-1)) */
} study_moments;

/* The statistics of x[0..n-1]; what needs more samples is NaN. */
void study_moments_of(const double *x, size_t n, study_moments *m);
/* Quantiles: Student t with dof degrees of freedom, and chi-square. */
double study_t_quantile(double p, double dof);
double study_chi2_quantile(double p, double dof);

#endif
