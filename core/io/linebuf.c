/* linebuf: line splitting shared by the file tail and child pipes. Complete
 * lines inside a fed chunk are handed out in place without copying; only the
 * partial line at the end of a chunk is kept. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/io/linebuf.h"
#include "sitrep/core/util.h"

void linebuf_init(struct linebuf *lb, size_t max_line)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max_line > 0 ? max_line : LINEBUF_DEFAULT_MAX;
}

static void linebuf_emit(const char *line, size_t len, bool cut, linebuf_fn fn, void *ctx)
{
	if (!cut && len > 0 && line[len - 1] == '\r')
		len--;
	fn(ctx, line, len, cut);
}

/* Appends to the pending line; emits it cut when it reaches the limit. */
static void linebuf_append(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx)
{
	if (lb->discarding)
		return;
	if (lb->len + n >= lb->max) {
		size_t take = lb->max - lb->len;
		if (lb->len == 0) {
			linebuf_emit(data, take, true, fn, ctx);
		} else {
			if (lb->cap < lb->max) {
				lb->cap = lb->max;
				lb->buf = xrealloc(lb->buf, lb->cap);
			}
			memcpy(lb->buf + lb->len, data, take);
			linebuf_emit(lb->buf, lb->max, true, fn, ctx);
		}
		lb->len = 0;
		lb->discarding = true;
		return;
	}
	if (lb->len + n > lb->cap) {
		size_t cap = lb->cap ? lb->cap : 256;
		while (cap < lb->len + n)
			cap *= 2;
		lb->buf = xrealloc(lb->buf, cap);
		lb->cap = cap;
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx)
{
	const char *p = data, *end = data + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			linebuf_append(lb, p, (size_t)(end - p), fn, ctx);
			return;
		}
		if (lb->discarding) {
			lb->discarding = false;
		} else if (lb->len == 0) {
			if ((size_t)(nl - p) >= lb->max)
				linebuf_emit(p, lb->max, true, fn, ctx);
			else
				linebuf_emit(p, (size_t)(nl - p), false, fn, ctx);
		} else {
			linebuf_append(lb, p, (size_t)(nl - p), fn, ctx);
			if (lb->discarding)
				lb->discarding = false;
			else
				linebuf_emit(lb->buf, lb->len, false, fn, ctx);
			lb->len = 0;
		}
		p = nl + 1;
	}
}

void linebuf_flush(struct linebuf *lb, linebuf_fn fn, void *ctx)
{
	if (lb->len > 0 && !lb->discarding)
		linebuf_emit(lb->buf, lb->len, false, fn, ctx);
	lb->len = 0;
	lb->discarding = false;
}

void linebuf_reset(struct linebuf *lb)
{
	lb->len = 0;
	lb->discarding = false;
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}
