/* The journal: one JSON line per finished evaluation attempt (and one per
 * run), appended by the event loop as each ends and made durable by a
 * thread of its own in groups (one fdatasync covers every record appended
 * since the last, at most one every 5 ms, so that a record is durable within
 * about 5 ms plus a sync; the loop never waits for it); resume trusts only what it
 * records. Each line is framed: it ends in
 * ,"len":N,"crc":"X"} (N bytes before ,"len", their CRC-32), so a torn or
 * garbled record is known and cut back, and one run holds it at a time.
 * The records themselves, and reading them back: record/record.h. */
#ifndef BATCHTILE_RUN_JOURNAL_H
#define BATCHTILE_RUN_JOURNAL_H
#include <stddef.h>
#include <stdio.h>

typedef struct run_journal run_journal;

/* Open (create) path for appending, take its lock (flock, held until close:
 * NULL with errno EWOULDBLOCK and msg "another batchtile (pid N) ..." when a
 * running batchtile holds it), and cut a torn tail back to the last whole
 * record. NULL with msg set on failure. */
run_journal *run_journal_open(const char *path, FILE *log, char *msg, size_t msgsz);
/* Append one record (a JSON object, without newline), framed; written at
 * once, made durable by the sync thread soon after. A failed write leaves
 * the file as it was. 0, or -1 with errno (the real one: ENOSPC, EIO, ...). */
int run_journal_append(run_journal *j, const char *json);
/* Wait until every record appended so far is durable (its fdatasync
 * returned). 0, or -1 with errno when a sync failed. */
int run_journal_sync(run_journal *j);
/* The errno of a failed fdatasync (then nothing later is durable), or 0. */
int run_journal_error(run_journal *j);
/* Records appended, records durable, fdatasync calls made. */
void run_journal_stats(run_journal *j, unsigned long long *appended, unsigned long long *durable,
                       unsigned long long *syncs);
/* Make everything durable, stop the sync thread and close. 0, or -1. */
int run_journal_close(run_journal *j);

#endif
