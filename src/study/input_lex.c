/* The Dakota input subset's words: the tokenizer (words, numbers, quoted
 * strings; '=' and ',' ignored; '#' comments) and the readers of a
 * keyword's arguments, each error naming FILE:LINE and the keyword. */
#include "input_lex.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

int study_lex_err(study_parser *P, size_t line, const char *fmt, ...)
{
    char m[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(P->msg, P->msgsz, "%s:%zu: %s", P->path, line, m);
    return -1;
}

static int lex_push(study_parser *P, int kind, const char *s, size_t len, size_t line)
{
    study_tok *nt = realloc(P->t, (P->n + 1) * sizeof *nt);
    if (!nt)
        return -1;
    P->t = nt;
    study_tok *t = &P->t[P->n++];
    t->kind = kind;
    t->line = line;
    t->text = strndup(s, len);
    if (!t->text)
        return -1;
    t->num = 0;
    if (kind == STUDY_TOK_WORD) {
        char *end;
        double v = strtod(t->text, &end);
        if (end != t->text && *end == '\0') {
            t->kind = STUDY_TOK_NUM;
            t->num = v;
        } else {
            for (char *c = t->text; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
    }
    return 0;
}

int study_lex_tokenize(study_parser *P, const char *buf, size_t len)
{
    size_t line = 1;
    long bad = ut_text_bad_byte(buf, len, &line);
    if (bad >= 0)
        return study_lex_err(P, line,
                             "byte 0x%02x at offset %ld is not text: a Dakota input file is text",
                             (unsigned char)buf[bad], bad);
    for (size_t i = 0; i < len;) {
        char c = buf[i];
        if (c == '\n') {
            line++;
            i++;
        } else if (isspace((unsigned char)c) || c == '=' || c == ',') {
            i++;
        } else if (c == '#') {
            while (i < len && buf[i] != '\n')
                i++;
        } else if (c == '\'' || c == '"') {
            size_t j = i + 1;
            while (j < len && buf[j] != c && buf[j] != '\n')
                j++;
            if (j >= len || buf[j] != c)
                return study_lex_err(P, line, "unterminated string (missing closing %c)", c);
            if (lex_push(P, STUDY_TOK_STR, buf + i + 1, j - i - 1, line) < 0)
                return study_lex_err(P, line, "out of memory");
            i = j + 1;
        } else {
            size_t j = i;
            while (j < len && !isspace((unsigned char)buf[j]) && buf[j] != '=' && buf[j] != ',' &&
                   buf[j] != '#' && buf[j] != '\'' && buf[j] != '"')
                j++;
            if (lex_push(P, STUDY_TOK_WORD, buf + i, j - i, line) < 0)
                return study_lex_err(P, line, "out of memory");
            i = j;
        }
    }
    return lex_push(P, STUDY_TOK_END, "", 0, line) < 0 ? study_lex_err(P, line, "out of memory")
                                                       : 0;
}

/* ---- argument readers ---------------------------------------------------- */

study_tok *study_lex_next(study_parser *P)
{
    return &P->t[P->i < P->n - 1 ? P->i++ : P->i];
}

study_tok *study_lex_peek(study_parser *P)
{
    return &P->t[P->i];
}

int study_lex_int(study_parser *P, const study_tok *kw, long min, long max, long *out)
{
    study_tok *t = study_lex_next(P);
    if (t->kind != STUDY_TOK_NUM || t->num != floor(t->num) || t->num < (double)min)
        return study_lex_err(P, t->line, "%s: expected a whole number%s, found '%s'", kw->text,
                             min > 0 ? " of at least 1" : "",
                             t->kind == STUDY_TOK_END ? "end of file" : t->text);
    if (t->num > (double)max)
        return study_lex_err(P, t->line, "%s: at most %ld, found '%s'", kw->text, max, t->text);
    *out = (long)t->num;
    return 0;
}

int study_lex_string(study_parser *P, const study_tok *kw, char **out)
{
    study_tok *t = study_lex_next(P);
    if (t->kind != STUDY_TOK_STR)
        return study_lex_err(P, t->line, "%s: expected a quoted string, found '%s'", kw->text,
                             t->kind == STUDY_TOK_END ? "end of file" : t->text);
    free(*out);
    *out = strdup(t->text);
    return 0;
}

/* A list of numbers (as many as follow). */
int study_lex_numbers(study_parser *P, const study_tok *kw, double **out, size_t *n)
{
    free(*out);
    *out = NULL;
    *n = 0;
    while (study_lex_peek(P)->kind == STUDY_TOK_NUM) {
        double *nv = realloc(*out, (*n + 1) * sizeof *nv);
        if (!nv)
            return study_lex_err(P, kw->line, "out of memory");
        *out = nv;
        (*out)[(*n)++] = study_lex_next(P)->num;
    }
    if (*n == 0)
        return study_lex_err(
            P, study_lex_peek(P)->line, "%s: expected numbers, found '%s'", kw->text,
            study_lex_peek(P)->kind == STUDY_TOK_END ? "end of file" : study_lex_peek(P)->text);
    return 0;
}

/* A list of quoted strings (as many as follow). */
int study_lex_strings(study_parser *P, const study_tok *kw, char ***out, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*out)[i]);
    free(*out);
    *out = NULL;
    *n = 0;
    while (study_lex_peek(P)->kind == STUDY_TOK_STR) {
        char **nv = realloc(*out, (*n + 1) * sizeof *nv);
        if (!nv)
            return study_lex_err(P, kw->line, "out of memory");
        *out = nv;
        (*out)[(*n)++] = strdup(study_lex_next(P)->text);
    }
    if (*n == 0)
        return study_lex_err(
            P, study_lex_peek(P)->line, "%s: expected quoted strings, found '%s'", kw->text,
            study_lex_peek(P)->kind == STUDY_TOK_END ? "end of file" : study_lex_peek(P)->text);
    return 0;
}

int study_lex_kw_is(const study_tok *t, const char *s)
{
    return t->kind == STUDY_TOK_WORD && strcmp(t->text, s) == 0;
}
