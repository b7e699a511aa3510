/* A fast 64-bit hash of bytes (FNV-1a over 8-byte words), for fingerprints:
 * not cryptographic, stable across runs and machines of one byte order. */
#ifndef BATCHTILE_UTIL_HASH_H
#define BATCHTILE_UTIL_HASH_H
#include <stddef.h>
#include <stdint.h>

#define UT_HASH_INIT 0xcbf29ce484222325ULL

/* Continue hash h over n bytes. */
uint64_t ut_hash(uint64_t h, const void *data, size_t n);
/* Continue h over a NUL-terminated string, its terminator included (so
 * that "ab","c" and "a","bc" differ). */
uint64_t ut_hash_str(uint64_t h, const char *s);
/* Continue h over a file's whole content; -1 with errno when unreadable. */
int ut_hash_file(const char *path, uint64_t *h);

#endif
