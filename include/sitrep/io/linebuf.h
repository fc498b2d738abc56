/* linebuf: splits a byte stream into lines for the log inputs (files, child
 * pipes). Lines longer than the limit are delivered cut, once, with the rest up
 * to the next newline dropped, so one endless line cannot grow memory. */
#ifndef SITREP_LINEBUF_H
#define SITREP_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Lines longer than this are cut (1 MiB). */
#define LINEBUF_DEFAULT_MAX (1024 * 1024)

/* One line without its newline (and without the \r of a \r\n ending). */
typedef void (*linebuf_fn)(void *ctx, const char *line, size_t len, bool cut);

struct linebuf {
	char *buf; /* pending partial line, owned */
	size_t len, cap, max;
	bool discarding; /* inside the rest of a line that was cut */
};

void linebuf_init(struct linebuf *lb, size_t max_line);
/* Feeds bytes; calls fn for every line completed by them. */
void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx);
/* Delivers a pending partial line (the stream ended without a newline). */
void linebuf_flush(struct linebuf *lb, linebuf_fn fn, void *ctx);
/* Forgets pending bytes (the file was truncated or replaced). */
void linebuf_reset(struct linebuf *lb);
void linebuf_free(struct linebuf *lb);

#endif
