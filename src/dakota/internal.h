/* Pieces shared by the parsers of this library; not installed. */
#ifndef BATCHTILE_DAKOTA_INTERNAL_H
#define BATCHTILE_DAKOTA_INTERNAL_H
#include <stdarg.h>
#include <stddef.h>

#include "params.h"

/* Bump allocator: a record's strings and arrays live in one arena. */
struct dak_arena;
struct dak_arena *dak_arena_new(size_t hint);
void *dak_arena_alloc(struct dak_arena *a, size_t n);
char *dak_arena_strndup(struct dak_arena *a, const char *s, size_t n);
void dak_arena_free(struct dak_arena *a);

/* Fill an error record. */
void dak_seterr(dak_error *err, const char *name, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Quote at most 60 bytes of a line for a message ("'text'" or "end of file"). */
const char *dak_quote(const char *p, size_t len, char *out, size_t outsz);

/* Append a jansson value (json_t *) to b, dumped with flags, and release
 * it. 0, or -1 on memory. */
struct dak_buf;
int dak_buf_json(struct dak_buf *b, void *json, size_t flags);

/* A cursor over the lines of a buffer, skipping blank lines. */
typedef struct dak_lines {
    const char *buf;
    size_t len;
    size_t pos;    /* offset of the next unread byte */
    size_t lineno; /* line number of buf[pos] */
} dak_lines;

typedef struct dak_line {
    const char *p; /* the line without its end of line */
    size_t len;
    size_t lineno;
    size_t start; /* offset of the line in buf */
    size_t next;  /* offset just after its end of line */
    size_t next_lineno;
} dak_line;

/* Look at the next non-blank line without taking it; 0 at end of input. */
int dak_lines_peek(const dak_lines *L, dak_line *ln);
/* Take a line returned by peek. */
void dak_lines_take(dak_lines *L, const dak_line *ln);

/* An empty parameters record whose arena starts with hint bytes. */
dak_params *dak_params_alloc(dak_format fmt, size_t hint);

/* Parse one evaluation's blocks (standard or APREPRO) from the cursor. In a
 * batch the cursor stops after the evaluation; otherwise the input must end. */
dak_params *dak_params_parse_lines(dak_lines *L, dak_format fmt, const char *name,
                                   int in_batch, dak_error *err);
/* Build a parameters record from a parsed JSON object (a jansson json_t *). */
dak_params *dak_params_from_json(const void *json, const char *name, size_t line,
                                 dak_error *err);
/* Set p->eval_id_at and eval_id_len: where the "eval_id" member's value
 * lies in text, the JSON object p was parsed from (jansson keeps no
 * places). Left unset when text is not such an object. */
void dak_json_find_eval_id(dak_params *p, const char *text, size_t len);
/* Set eval and batch from p->eval_id; -1 when the last field is not a number. */
int dak_params_set_eval_id(dak_params *p, const char *text);
/* Classify a value's text and set kind, real and integer. */
void dak_var_classify(dak_var *v);

#endif
