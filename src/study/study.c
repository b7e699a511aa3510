#define _GNU_SOURCE
#include "study.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dakota/dakota.h"
#include "util/proc.h"
#include "sample.h"
#include "stats.h"
#include "util/file.h"

/* ---- driver command line ------------------------------------------------ */

char **study_split_words(const char *s)
{
    size_t cap = 8, n = 0;
    char **w = calloc(cap, sizeof *w);
    char *cur = malloc(strlen(s) + 1);
    if (!w || !cur) {
        free(w);
        free(cur);
        return NULL;
    }
    size_t k = 0;
    int in_word = 0;
    char quote = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        if (c == '\0' || (!quote && (c == ' ' || c == '\t' || c == '\n'))) {
            if (quote && c == '\0')
                goto bad;
            if (in_word) {
                if (n + 2 > cap) {
                    char **nw = realloc(w, (cap *= 2) * sizeof *nw);
                    if (!nw)
                        goto bad;
                    w = nw;
                }
                w[n++] = strndup(cur, k);
                w[n] = NULL;
                k = 0;
                in_word = 0;
            }
            if (c == '\0')
                break;
            continue;
        }
        in_word = 1;
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && (p[1] == '"' || p[1] == '\\'))
                cur[k++] = *++p;
            else
                cur[k++] = c;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\' && p[1]) {
            cur[k++] = *++p;
        } else {
            cur[k++] = c;
        }
    }
    free(cur);
    if (n == 0) {
        free(w);
        return NULL;
    }
    return w;
bad:
    free(cur);
    ut_argv_free(w);
    return NULL;
}

/* The driver finds batchtile even when it is not on PATH: our own directory
 * goes at the end of PATH, as Dakota adds its run directory for drivers. */
static void extend_path(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return;
    *slash = '\0';
    const char *path = getenv("PATH");
    size_t len = (path ? strlen(path) : 0) + strlen(self) + 2;
    char *np = malloc(len);
    if (!np)
        return;
    snprintf(np, len, "%s%s%s", path && *path ? path : "", path && *path ? ":" : "", self);
    setenv("PATH", np, 1);
    free(np);
}

/* Single-quote a word for sh. */
static void sh_quote(dak_buf *b, const char *w)
{
    dak_buf_puts(b, "'");
    for (const char *p = w; *p; p++) {
        if (*p == '\'')
            dak_buf_puts(b, "'\\''");
        else
            dak_buf_add(b, p, 1);
    }
    dak_buf_puts(b, "'");
}

/* Run the driver in dir with the two file names; its exit status, or -1. */
static int run_driver(const study_spec *s, const char *dir, char *msg, size_t msgsz)
{
    char **argv = NULL;
    char *sh_argv[4] = {"/bin/sh", "-c", NULL, NULL};
    dak_buf cmd = DAK_BUF_INIT;
    if (s->system) {
        /* system: the string goes to /bin/sh -c with the names appended */
        dak_buf_puts(&cmd, s->driver);
        dak_buf_puts(&cmd, " ");
        sh_quote(&cmd, s->params_file);
        dak_buf_puts(&cmd, " ");
        sh_quote(&cmd, s->results_file);
        sh_argv[2] = cmd.data;
    } else {
        char **w = study_split_words(s->driver);
        if (!w) {
            snprintf(msg, msgsz, "analysis_driver '%s': expected words, with quotes closed",
                     s->driver);
            return -1;
        }
        size_t n = 0;
        while (w[n])
            n++;
        char abs[PATH_MAX];
        /* the driver runs in the work directory, as Dakota runs it: a path
         * such as ../driver.sh is relative to that directory */
        if (ut_resolve_command_in(w[0], dir, abs, sizeof abs) < 0) {
            if (strchr(w[0], '/'))
                snprintf(msg, msgsz, "analysis_driver: %s: not found or not executable, "
                                     "relative to the work directory %s where it runs",
                         w[0], dir);
            else
                snprintf(msg, msgsz, "analysis_driver: %s: command not found (searched PATH "
                                     "and the current directory)", w[0]);
            ut_argv_free(w);
            return -1;
        }
        argv = calloc(n + 3, sizeof *argv);
        argv[0] = strdup(abs);
        for (size_t i = 1; i < n; i++)
            argv[i] = strdup(w[i]);
        argv[n] = strdup(s->params_file);
        argv[n + 1] = strdup(s->results_file);
        ut_argv_free(w);
    }
    ut_spawn sp = {.argv = s->system ? sh_argv : argv, .cwd = dir, .same_group = 1};
    pid_t pid = ut_proc_spawn(&sp);
    int e = errno, status = -1;
    if (pid < 0) {
        snprintf(msg, msgsz, "cannot start the analysis driver: %s", strerror(e));
    } else {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    ut_argv_free(argv);
    dak_buf_free(&cmd);
    return status;
}

/* ---- batch files -------------------------------------------------------- */

/* One evaluation's parameters record, as Dakota builds it for a sample. */
static dak_params *eval_params(const study_spec *s, const double *x, long batch, long eval)
{
    /* derivatives are taken with respect to the continuous variables */
    size_t ncont = 0;
    for (size_t j = 0; j < s->nvars; j++)
        ncont += s->vars[j].type != STUDY_VAR_DISCRETE;
    dak_params *p = dak_params_new(s->params_format, s->nvars, s->nresp, ncont, 0);
    if (!p)
        return NULL;
    char num[64], id[64];
    size_t c = 0;
    for (size_t j = 0; j < s->nvars; j++) {
        dak_var *v = &p->vars[j];
        v->label = s->vars[j].label;
        v->real = x[j];
        if (s->vars[j].type == STUDY_VAR_DISCRETE) {
            v->kind = DAK_VAL_INT;
            v->integer = (long long)x[j];
            snprintf(num, sizeof num, "%lld", v->integer);
        } else {
            v->kind = DAK_VAL_REAL;
            snprintf(num, sizeof num, "%.17g", x[j]);
            p->dvv[c] = (unsigned)(j + 1);
            p->dvv_label[c++] = s->vars[j].label;
        }
        v->value = dak_params_strdup(p, num);
    }
    for (size_t k = 0; k < s->nresp; k++) {
        p->fns[k].label = s->resp_labels[k];
        p->fns[k].asv = 1;
    }
    /* analysis components as Dakota writes them: the whole driver string,
     * spaces included, is each one's label ("compA AC_1:batchtile run ...") */
    if (s->ncomp) {
        if (dak_params_set_components(p, s->ncomp) < 0) {
            dak_params_free(p);
            return NULL;
        }
        for (size_t k = 0; k < s->ncomp; k++) {
            p->acs[k].value = dak_params_strdup(p, s->comps[k]);
            p->acs[k].driver = dak_params_strdup(p, s->driver);
        }
    }
    snprintf(id, sizeof id, "%ld:%ld", batch, eval);
    p->eval_id = dak_params_strdup(p, id);
    p->eval = eval;
    p->batch = batch;
    return p;
}

/* Dakota's batch results reader: sections end at lines beginning with '#'
 * (one before any content is skipped). Returns the number of sections; the
 * i-th is text[start[i] .. end[i]). */
static size_t std_sections(const char *t, size_t len, size_t *start, size_t *end, size_t max)
{
    size_t n = 0, sec = 0, i = 0;
    int content = 0;
    while (i < len) {
        const char *nl = memchr(t + i, '\n', len - i);
        size_t next = nl ? (size_t)(nl - t) + 1 : len;
        if (t[i] == '#') {
            if (content || n > 0) {
                if (n < max) {
                    start[n] = sec;
                    end[n] = i;
                }
                n++;
            }
            content = 0;
            sec = next;
        } else {
            for (size_t k = i; k < next; k++)
                if (t[k] != ' ' && t[k] != '\t' && t[k] != '\n' && t[k] != '\r')
                    content = 1;
        }
        i = next;
    }
    if (content) {
        if (n < max) {
            start[n] = sec;
            end[n] = len;
        }
        n++;
    }
    return n;
}

/* Read the batch results file into vals (n x nresp; NaN for failed) and
 * ok[]; a wrong number of sections is an error. */
static int read_batch_results(const study_spec *s, const char *path, long batch,
                              dak_params **ps, size_t n, double *vals, int *ok, char *msg,
                              size_t msgsz)
{
    ut_map m;
    if (ut_file_map(path, &m) < 0) {
        snprintf(msg, msgsz, "batch %ld: cannot read the batch results file %s: %s", batch, path,
                 strerror(errno));
        return -1;
    }
    int rc = 0;
    /* read as Dakota reads it: in the study's own results_format (standard
     * unless asked), never guessed from the content */
    if (s->results_format == DAK_FMT_JSON) {
        json_error_t je;
        json_t *a = json_loadb(m.data, m.len, 0, &je);
        if (json_is_object(a) && n == 1 && s->params_format == DAK_FMT_JSON) {
            /* the answer to one lone object is one object */
            json_t *arr = json_array();
            json_array_append_new(arr, a);
            a = arr;
        }
        if (!json_is_array(a)) {
            snprintf(msg, msgsz, "batch %ld: %s:%d: expected a JSON array of results "
                     "(results_format json): %s", batch, path, je.line,
                     a ? "found another JSON value" : je.text);
            rc = -1;
        } else if (json_array_size(a) != n) {
            snprintf(msg, msgsz, "batch %ld: %s has %zu results, expected %zu (one per evaluation)",
                     batch, path, json_array_size(a), n);
            rc = -1;
        }
        for (size_t k = 0; rc == 0 && k < n; k++) {
            char *el = json_dumps(json_array_get(a, k), 0);
            dak_error err;
            dak_results *r = el ? dak_results_parse(el, strlen(el), DAK_FMT_JSON, ps[k], path, &err)
                                : NULL;
            if (!r)
                fprintf(stderr, "batchtile study: evaluation %ld: invalid results (%s): counted as "
                                "failed\n", ps[k]->eval, el ? err.msg : "out of memory");
            ok[k] = r && !r->failed;
            for (size_t f = 0; f < s->nresp; f++)
                vals[k * s->nresp + f] = ok[k] ? r->fn[f] : NAN;
            dak_results_free(r);
            free(el);
        }
        json_decref(a);
    } else {
        size_t *st = calloc(n + 1, sizeof *st), *en = calloc(n + 1, sizeof *en);
        size_t found = st && en ? std_sections(m.data, m.len, st, en, n + 1) : 0;
        if (!st || !en) {
            snprintf(msg, msgsz, "out of memory");
            rc = -1;
        } else if (found != n) {
            snprintf(msg, msgsz,
                     "batch %ld: %s has %zu sections ('#'-separated), expected %zu (one per "
                     "evaluation)",
                     batch, path, found, n);
            rc = -1;
        }
        for (size_t k = 0; rc == 0 && k < n; k++) {
            dak_error err;
            dak_results *r = dak_results_parse(m.data + st[k], en[k] - st[k], DAK_FMT_STANDARD,
                                               ps[k], path, &err);
            if (!r)
                fprintf(stderr, "batchtile study: evaluation %ld: invalid results (%s): counted as "
                                "failed\n", ps[k]->eval, err.msg);
            ok[k] = r && !r->failed;
            for (size_t f = 0; f < s->nresp; f++)
                vals[k * s->nresp + f] = ok[k] ? r->fn[f] : NAN;
            dak_results_free(r);
        }
        free(st);
        free(en);
    }
    ut_file_unmap(&m);
    return rc;
}

/* ---- output ----------------------------------------------------------------- */

static void print_summary(const study_spec *s, FILE *out, const double *vals, const int *ok,
                          size_t n)
{
    double *col = malloc((n ? n : 1) * sizeof *col);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !ok[i];
    fprintf(out, "-----------------------------------------------------------------------------\n");
    fprintf(out, "Statistics based on %zu samples (%zu failed evaluation%s excluded):\n\n",
            n - failed, failed, failed == 1 ? "" : "s");
    fprintf(out, "Sample moment statistics for each response function:\n");
    fprintf(out, "%16s%18s%18s%18s%18s\n", "", "Mean", "Std Dev", "Skewness", "Kurtosis");
    study_moments *m = calloc(s->nresp, sizeof *m);
    for (size_t f = 0; f < s->nresp; f++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (ok[i])
                col[k++] = vals[i * s->nresp + f];
        study_moments_of(col, k, &m[f]);
        fprintf(out, "%16s%18.10e%18.10e%18.10e%18.10e\n", s->resp_labels[f], m[f].mean,
                m[f].stddev, m[f].skewness, m[f].kurtosis);
    }
    fprintf(out, "\n95%% confidence intervals for each response function:\n");
    fprintf(out, "%16s%18s%18s%18s%18s\n", "", "LowerCI_Mean", "UpperCI_Mean", "LowerCI_StdDev",
            "UpperCI_StdDev");
    for (size_t f = 0; f < s->nresp; f++)
        fprintf(out, "%16s%18.10e%18.10e%18.10e%18.10e\n", s->resp_labels[f], m[f].ci_mean[0],
                m[f].ci_mean[1], m[f].ci_sd[0], m[f].ci_sd[1]);
    fprintf(out, "\nFailed evaluations: %zu of %zu\n", failed, n);
    fprintf(out, "-----------------------------------------------------------------------------\n");
    free(m);
    free(col);
}

static int write_tabular(const study_spec *s, const double *x, const double *vals, size_t n,
                         char *msg, size_t msgsz)
{
    dak_buf b = DAK_BUF_INIT;
    dak_buf_printf(&b, "%%eval_id interface");
    for (size_t j = 0; j < s->nvars; j++)
        dak_buf_printf(&b, " %23s", s->vars[j].label);
    for (size_t f = 0; f < s->nresp; f++)
        dak_buf_printf(&b, " %23s", s->resp_labels[f]);
    dak_buf_puts(&b, "\n");
    for (size_t i = 0; i < n; i++) {
        dak_buf_printf(&b, "%-8zu %9s", i + 1, "NO_ID");
        for (size_t j = 0; j < s->nvars; j++) {
            if (s->vars[j].type == STUDY_VAR_DISCRETE)
                dak_buf_printf(&b, " %23.0f", x[i * s->nvars + j]);
            else
                dak_buf_printf(&b, " %23.16e", x[i * s->nvars + j]);
        }
        for (size_t f = 0; f < s->nresp; f++)
            dak_buf_printf(&b, " %23.16e", vals[i * s->nresp + f]);
        dak_buf_puts(&b, "\n");
    }
    int rc = ut_write_atomic(s->tabular_file, b.data ? b.data : "", b.len);
    if (rc < 0)
        snprintf(msg, msgsz, "%s: cannot write: %s", s->tabular_file, strerror(errno));
    dak_buf_free(&b);
    return rc;
}

/* ---- the study ----------------------------------------------------------------- */

int study_run(const study_spec *s, FILE *out, char *msg, size_t msgsz)
{
    size_t n = (size_t)s->samples, d = s->nvars;
    uint64_t seed = s->has_seed ? s->seed
                                : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
    static const char *const types[] = {"random", "lhs", "low_discrepancy"};
    fprintf(out, "batchtile study: %zu %s samples of %zu variable%s, seed %llu\n", n,
            types[s->sample_type], d, d == 1 ? "" : "s", (unsigned long long)seed);
    if (s->hdf5)
        fprintf(out, "batchtile study: results_output hdf5: HDF5 results are not written "
                     "(the summary and tabular data are)\n");
    fflush(out);

    double *u = malloc(n * d * sizeof *u), *x = malloc(n * d * sizeof *x);
    double *vals = malloc(n * s->nresp * sizeof *vals);
    int *ok = calloc(n, sizeof *ok);
    dak_params **ps = calloc(n, sizeof *ps);
    int rc = 3;
    if (!u || !x || !vals || !ok || !ps) {
        snprintf(msg, msgsz, "out of memory");
        goto out;
    }
    study_design(s->sample_type, n, d, seed, u);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            /* the value the simulation will read: as printed in the
             * parameters file (%.15e), so that the tabular data agree */
            char num[64];
            snprintf(num, sizeof num, "%.15e", study_var_value(&s->vars[j], u[i * d + j]));
            x[i * d + j] = strtod(num, NULL);
        }
    extend_path();

    size_t size = s->batch_size > 0 ? (size_t)s->batch_size : n;
    long batch = 0;
    for (size_t first = 0; first < n; first += size) {
        size_t count = first + size <= n ? size : n - first;
        batch++;
        char dir[PATH_MAX] = ".";
        if (s->workdir) {
            /* Dakota tags its batch directory with the batch number */
            snprintf(dir, sizeof dir, "%s.%ld", s->workdir, batch);
            if (ut_mkdirs(dir, 0755) < 0) {
                snprintf(msg, msgsz, "%s: cannot create the work directory: %s", dir,
                         strerror(errno));
                goto out;
            }
        }
        /* JSON: an array, or one lone object for a batch of one evaluation,
         * as Dakota sends a method that evaluates one point at a time */
        int lone = s->params_format == DAK_FMT_JSON && count == 1;
        dak_buf b = DAK_BUF_INIT;
        if (s->params_format == DAK_FMT_JSON && !lone)
            dak_buf_puts(&b, "[\n");
        for (size_t k = 0; k < count; k++) {
            size_t i = first + k;
            ps[i] = eval_params(s, &x[i * d], batch, (long)i + 1);
            if (!ps[i] || (k && s->params_format == DAK_FMT_JSON && dak_buf_puts(&b, ",\n") < 0) ||
                dak_params_write(&b, ps[i], s->params_format) < 0) {
                dak_buf_free(&b);
                snprintf(msg, msgsz, "out of memory");
                goto out;
            }
        }
        if (s->params_format == DAK_FMT_JSON)
            dak_buf_puts(&b, lone ? "\n" : "\n]\n");
        char ppath[PATH_MAX], rpath[PATH_MAX];
        ut_path_join(ppath, sizeof ppath, dir, s->params_file);
        ut_path_join(rpath, sizeof rpath, dir, s->results_file);
        unlink(rpath);
        if (ut_write_atomic(ppath, b.data ? b.data : "", b.len) < 0) {
            snprintf(msg, msgsz, "%s: cannot write: %s", ppath, strerror(errno));
            dak_buf_free(&b);
            goto out;
        }
        dak_buf_free(&b);

        int st = run_driver(s, dir, msg, msgsz);
        if (st < 0)
            goto out;
        if (st != 0) {
            snprintf(msg, msgsz, "batch %ld: the analysis driver '%s' exited with status %d", batch,
                     s->driver, st);
            goto out;
        }
        if (read_batch_results(s, rpath, batch, &ps[first], count, &vals[first * s->nresp],
                               &ok[first], msg, msgsz) < 0)
            goto out;
        if (!s->file_save) {
            unlink(ppath);
            unlink(rpath);
        }
        if (s->workdir && !s->directory_save && ut_remove_tree(dir) < 0) {
            snprintf(msg, msgsz, "%s: cannot remove the work directory: %s", dir, strerror(errno));
            goto out;
        }
        for (size_t k = 0; k < count; k++) {
            dak_params_free(ps[first + k]);
            ps[first + k] = NULL;
        }
    }
    fprintf(out, "batchtile study: %zu evaluations in %ld batch%s\n", n, batch,
            batch == 1 ? "" : "es");
    print_summary(s, out, vals, ok, n);
    if (s->tabular) {
        if (write_tabular(s, x, vals, n, msg, msgsz) < 0)
            goto out;
        fprintf(out, "batchtile study: tabular data in %s\n", s->tabular_file);
    }
    rc = 0;
out:
    for (size_t i = 0; ps && i < n; i++)
        dak_params_free(ps[i]);
    free(ps);
    free(u);
    free(x);
    free(vals);
    free(ok);
    return rc;
}
