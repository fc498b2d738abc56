/* recording: the share stream written to the state dir while sitrep runs,
 * for `sitrep replay`. One incident is state_dir/stream.jsonl.zst (the
 * stream's JSON lines, zstd-compressed), rotated to .1 once it holds
 * RECORDING_ROTATE_BYTES of JSON, so a replay never reads more than twice
 * that; both are opened by the state dir's rules (statefile.h), created
 * 0600. Each file starts with a whole state, and one follows every minute,
 * so a replay can begin anywhere. docs/PERFORMANCE.md has the size per hour. */
#ifndef SITREP_RECORDING_H
#define SITREP_RECORDING_H

#include <stdbool.h>
#include <stddef.h>

#define RECORDING_ROTATE_BYTES (64u << 20)
#define RECORDING_NAME         "stream.jsonl.zst"

struct recording;

/* NULL with msg when the state dir or the file is refused. */
struct recording *recording_open(const char *state_dir, char *msg, size_t cap);
/* Appends one record line (newline included); a failed write is said once on stderr and
 * recording stops. */
void recording_write(struct recording *rec, const char *line, size_t len);
/* True once after opening and after a rotation: the next record should be
 * a whole state. */
bool recording_wants_state(struct recording *rec);
void recording_close(struct recording *rec);
/* A recording's bytes as JSON lines: zstd frames decompressed (a last frame
 * cut short by a crash gives what it holds), anything else as it is; at
 * most max bytes. A new NUL-terminated buffer (caller frees), with err set
 * when something was left out; NULL with err when nothing could be read. */
char *recording_decode(const char *data, size_t len, size_t max, size_t *out_len, char *err, size_t cap);

#endif
