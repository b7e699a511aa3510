#include "cmdline.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dakota/buf.h"
#include "launch/proc.h"

/* w with {eval}, {params} and {results} replaced; malloc'd, NULL on memory. */
static char *expand(const char *w, long eval, const char *params, const char *results)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", eval);
    const struct {
        const char *key, *val;
    } keys[] = {{"{eval}", num}, {"{params}", params}, {"{results}", results}};
    dak_buf b = DAK_BUF_INIT;
    for (const char *s = w; *s;) {
        size_t k;
        for (k = 0; k < 3; k++)
            if (strncmp(s, keys[k].key, strlen(keys[k].key)) == 0)
                break;
        int rc = k < 3 ? dak_buf_puts(&b, keys[k].val) : dak_buf_add(&b, s, 1);
        if (rc < 0) {
            dak_buf_free(&b);
            return NULL;
        }
        s += k < 3 ? strlen(keys[k].key) : 1;
    }
    return b.data ? b.data : strdup("");
}

int run_cmdline_init(run_cmdline *c, char *const *words, int nwords, char *msg, size_t msgsz)
{
    memset(c, 0, sizeof *c);
    c->words = calloc((size_t)nwords + 1, sizeof *c->words);
    if (!c->words) {
        snprintf(msg, msgsz, "out of memory");
        return -1;
    }
    c->nwords = nwords;
    for (int i = 0; i < nwords; i++) {
        if (strstr(words[i], "{params}") || strstr(words[i], "{results}"))
            c->substitute = 1;
        c->words[i] = strdup(words[i]);
    }
    /* resolve the program once, where batchtile runs (it runs in each work
     * directory, where a relative path would no longer be found) */
    if (!strchr(words[0], '{')) {
        char abs[PATH_MAX];
        if (ut_resolve_command(words[0], abs, sizeof abs) < 0) {
            snprintf(msg, msgsz, "%s: command not found or not executable (searched %s)",
                     words[0], strchr(words[0], '/') ? "that path" : "PATH and the current directory");
            run_cmdline_free(c);
            return -1;
        }
        free(c->words[0]);
        c->words[0] = strdup(abs);
    }
    return 0;
}

char **run_cmdline_argv(const run_cmdline *c, long eval, const char *params, const char *results)
{
    int n = c->nwords + (c->substitute ? 0 : 2);
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    if (!argv)
        return NULL;
    for (int i = 0; i < c->nwords; i++)
        if (!(argv[i] = expand(c->words[i], eval, params, results)))
            goto oom;
    if (!c->substitute) {
        if (!(argv[c->nwords] = strdup(params)) || !(argv[c->nwords + 1] = strdup(results)))
            goto oom;
    }
    return argv;
oom:
    ut_argv_free(argv);
    return NULL;
}

void run_cmdline_free(run_cmdline *c)
{
    for (int i = 0; c->words && i < c->nwords; i++)
        free(c->words[i]);
    free(c->words);
    c->words = NULL;
}

void run_cmdline_format(char *const *argv, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; argv[i] && o + 4 < outsz; i++) {
        const char *w = argv[i];
        int plain = *w != '\0';
        for (const char *s = w; *s; s++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%{}", *s))
                plain = 0;
        if (i)
            out[o++] = ' ';
        if (!plain)
            out[o++] = '\'';
        for (const char *s = w; *s && o + 6 < outsz; s++) {
            if (*s == '\'' && !plain) {
                memcpy(out + o, "'\\''", 4);
                o += 4;
            } else {
                out[o++] = *s;
            }
        }
        if (!plain)
            out[o++] = '\'';
        out[o] = '\0';
    }
}
