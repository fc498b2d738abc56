/* recording: the share stream written to the state dir while sitrep runs,
 * for `sitrep replay`. One incident is state_dir/stream.jsonl, rotated to
 * stream.jsonl.1 past RECORDING_ROTATE_BYTES, so it never takes more than
 * twice that; both are opened by the state dir's rules (statefile.h),
 * created 0600. Each file starts with a whole state, and one follows every
 * minute, so a replay can begin anywhere. Plain JSON lines: see
 * docs/PERFORMANCE.md for the size per hour and why not compressed. */
#ifndef SITREP_RECORDING_H
#define SITREP_RECORDING_H

#include <stdbool.h>
#include <stddef.h>

#define RECORDING_ROTATE_BYTES (32u << 20)
#define RECORDING_NAME         "stream.jsonl"

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

#endif
