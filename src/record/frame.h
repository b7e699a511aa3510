/* Journal framing: each line is a JSON object ending in
 * ,"len":N,"crc":"X"} where N is the byte count of the text before ,"len"
 * and X its CRC-32, so that a torn or garbled record is known. */
#ifndef BATCHTILE_RECORD_FRAME_H
#define BATCHTILE_RECORD_FRAME_H
#include <stddef.h>
#include <stdint.h>

uint32_t rec_crc32(const char *s, size_t n);
/* 1 when line (without its newline) is a whole record: framed and intact,
 * or unframed (journals of earlier versions); 0 when torn or garbled. */
int rec_frame_ok(const char *line, size_t n);
/* The trailer that frames json (an object, "}" last): what replaces its
 * closing brace, newline included. Its length, or -1 when json is not an
 * object. */
int rec_frame_trailer(const char *json, size_t n, char *out, size_t outsz);
/* Call fn for every whole line of the journal at path (framing checked,
 * the frame left on), in order; the file is mapped and released as read,
 * so that memory does not grow with the journal. Returns the lines given,
 * or -1 when the file cannot be read (0 when it does not exist). */
long rec_frame_read(const char *path, int (*fn)(void *arg, const char *line, size_t n),
                    void *arg);

#endif
