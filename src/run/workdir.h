/* Per-evaluation work directories and the files in them, named by the
 * --workdir / --params-file / --results-file templates ({eval}). */
#ifndef BATCHTILE_RUN_WORKDIR_H
#define BATCHTILE_RUN_WORKDIR_H
#include <stddef.h>

#include "dakota/dakota.h"

typedef struct run_layout {
    const char *workdir;      /* "workdir.{eval}" */
    const char *params_file;  /* "params.in" */
    const char *results_file; /* "results.out" */
} run_layout;

#define RUN_LAYOUT_DEFAULT {"workdir.{eval}", "params.in", "results.out"}

/* The work directory of evaluation eval; -1 if the name is too long. */
int run_workdir_path(const run_layout *l, long eval, char *out, size_t outsz);
/* A file of that work directory (name may contain {eval}); -1 if too long. */
int run_workdir_file(const run_layout *l, long eval, const char *name, char *out, size_t outsz);
/* Files every new work directory receives (--template-dir): the entries of
 * a directory, symbolic links to them, or copies (--copy-files). */
typedef struct run_template {
    char *dir;    /* absolute */
    char **names; /* its entries */
    size_t n;
    int copy;
} run_template;

/* Read the template directory's entries. 0, or -1 with msg set. */
int run_template_init(run_template *t, const char *dir, int copy, char *msg, size_t msgsz);
void run_template_free(run_template *t);

/* Create the work directory of evaluation eval (populated from tmpl, when
 * given, if the directory is new) and write its parameters file (text, its
 * verbatim bytes), never through a link: a work directory that is a link
 * is an error unless follow_links. 0, or -1 with msg set. */
int run_workdir_write_params(const run_layout *l, long eval, const char *text, size_t len,
                             const run_template *tmpl, int follow_links, char *msg, size_t msgsz);
/* -1 with msg set when evaluation eval's work directory exists as a
 * symbolic link (checked before anything runs), else 0. */
int run_workdir_check_link(const run_layout *l, long eval, char *msg, size_t msgsz);
/* -1 with msg set when an entry of the template directory has a name that
 * batchtile or the simulation writes in each work directory (names: a
 * NULL-terminated list of name templates, {eval} allowed), else 0. */
int run_template_check(const run_template *t, const char *const *names, char *msg, size_t msgsz);

#endif
