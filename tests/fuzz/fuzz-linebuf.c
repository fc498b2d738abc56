/* fuzz-linebuf: the line splitter every followed file and child pipe goes
 * through (core/io/linebuf.c), with a small line limit so long lines are cut.
 * The same bytes are fed whole and in chunks of sizes the input picks (as
 * reads and pipes deliver them): both must give the same lines, each without
 * a newline, within the limit, marked cut only when it reached it. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/io/linebuf.h"
#include "sitrep/core/util.h"

struct fuzz_linebuf_out {
	char *text; /* every line, each followed by '\n' and its cut flag */
	size_t len, max;
};

static void fuzz_linebuf_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct fuzz_linebuf_out *o = ctx;
	if (memchr(line, '\n', len) != NULL || len > o->max || (cut && len != o->max))
		abort();
	o->text = xrealloc(o->text, o->len + len + 2);
	memcpy(o->text + o->len, line, len);
	o->len += len;
	o->text[o->len++] = '\n';
	o->text[o->len++] = cut ? 'c' : 'w';
}

static void fuzz_linebuf_run(const uint8_t *data, size_t size, size_t max, const uint8_t *steps,
                             size_t nsteps, struct fuzz_linebuf_out *o)
{
	struct linebuf lb;
	linebuf_init(&lb, max);
	o->max = max;
	size_t at = 0;
	for (size_t i = 0; at < size; i++) {
		size_t n = nsteps > 0 ? (size_t)(1 + steps[i % nsteps] % 97) : size;
		if (n > size - at)
			n = size - at;
		linebuf_feed(&lb, (const char *)data + at, n, fuzz_linebuf_line, o);
		at += n;
	}
	linebuf_flush(&lb, fuzz_linebuf_line, o);
	linebuf_free(&lb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = 8 + data[0] % 64;
	struct fuzz_linebuf_out whole = {0}, chunked = {0};
	fuzz_linebuf_run(data + 1, size - 1, max, NULL, 0, &whole);
	fuzz_linebuf_run(data + 1, size - 1, max, data + 1, size - 1 < 16 ? size - 1 : 16, &chunked);
	if (whole.len != chunked.len || (whole.len > 0 && memcmp(whole.text, chunked.text, whole.len) != 0))
		abort();
	free(whole.text);
	free(chunked.text);
	return 0;
}
