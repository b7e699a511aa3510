/* libFuzzer target: the Dakota input subset of `batchtile study` over
 * arbitrary bytes: a spec or a message, never a crash or a leak. */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>

#include "memfile.h"
#include "study/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], msg[1024];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    study_spec s;
    msg[0] = '\0';
    int rc = study_input_parse(path, &s, msg, sizeof msg);
    if (rc == 0)
        study_spec_free(&s);
    else
        assert(msg[0] != '\0');
    close(fd);
    return 0;
}
