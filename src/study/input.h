/* The subset of Dakota's input language that `batchtile study` reads: a
 * sampling method over uniform, normal and design variables, response
 * functions without derivatives, integer design ranges, and a fork/system batch interface. */
#ifndef BATCHTILE_STUDY_INPUT_H
#define BATCHTILE_STUDY_INPUT_H
#include <stddef.h>

#include "dakota/format.h"

typedef enum study_var_type {
    STUDY_VAR_DESIGN,  /* continuous_design: uniform over its bounds */
    STUDY_VAR_NORMAL,  /* normal_uncertain: means, std_deviations, optional bounds */
    STUDY_VAR_UNIFORM, /* uniform_uncertain: bounds */
    STUDY_VAR_DISCRETE, /* discrete_design_range: integers, uniform over [lb, ub] */
} study_var_type;

typedef struct study_var {
    study_var_type type;
    char *label;
    double lb, ub;       /* bounds; -inf / +inf when a normal has none */
    double mean, stddev; /* normal */
} study_var;

typedef enum study_sample_type {
    STUDY_RANDOM,
    STUDY_LHS,
    STUDY_LOW_DISCREPANCY,
} study_sample_type;

typedef struct study_spec {
    /* environment */
    int tabular;          /* tabular_data */
    char *tabular_file;   /* default dakota_tabular.dat */
    int hdf5;             /* results_output hdf5: accepted, not written */
    /* method */
    study_sample_type sample_type;
    long samples;
    unsigned long long seed;
    int has_seed;
    /* variables, in Dakota's order: design, discrete design range, normal, uniform */
    size_t nvars;
    study_var *vars;
    /* responses */
    size_t nresp;
    char **resp_labels;
    /* interface */
    int system;           /* system (sh -c) rather than fork (exec) */
    char *driver;
    char *params_file;    /* default params.in */
    char *results_file;   /* default results.out */
    char *workdir;        /* work_directory named ...; NULL for none */
    int directory_tag, file_save, directory_save;
    long batch_size;      /* 0: all samples in one batch */
    dak_format params_format, results_format;
    char **comps; /* analysis_components: written with the driver string as label */
    size_t ncomp;
} study_spec;

/* Parse a Dakota input file. 0, or -1 with msg set ("FILE:LINE: what is
 * wrong, naming the keyword"). */
int study_input_parse(const char *path, study_spec *s, char *msg, size_t msgsz);
void study_spec_free(study_spec *s);

#endif
