/* Sampling designs: a documented seeded generator (xoshiro256** seeded by
 * splitmix64), plain random, Latin hypercube and low-discrepancy (Halton,
 * randomised by a seeded Cranley-Patterson shift) points in (0,1)^d, and
 * their mapping to each variable's distribution. */
#ifndef BATCHTILE_STUDY_SAMPLE_H
#define BATCHTILE_STUDY_SAMPLE_H
#include <stddef.h>
#include <stdint.h>

#include "input.h"

typedef struct study_rng {
    uint64_t s[4];
} study_rng;

/* Seed the generator (splitmix64 expands the seed into the state). */
void study_rng_seed(study_rng *r, uint64_t seed);
/* A uniform draw in the open interval (0, 1). */
double study_rng_uniform(study_rng *r);
/* n points of dimension d in (0,1)^d, row-major into u (n*d doubles). */
void study_design(study_sample_type type, size_t n, size_t d, uint64_t seed, double *u);
/* The standard normal CDF and its inverse. */
double study_norm_cdf(double x);
double study_norm_inv(double p);
/* Map u in (0,1) to v's distribution: uniform over [lb, ub] (uniform and
 * design variables), normal(mean, stddev) truncated to its bounds if any. */
double study_var_value(const study_var *v, double u);

#endif
