/* fuzz-timeline: the state files read back at start. timeline.jsonl and
 * audit.jsonl live in the state dir and may have been edited or damaged; the
 * store reads both, sorts them, drops repeats and renders Markdown. The input
 * is split at its first NUL byte (or in the middle): the first part becomes
 * timeline.jsonl, the rest audit.jsonl. Invariants: entries come out in time
 * order, every field is inert text (no control byte), and the Markdown has one
 * table row per entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "sitrep/app.h"
#include "sitrep/timeline.h"
#include "sitrep/util.h"

static void fuzz_timeline_write(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	free(path);
}

static void fuzz_timeline_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static char fuzz_timeline_dir[64];

static void fuzz_timeline_cleanup(void)
{
	static const char *const names[] = {"timeline.jsonl", "audit.jsonl"};
	for (size_t i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%s", fuzz_timeline_dir, names[i]);
		unlink(path);
		free(path);
	}
	rmdir(fuzz_timeline_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir = fuzz_timeline_dir;
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(fuzz_timeline_dir), "/tmp/sitrep-fuzz-timeline.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(fuzz_timeline_cleanup);
	}
	const uint8_t *nul = memchr(data, 0, size);
	size_t first = nul != NULL ? (size_t)(nul - data) : size / 2;
	fuzz_timeline_write(dir, "timeline.jsonl", data, first);
	size_t rest = size - first - (nul != NULL ? 1 : 0);
	fuzz_timeline_write(dir, "audit.jsonl", data + size - rest, rest);

	struct app app;
	memset(&app, 0, sizeof(app));
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 0);
	size_t n = timeline_count(tl);
	for (size_t i = 0; i < n; i++) {
		const struct timeline_entry *e = timeline_entry(tl, i);
		if (i > 0 && e->time_ms < timeline_entry(tl, i - 1)->time_ms)
			abort();
		fuzz_timeline_inert(e->type);
		fuzz_timeline_inert(e->level);
		fuzz_timeline_inert(e->pane);
		fuzz_timeline_inert(e->who);
		fuzz_timeline_inert(e->subject);
		fuzz_timeline_inert(e->text);
		char *line = timeline_entry_text(e);
		fuzz_timeline_inert(line);
		free(line);
	}
	char *md = timeline_markdown(tl, 0);
	size_t rows = 0;
	for (const char *p = md; (p = strstr(p, "\n| ")) != NULL; p++)
		rows++;
	/* the header row and its rule are two of them */
	if (rows != n + 1)
		abort();
	free(md);
	struct timeline_data *d = timeline_data_copy(tl, 50);
	timeline_data_free(d);
	timeline_close(tl);
	event_bus_clear(&app.bus);
	return 0;
}
