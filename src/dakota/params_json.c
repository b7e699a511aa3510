/* Parameters in Dakota's JSON format: one object per evaluation. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "params.h"

#define FAIL(...)                                                                        \
    do {                                                                                 \
        dak_seterr(err, name, line, __VA_ARGS__);                                        \
        goto fail;                                                                       \
    } while (0)
#define NEED(x)                                                                          \
    do {                                                                                 \
        if (!(x))                                                                        \
            FAIL("out of memory");                                                       \
    } while (0)

/* An array member, or an empty array when the key is absent. */
static int get_array(json_t *o, const char *key, json_t **out, int required)
{
    json_t *a = json_object_get(o, key);
    if (!a) {
        *out = NULL;
        return required ? -1 : 0;
    }
    if (!json_is_array(a))
        return -1;
    *out = a;
    return 0;
}

static const char *scalar_text(struct dak_arena *A, json_t *v, dak_var *var)
{
    char num[64];
    if (json_is_string(v)) {
        var->kind = DAK_VAL_STRING;
        return dak_arena_strndup(A, json_string_value(v), json_string_length(v));
    }
    if (json_is_integer(v)) {
        var->kind = DAK_VAL_INT;
        var->integer = (long long)json_integer_value(v);
        var->real = (double)var->integer;
        snprintf(num, sizeof num, "%lld", var->integer);
        return dak_arena_strndup(A, num, strlen(num));
    }
    if (json_is_real(v)) {
        var->kind = DAK_VAL_REAL;
        var->real = json_real_value(v);
        snprintf(num, sizeof num, "%.17g", var->real);
        return dak_arena_strndup(A, num, strlen(num));
    }
    if (json_is_boolean(v)) {
        var->kind = DAK_VAL_INT;
        var->integer = json_is_true(v);
        var->real = (double)var->integer;
        return var->integer ? "1" : "0";
    }
    return NULL;
}

dak_params *dak_params_from_json(const void *json, const char *name, size_t line, dak_error *err)
{
    json_t *o = (json_t *)json;
    struct dak_arena *A = NULL;
    dak_params *p = NULL;
    json_t *a;
    size_t i;
    json_t *v;

    if (!json_is_object(o)) {
        dak_seterr(err, name, line, "expected a JSON object for an evaluation");
        return NULL;
    }
    if (!(p = dak_params_alloc(DAK_FMT_JSON, 2048))) {
        dak_seterr(err, name, line, "out of memory");
        return NULL;
    }
    A = p->arena;

    if (get_array(o, "variables", &a, 1) < 0)
        FAIL("expected \"variables\": an array of {\"label\", \"value\"}");
    p->nvars = json_array_size(a);
    NEED(p->vars = dak_arena_alloc(A, p->nvars * sizeof *p->vars));
    json_array_foreach(a, i, v) {
        json_t *l = json_object_get(v, "label"), *val = json_object_get(v, "value");
        if (!json_is_string(l) || !val)
            FAIL("variables[%zu]: expected {\"label\": string, \"value\": number or string}", i);
        NEED(p->vars[i].label = dak_arena_strndup(A, json_string_value(l), json_string_length(l)));
        if (!(p->vars[i].value = scalar_text(A, val, &p->vars[i])))
            FAIL("variables[%zu] (%s): expected a number or a string value", i,
                 p->vars[i].label);
    }

    if (get_array(o, "responses", &a, 1) < 0)
        FAIL("expected \"responses\": an array of {\"label\", \"active_set\"}");
    p->nfns = json_array_size(a);
    NEED(p->fns = dak_arena_alloc(A, p->nfns * sizeof *p->fns));
    json_array_foreach(a, i, v) {
        json_t *l = json_object_get(v, "label"), *asv = json_object_get(v, "active_set");
        if (!json_is_string(l) || !json_is_integer(asv) || json_integer_value(asv) < 0 ||
            json_integer_value(asv) > 7)
            FAIL("responses[%zu]: expected {\"label\": string, \"active_set\": 0..7}", i);
        NEED(p->fns[i].label = dak_arena_strndup(A, json_string_value(l), json_string_length(l)));
        p->fns[i].asv = (int)json_integer_value(asv);
    }

    if (get_array(o, "derivative_variables", &a, 0) < 0)
        FAIL("expected \"derivative_variables\": an array of variable ids");
    p->ndvv = json_array_size(a);
    NEED(p->dvv = dak_arena_alloc(A, p->ndvv * sizeof *p->dvv));
    NEED(p->dvv_label = dak_arena_alloc(A, p->ndvv * sizeof *p->dvv_label));
    json_array_foreach(a, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 0x7fffffff)
            FAIL("derivative_variables[%zu]: expected a variable id (1, 2, ...)", i);
        p->dvv[i] = (unsigned)json_integer_value(v);
        p->dvv_label[i] = p->dvv[i] <= p->nvars ? p->vars[p->dvv[i] - 1].label : "";
    }

    if (get_array(o, "analysis_components", &a, 0) < 0)
        FAIL("expected \"analysis_components\": an array of {\"driver\", \"component\"}");
    p->nac = json_array_size(a);
    NEED(p->acs = dak_arena_alloc(A, p->nac * sizeof *p->acs));
    json_array_foreach(a, i, v) {
        json_t *d = json_object_get(v, "driver"), *c = json_object_get(v, "component");
        if (!json_is_string(d) || !json_is_string(c))
            FAIL("analysis_components[%zu]: expected {\"driver\": string, \"component\": string}", i);
        NEED(p->acs[i].driver = dak_arena_strndup(A, json_string_value(d), json_string_length(d)));
        NEED(p->acs[i].value = dak_arena_strndup(A, json_string_value(c), json_string_length(c)));
    }

    v = json_object_get(o, "eval_id");
    if (json_is_string(v)) {
        NEED(p->eval_id = dak_arena_strndup(A, json_string_value(v), json_string_length(v)));
    } else if (json_is_integer(v) && json_integer_value(v) >= 0) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        NEED(p->eval_id = dak_arena_strndup(A, num, strlen(num)));
    } else {
        FAIL("expected \"eval_id\": a string such as \"1:7\" or a number");
    }
    if (dak_params_set_eval_id(p, p->eval_id) < 0)
        FAIL("expected an eval_id ending in an evaluation number ('7', '1:7'), found '%s'",
             p->eval_id);

    v = json_object_get(o, "metadata");
    if (v) {
        if (!json_is_array(v))
            FAIL("expected \"metadata\": an array of strings");
        p->has_metadata = 1;
        p->nmeta = json_array_size(v);
        NEED(p->meta = dak_arena_alloc(A, p->nmeta * sizeof *p->meta));
        json_t *m;
        json_array_foreach(v, i, m) {
            if (!json_is_string(m))
                FAIL("metadata[%zu]: expected a string", i);
            NEED(p->meta[i] = dak_arena_strndup(A, json_string_value(m), json_string_length(m)));
        }
    }
    return p;
fail:
    dak_params_free(p);
    return NULL;
}

/* ---- where "eval_id" lies in the object's text --------------------------- */

static size_t skip_jws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* The end of the string opening at s[i] (just after its closing quote), or 0. */
static size_t string_end(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The end of the value starting at s[i] (just after its last byte), or 0. */
static size_t value_end(const char *s, size_t len, size_t i)
{
    if (s[i] == '"')
        return string_end(s, len, i);
    int depth = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            size_t e = string_end(s, len, i);
            if (!e)
                return 0;
            i = e - 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; /* the end of a scalar, the object's '}' */
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            return i;
        }
    }
    return depth == 0 ? i : 0;
}

/* Whether the member name tok (with its quotes) is key: by its bytes, or
 * decoded where it holds escapes ("eval\u005fid" is the same name). */
static int name_is(const char *tok, size_t n, const char *key)
{
    size_t kl = strlen(key);
    if (!memchr(tok, '\\', n))
        return n == kl + 2 && memcmp(tok + 1, key, kl) == 0;
    json_t *s = json_loadb(tok, n, JSON_DECODE_ANY, NULL);
    int is = json_is_string(s) && json_string_length(s) == kl &&
             memcmp(json_string_value(s), key, kl) == 0;
    json_decref(s);
    return is;
}

void dak_json_find_eval_id(dak_params *p, const char *s, size_t len)
{
    /* the object's members in turn (its JSON is valid: jansson read it) */
    size_t i = skip_jws(s, len, 0);
    if (i >= len || s[i] != '{')
        return;
    for (i++;;) {
        i = skip_jws(s, len, i);
        if (i >= len || s[i] != '"')
            return;
        size_t name = i, name_end = string_end(s, len, i);
        if (!name_end)
            return;
        i = skip_jws(s, len, name_end);
        if (i >= len || s[i] != ':')
            return;
        i = skip_jws(s, len, i + 1);
        size_t end = i < len ? value_end(s, len, i) : 0;
        if (end <= i)
            return;
        if (name_is(s + name, name_end - name, "eval_id")) {
            p->eval_id_at = i;
            p->eval_id_len = end - i;
            return;
        }
        i = skip_jws(s, len, end);
        if (i >= len || s[i] != ',')
            return;
        i++;
    }
}
