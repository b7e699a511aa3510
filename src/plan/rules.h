/* Per-evaluation plans (--rules FILE): one rule a line, "CONDITION -> ROUTE
 * OPTIONS"; the first rule whose condition an evaluation's parameters meet
 * decides how it runs: tiled in this allocation with its own -n/-c/-g/-N/-t
 * and command, or submitted to the scheduler as its own job. */
#ifndef BATCHTILE_PLAN_RULES_H
#define BATCHTILE_PLAN_RULES_H
#include <stddef.h>

#include "dakota/params.h"
#include "sched/pool.h"
#include "submit/submit.h"

typedef enum plan_route { PLAN_TILE, PLAN_SUBMIT } plan_route;
typedef enum plan_op { PLAN_EQ, PLAN_NE, PLAN_LT, PLAN_LE, PLAN_GT, PLAN_GE } plan_op;
typedef enum plan_name { PLAN_NAME_VAR, PLAN_NAME_EVAL, PLAN_NAME_AN_COMP } plan_name;

/* NAME OP VALUE */
typedef struct plan_term {
    plan_name kind;
    char *name; /* a variable's descriptor (kind VAR) */
    plan_op op;
    int is_string; /* VALUE was quoted: string equality */
    double num;
    char *str;
    int col;    /* where NAME starts (1-based) */
} plan_term;

typedef struct plan_rule {
    int line;
    char *text;          /* the line as written, trimmed (for --dry-run) */
    int all;             /* condition '*': every evaluation */
    plan_term *terms;
    int nterms;
    plan_route route;
    sched_request req;    /* the command line's, with what the rule sets */
    double time_limit;   /* seconds, 0 none: the rule's -t or the command line's */
    char **cmd;          /* the rule's own COMMAND ARG... (after --), or NULL */
    int ncmd;
    char *sched[SUBMIT_NSCHED]; /* --account=... (submit.h); NULL when not given */
    char **sched_args;   /* --sched-arg=... verbatim, in order */
    int nsched_args;
    unsigned long long hash; /* of the rule as parsed: names it across runs */
} plan_rule;

typedef struct plan_rules {
    char *path;
    plan_rule *rules;
    int n;
} plan_rules;

/* Parse a rules file's text (path names it in messages). Options a rule
 * does not set are taken from defaults and default_time_limit. 0, or -1 with
 * msg "FILE:LINE:COL: what was expected, found what". */
int plan_rules_parse(plan_rules *rs, const char *path, const char *text, size_t len,
                     const sched_request *defaults, double default_time_limit, char *msg,
                     size_t msgsz);
/* Read and parse the file at path. 0, or -1 with msg set. */
int plan_rules_load(plan_rules *rs, const char *path, const sched_request *defaults,
                    double default_time_limit, char *msg, size_t msgsz);
/* The index of the first rule p (evaluation eval) meets, or -1 when none
 * does; -2 with msg set when a rule cannot be applied to it (a name its
 * parameters lack, a number compared with a string variable). */
int plan_rules_match(const plan_rules *rs, const dak_params *p, long eval, char *msg,
                     size_t msgsz);
/* A rule that no allocation could satisfy (-N above -n, say): 0, or -1 with
 * msg "FILE:LINE: why". */
int plan_rule_check(const plan_rules *rs, int i, char *msg, size_t msgsz);
void plan_rules_free(plan_rules *rs);

#endif
