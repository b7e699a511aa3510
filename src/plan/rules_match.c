/* Which rule of the rules file an evaluation meets: the first whose every
 * condition holds on its variables, analysis components or number, and
 * the checks of a rule's request against any allocation. */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *op_name(plan_op op)
{
    static const char *const n[] = {"==", "!=", "<", "<=", ">", ">="};
    return n[op];
}

static int compare_num(plan_op op, double a, double b)
{
    switch (op) {
    case PLAN_EQ: return a == b;
    case PLAN_NE: return a != b;
    case PLAN_LT: return a < b;
    case PLAN_LE: return a <= b;
    case PLAN_GT: return a > b;
    default: return a >= b;
    }
}

/* One value as text (and as a number when numeric) against a term. 1
 * met, 0 not, -1 when a number is compared with a string (msg set). */
static int term_value(const plan_rules *rs, const plan_rule *r, const plan_term *t,
                      const char *text, int numeric, double num, long eval, char *msg,
                      size_t msgsz)
{
    if (t->is_string) {
        int eq = strcmp(text, t->str) == 0;
        return t->op == PLAN_EQ ? eq : !eq;
    }
    if (!numeric) {
        snprintf(msg, msgsz, "%s:%d:%d: %s of evaluation %ld is the string '%.100s', compared "
                             "with the number %g (%s): quote a string to compare strings",
                 rs->path, r->line, t->col, t->name, eval, text, t->num, op_name(t->op));
        return -1;
    }
    return compare_num(t->op, num, t->num);
}

static int term_met(const plan_rules *rs, const plan_rule *r, const plan_term *t,
                    const dak_params *p, long eval, char *msg, size_t msgsz)
{
    if (t->kind == PLAN_NAME_EVAL) {
        char text[32];
        snprintf(text, sizeof text, "%ld", eval);
        return term_value(rs, r, t, text, 1, (double)eval, eval, msg, msgsz);
    }
    if (t->kind == PLAN_NAME_AN_COMP) {
        /* met when any analysis component meets it */
        for (size_t i = 0; i < p->nac; i++) {
            char *end;
            double v = strtod(p->acs[i].value, &end);
            int numeric = *p->acs[i].value && !*end;
            if (!numeric && !t->is_string)
                continue; /* a numeric condition looks at the numeric components */
            int m = term_value(rs, r, t, p->acs[i].value, numeric, v, eval, msg, msgsz);
            if (m != 0)
                return m;
        }
        return 0;
    }
    const dak_var *v = dak_params_var(p, t->name);
    if (!v) {
        size_t w = (size_t)snprintf(msg, msgsz, "%s:%d:%d: evaluation %ld has no variable '%s' "
                                                "(its variables:", rs->path, r->line, t->col,
                                    eval, t->name);
        for (size_t i = 0; i < p->nvars && i < 20 && w < msgsz; i++)
            w += (size_t)snprintf(msg + w, msgsz - w, " %s", p->vars[i].label);
        if (w < msgsz)
            snprintf(msg + w, msgsz - w, "%s; or eval, an_comp)", p->nvars > 20 ? " ..." : "");
        return -1;
    }
    return term_value(rs, r, t, v->value, v->kind != DAK_VAL_STRING, v->real, eval, msg, msgsz);
}

int plan_rules_match(const plan_rules *rs, const dak_params *p, long eval, char *msg,
                     size_t msgsz)
{
    for (int i = 0; i < rs->n; i++) {
        const plan_rule *r = &rs->rules[i];
        int met = 1;
        for (int k = 0; k < r->nterms && met; k++) {
            int m = term_met(rs, r, &r->terms[k], p, eval, msg, msgsz);
            if (m < 0)
                return -2;
            met = m;
        }
        if (met)
            return i;
    }
    return -1;
}

int plan_rule_check(const plan_rules *rs, int i, char *msg, size_t msgsz)
{
    const plan_rule *r = &rs->rules[i];
    const sched_request *q = &r->req;
    if (q->nodes > q->ntasks) {
        snprintf(msg, msgsz, "%s:%d: -N %d with -n %d: every node needs at least one task",
                 rs->path, r->line, q->nodes, q->ntasks);
        return -1;
    }
    if ((long)q->ntasks * q->cores_per_task > 10000000L) {
        snprintf(msg, msgsz, "%s:%d: -n %d -c %d: more cores than any allocation has", rs->path,
                 r->line, q->ntasks, q->cores_per_task);
        return -1;
    }
    return 0;
}
