/* An evaluation's recipe: what its results depend on besides its
 * parameters -- the command line, the programs it names (path, size, mtime
 * and content), the template directory's listing and the options that
 * change what runs. Resume reuses an evaluation only when its recipe is
 * unchanged, and says which part changed. */
#ifndef BATCHTILE_RUN_RECIPE_H
#define BATCHTILE_RUN_RECIPE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sched/pool.h"
#include "workdir.h"

enum {
    RUN_RECIPE_COMMAND,
    RUN_RECIPE_PROGRAM,
    RUN_RECIPE_TEMPLATE,
    RUN_RECIPE_OPTIONS,
    RUN_RECIPE_NPARTS
};

/* "command", "program", "template directory", "options" */
extern const char *const run_recipe_part_names[RUN_RECIPE_NPARTS];

typedef struct run_recipe {
    uint64_t part[RUN_RECIPE_NPARTS];
    uint64_t all;  /* of the parts: what each evaluation record carries */
    json_t *files; /* the programs' identities, [{path,size,mtime,ino,hash}] */
} run_recipe;

typedef struct run_recipe_input {
    char *const *words; /* COMMAND ARG... (words[0] resolved, absolute) */
    int nwords;
    const run_layout *layout;
    long first_eval;          /* whose work directory relative arguments name */
    const char *template_dir; /* NULL for none */
    int copy_files;
    const sched_request *req;
    const char *mpi;
} run_recipe_input;

/* Compute the recipe. A program file whose (path, size, mtime, inode)
 * matches an entry of cache (a previous run's "files") keeps its hash and
 * is not read again. 0, or -1 with msg set. */
int run_recipe_compute(run_recipe *r, const run_recipe_input *in, const json_t *cache,
                       char *msg, size_t msgsz);
/* The recipe as the run record stores it ({"all","command",...,"files"}). */
json_t *run_recipe_json(const run_recipe *r);
/* Read a run record's recipe; 0, or -1 when it has none. */
int run_recipe_from_json(run_recipe *r, const json_t *j);
/* Bit i set when part i differs. */
unsigned run_recipe_diff(const run_recipe *a, const run_recipe *b);
/* The hex form of a hash (17 bytes with the terminator). */
void run_recipe_hex(uint64_t h, char out[17]);
void run_recipe_free(run_recipe *r);

#endif
