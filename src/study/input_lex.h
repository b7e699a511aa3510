/* The tokens of a Dakota input file and the readers of a keyword's
 * arguments (internal to study/: input.c parses the blocks with them). */
#ifndef BATCHTILE_STUDY_INPUT_LEX_H
#define BATCHTILE_STUDY_INPUT_LEX_H
#include <stddef.h>

enum { STUDY_TOK_WORD, STUDY_TOK_NUM, STUDY_TOK_STR, STUDY_TOK_END };

typedef struct study_tok {
    int kind;
    char *text; /* words lower-cased; strings unquoted */
    double num;
    size_t line;
} study_tok;

typedef struct study_parser {
    const char *path;
    study_tok *t;
    size_t n, i;
    char *msg;
    size_t msgsz;
} study_parser;

/* Counts of variables and responses beyond this are not a study but an
 * error (and would ask for memory no machine has). */
#define STUDY_MAX_COUNT 100000L

/* Set P->msg to "FILE:LINE: what" and return -1. */
int study_lex_err(study_parser *P, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Split buf into P's tokens, ending with STUDY_TOK_END. 0, or -1 with P->msg set. */
int study_lex_tokenize(study_parser *P, const char *buf, size_t len);
/* The next token (taken; STUDY_TOK_END stays), or a look at it. */
study_tok *study_lex_next(study_parser *P);
study_tok *study_lex_peek(study_parser *P);
/* kw's argument: a whole number in [min, max], a quoted string, a list of
 * numbers, a list of quoted strings (as many as follow). 0, or -1. */
int study_lex_int(study_parser *P, const study_tok *kw, long min, long max, long *out);
int study_lex_string(study_parser *P, const study_tok *kw, char **out);
int study_lex_numbers(study_parser *P, const study_tok *kw, double **out, size_t *n);
int study_lex_strings(study_parser *P, const study_tok *kw, char ***out, size_t *n);
/* t is the keyword s. */
int study_lex_kw_is(const study_tok *t, const char *s);

#endif
