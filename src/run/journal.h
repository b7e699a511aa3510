/* The journal: one JSON line per finished evaluation attempt (and one per
 * run), appended as each ends and made durable in groups; resume trusts
 * only what it records. Each line is framed: it ends in
 * ,"len":N,"crc":"X"} (N bytes before ,"len", their CRC-32), so a torn or
 * garbled record is known and cut back, and one run holds it at a time. */
#ifndef BATCHTILE_RUN_JOURNAL_H
#define BATCHTILE_RUN_JOURNAL_H
#include <stddef.h>

typedef struct run_journal run_journal;

/* Open (create) path for appending, take its lock (flock, held until close:
 * NULL with errno EWOULDBLOCK and msg "another batchtile (pid N) ..." when a
 * running batchtile holds it), and cut a torn tail back to the last whole
 * record. NULL with msg set on failure. */
run_journal *run_journal_open(const char *path, char *msg, size_t msgsz);
/* Append one record (a JSON object, without newline), framed; written at
 * once, synced later. A failed write leaves the file as it was. 0, or -1
 * with errno (the real one: ENOSPC, EIO, ...). */
int run_journal_append(run_journal *j, const char *json);
/* fsync when something was appended since the last sync. */
int run_journal_sync(run_journal *j);
/* Whether records wait for a sync. */
int run_journal_dirty(const run_journal *j);
/* Sync and close. */
int run_journal_close(run_journal *j);

/* Read path and call fn for every complete record (a jansson json_t *);
 * a torn or garbled line (framing or JSON) is skipped. Returns the number of records, or -1
 * when the file cannot be read (0 when it does not exist). */
long run_journal_read(const char *path, void (*fn)(void *arg, const void *record), void *arg);

#endif
