/* Formats of Dakota's parameters and results files, and the error record
 * every parser fills: file, line and what was expected. */
#ifndef BATCHTILE_DAKOTA_FORMAT_H
#define BATCHTILE_DAKOTA_FORMAT_H
#include <stddef.h>

typedef enum dak_format {
    DAK_FMT_STANDARD = 0, /* "value label" lines; results: values, [ grads ], [[ hessians ]] */
    DAK_FMT_APREPRO = 1,  /* "{ label = value }" lines (parameters only) */
    DAK_FMT_JSON = 2,     /* an object per evaluation, an array per batch */
} dak_format;

typedef struct dak_error {
    char file[256]; /* the name the caller gave for the input ("" if none) */
    size_t line;    /* 1-based line of the problem, 0 when not about a line */
    char msg[512];  /* what was expected and what was found */
} dak_error;

/* Name of a format: "standard", "aprepro", "json". */
const char *dak_format_name(dak_format f);
/* Parse a format name; returns 0 and sets *f, or -1 if unknown. */
int dak_format_parse(const char *name, dak_format *f);
/* Tell a parameters file's format from its first line: APREPRO when it
 * starts with "{ DAKOTA_VARS", JSON when its first non-space is '[' or '{'
 * (followed by a quote, bracket, brace or end), standard otherwise. */
dak_format dak_format_detect(const char *buf, size_t len);
/* "FILE:LINE: MSG" (or "FILE: MSG") into out; returns out. */
const char *dak_error_str(const dak_error *e, char *out, size_t outsz);

#endif
