/* For fuzz targets whose parser reads a file by name: the input as an
 * in-memory file, named /proc/self/fd/N. */
#ifndef BATCHTILE_FUZZ_MEMFILE_H
#define BATCHTILE_FUZZ_MEMFILE_H
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* path receives the name; returns the fd to close, or -1. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, pathsz, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
