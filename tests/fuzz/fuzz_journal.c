/* libFuzzer target: journal records as resume and `batchtile report` read
 * them (framing, JSON, every field of any type and size): a run or a
 * message, never a crash, a leak or undefined behaviour. */
#define _GNU_SOURCE
#include <stdint.h>

#include "memfile.h"
#include "report/journal_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], msg[1024];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    report_run r;
    if (report_load(path, &r, msg, sizeof msg) == 0) {
        (void)report_total_cores(&r);
        report_run_free(&r);
    }
    close(fd);
    return 0;
}
