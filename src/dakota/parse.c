/* One evaluation's parameters from its text, whatever its format: the
 * dispatch over the line parser (params.c) and the JSON one
 * (params_json.c), which both build on params.c's allocation. */
#include "params.h"

#include <jansson.h>

#include "internal.h"

dak_params *dak_params_parse(const char *buf, size_t len, dak_format fmt, const char *name,
                             size_t first_line, dak_error *err)
{
    if (fmt == DAK_FMT_JSON) {
        json_error_t je;
        json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            dak_seterr(err, name, first_line + (je.line > 0 ? (size_t)je.line - 1 : 0),
                       "expected JSON parameters: %s", je.text);
            return NULL;
        }
        dak_params *p = dak_params_from_json(j, name, first_line, err);
        json_decref(j);
        if (p)
            dak_json_find_eval_id(p, buf, len);
        return p;
    }
    dak_lines L = {buf, len, 0, first_line ? first_line : 1};
    return dak_params_parse_lines(&L, fmt, name, 0, err);
}
