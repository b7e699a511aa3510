#include "format.h"

#include <stdio.h>
#include <string.h>

const char *dak_format_name(dak_format f)
{
    switch (f) {
    case DAK_FMT_APREPRO:
        return "aprepro";
    case DAK_FMT_JSON:
        return "json";
    default:
        return "standard";
    }
}

int dak_format_parse(const char *name, dak_format *f)
{
    if (strcmp(name, "standard") == 0)
        *f = DAK_FMT_STANDARD;
    else if (strcmp(name, "aprepro") == 0)
        *f = DAK_FMT_APREPRO;
    else if (strcmp(name, "json") == 0)
        *f = DAK_FMT_JSON;
    else
        return -1;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

dak_format dak_format_detect(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && is_space(buf[i]))
        i++;
    if (i == len)
        return DAK_FMT_STANDARD;
    if (buf[i] == '[')
        return DAK_FMT_JSON;
    if (buf[i] != '{')
        return DAK_FMT_STANDARD;
    i++;
    while (i < len && is_space(buf[i]))
        i++;
    if (i == len || buf[i] == '"' || buf[i] == '}' || buf[i] == '[' || buf[i] == '{')
        return DAK_FMT_JSON;
    return DAK_FMT_APREPRO;
}

const char *dak_error_str(const dak_error *e, char *out, size_t outsz)
{
    const char *file = e->file[0] ? e->file : "<input>";
    if (e->line)
        snprintf(out, outsz, "%s:%zu: %s", file, e->line, e->msg);
    else
        snprintf(out, outsz, "%s: %s", file, e->msg);
    return out;
}
