/* Files: read a whole file, write one atomically, create directories. */
#ifndef BATCHTILE_UTIL_FILE_H
#define BATCHTILE_UTIL_FILE_H
#include <stddef.h>
#include <sys/types.h>

typedef struct ut_map {
    char *data; /* NUL-terminated; "" for an empty file */
    size_t len;
    int mapped; /* mmap'd (else malloc'd) */
} ut_map;

/* Map (regular file) or read (anything else) path; 0, or -1 with errno.
 * A mapped file that shrinks meanwhile never raises SIGBUS: see
 * ut_map_faulted. */
int ut_file_map(const char *path, ut_map *m);
/* Read a regular file of at most max bytes into memory (never mapped, so a
 * file truncated meanwhile cannot raise SIGBUS). 0, or -1 with errno:
 * EFBIG when it is larger than max, EINVAL when it is not a regular file. */
int ut_file_read_bounded(const char *path, size_t max, ut_map *m);
/* Whether a mapped file was truncated under the map (a SIGBUS caught:
 * the pages past its new end read as zeros). Always 0 for a file read. */
int ut_map_faulted(const ut_map *m);
/* Release a map. */
void ut_file_unmap(ut_map *m);
/* A file written whole or not at all: written under a temporary name
 * beside path, then synced and renamed over it. */
typedef struct ut_atomic {
    int fd;
    char *tmp, *path;
} ut_atomic;
/* Start one. 0, or -1 with errno. */
int ut_atomic_begin(ut_atomic *a, const char *path);
/* Append bytes. 0, or -1 with errno. */
int ut_atomic_write(ut_atomic *a, const void *data, size_t len);
/* Sync, rename over path, sync the directory. 0, or -1 with errno (nothing
 * left behind). */
int ut_atomic_commit(ut_atomic *a);
/* Give up: the temporary file is removed, path untouched. */
void ut_atomic_abort(ut_atomic *a);
/* Whether the filesystem holding path has no block (or inode) left. */
int ut_fs_full(const char *path);
/* Give back the memory of the pages of a mapped file's first upto bytes
 * (they are read again from the file when touched); nothing for a file
 * read into memory. */
void ut_map_release(ut_map *m, size_t upto);
/* Write data to path as a whole or not at all: a temporary file in the same
 * directory, fsync, rename, fsync of the directory. 0, or -1 with errno. */
int ut_write_atomic(const char *path, const void *data, size_t len);
/* Open name relative to dirfd (AT_FDCWD or an open directory) without ever
 * following a link in its last component: with O_CREAT, a link found there
 * is removed (never its target) and a new file created. fd, or -1. */
int ut_open_nofollow(int dirfd, const char *name, int flags, mode_t mode);
/* Write data to path (created or truncated, a link there replaced, never
 * written through), no sync. 0, or -1 with errno. */
int ut_write_file(const char *path, const void *data, size_t len);
/* The same, name relative to the open directory dirfd. */
int ut_write_file_at(int dirfd, const char *name, const void *data, size_t len);
/* Copy a file, directory (recursively) or symbolic link; -1 with errno.
 * Fails with EEXIST when dst exists. */
int ut_copy_tree(const char *src, const char *dst);
/* rm -r: remove path and, if a directory, everything below it (symbolic
 * links are removed, not followed). 0, or -1 with errno. */
int ut_remove_tree(const char *path);
/* mkdir -p; 0, or -1 with errno. */
int ut_mkdirs(const char *path, mode_t mode);
/* The last non-empty line of a text file (read from its last 4 KiB, never
 * mapped), control characters shown as '?', cut to maxchars (with "...").
 * 1 found, 0 none (empty, or not a regular file), -1 cannot open. */
int ut_file_last_line(const char *path, char *out, size_t outsz, size_t maxchars);
/* The offset of the first byte no text file holds (NUL, and the control
 * characters but tab, newline, CR, FF, VT; DEL), or -1; *line (when not
 * NULL) is set to its 1-based line. */
long ut_text_bad_byte(const char *s, size_t n, size_t *line);
/* Read a small file (dirfd as for openat: AT_FDCWD for a plain path) into
 * buf, NUL-terminated, at most bufsz - 1 bytes: the count read, or -1 when
 * it cannot be opened or is empty (a /proc file of a process gone). */
long ut_read_small_at(int dirfd, const char *name, char *buf, size_t bufsz);
/* "dir/name" into out (size outsz); -1 if it does not fit. */
int ut_path_join(char *out, size_t outsz, const char *dir, const char *name);

#endif
