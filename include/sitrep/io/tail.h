/* tail: follows one file path like `tail -F`.
 *
 * At start only the end of the file is read (the last tail_bytes, or the last
 * tail_lines lines), never the whole file unless asked. Rename rotation,
 * copytruncate, delete-and-recreate, a file that appears later and permission
 * errors are all survived: the path is re-checked with stat on a timer, while
 * uv_fs_event wakes the reader as soon as the file grows. Reads use pread on a
 * regular file, in bounded slices so the loop keeps answering keys. */
#ifndef SITREP_TAIL_H
#define SITREP_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct tail;

struct tail_options {
	const char *path;  /* copied */
	bool from_start;   /* read the whole existing file first */
	size_t tail_bytes; /* at start, at most this much of the end (0: 64 KiB) */
	size_t tail_lines; /* at start, the last N lines instead (0: use tail_bytes) */
	unsigned poll_ms;  /* stat interval (0: 250 ms) */
	size_t max_line;   /* lines longer are cut (0: 1 MiB) */
};

struct tail_callbacks {
	/* A complete line; cut when it was longer than max_line. */
	void (*line)(void *ctx, const char *line, size_t len, bool cut);
	/* The path's trouble ("No such file or directory", "Permission denied"),
	 * or NULL when it is readable again. Called on changes only. */
	void (*state)(void *ctx, const char *error);
	/* Once: the initial read reached the end of the file, or opening failed. */
	void (*ready)(void *ctx);
	/* Optional: at least TAIL_BACKLOG_MIN bytes [from, to) wait to be read
	 * and from is a line start (a file read from its start, a large tail, a
	 * burst). Returning true takes them over: the owner reads the complete
	 * lines itself (on the thread pool), the tail neither reads nor checks
	 * the path meanwhile, and tail_resume continues after them. fd stays the
	 * tail's: dup it to keep it. */
	bool (*backlog)(void *ctx, int fd, int64_t from, int64_t to);
};

#define TAIL_BACKLOG_MIN (8 * 1024 * 1024)

#define TAIL_DEFAULT_BYTES (64 * 1024)

/* Allocates a follower; nothing happens until tail_start. The tail owns itself
 * until tail_close's callback has run. */
struct tail *tail_new(uv_loop_t *loop, const struct tail_options *opt, const struct tail_callbacks *cb,
                      void *ctx);
int tail_start(struct tail *t);
/* Closes the handles and frees the tail; closed (may be NULL) runs after. */
void tail_close(struct tail *t, void (*closed)(void *ctx));
const char *tail_path(const struct tail *t);
/* After a backlog: following continues at end (just after the last line the
 * owner read). */
void tail_resume(struct tail *t, int64_t end);

#endif
