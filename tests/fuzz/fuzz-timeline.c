/* fuzz-timeline: the state files read back at start. timeline.jsonl and
 * audit.jsonl live in the state dir and may have been edited or damaged; the
 * store reads both, sorts them, drops repeats and renders Markdown. The input
 * is split at its first NUL byte (or in the middle): the first part becomes
 * timeline.jsonl, the rest audit.jsonl. Invariants: entries come out in time
 * order, every field is inert text (no control byte), and the Markdown has one
 * table row per entry, of six cells split only by unescaped pipes, each cell
 * empty, plain words, or one code span whose fence no run inside can close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "sitrep/core/app.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

static void fuzz_timeline_write(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	/* whatever the umask: a group-writable file would be refused unread */
	chmod(path, 0600);
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

static size_t fuzz_timeline_run(const char *p, const char *end)
{
	size_t n = 0;
	while (p + n < end && p[n] == '`')
		n++;
	return n;
}

/* One cell's content (between the " | " of its row): nothing, plain words
 * (timeline_md_plain's bytes), or one code span that nothing inside closes. */
static void fuzz_timeline_md_cell(const char *c, const char *end)
{
	if (c == end)
		return;
	if (*c != '`') {
		for (const unsigned char *p = (const unsigned char *)c; p < (const unsigned char *)end; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == ' ' || *p == '-' || *p == ',' || *p >= 0x80))
				abort();
		return;
	}
	size_t fence = fuzz_timeline_run(c, end);
	if ((size_t)(end - c) < 2 * fence + 1)
		abort();
	const char *in = c + fence, *in_end = end - fence;
	/* the closing fence is exactly as long, and the content neither starts
	 * nor ends with a backtick (a pad space keeps it from joining a fence) */
	if (fuzz_timeline_run(in_end, end) != fence || in_end[-1] == '`' || in[0] == '`')
		abort();
	for (const char *p = in; p < in_end;) {
		size_t r = fuzz_timeline_run(p, in_end);
		if (r >= fence)
			abort();
		if (*p == '|' && p[-1] != '\\')
			abort();
		if ((unsigned char)*p < 0x20)
			abort();
		p += r > 0 ? r : 1;
	}
}

/* A row: "| time | who | what | pane | result | detail |", cells split at
 * pipes no backslash escapes. */
static void fuzz_timeline_md_row(const char *row, const char *end)
{
	if (end - row < 4 || memcmp(row, "| ", 2) != 0 || memcmp(end - 2, " |", 2) != 0)
		abort();
	const char *cells[8];
	size_t n = 0;
	for (const char *p = row; p < end; p++)
		if (*p == '|' && (p == row || p[-1] != '\\')) {
			if (n == 8)
				abort();
			cells[n++] = p;
		}
	if (n != 7)
		abort();
	for (size_t i = 1; i + 1 < n; i++) {
		/* " | " on both sides: the content is between the spaces */
		if (cells[i][1] != ' ' || cells[i + 1][-1] != ' ')
			abort();
		fuzz_timeline_md_cell(cells[i] + 2, cells[i + 1] - 1);
	}
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
	/* the summary's paragraphs come first; the table's rows after its header
	 * and rule are inert whatever the entries say */
	const char *p = strstr(md, "\n| ");
	if (p == NULL)
		abort();
	p++;
	for (int skip = 0; skip < 2 && p != NULL; skip++)
		p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL;
	for (size_t i = 0; p != NULL && *p != '\0'; i++) {
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			abort();
		fuzz_timeline_md_row(p, nl);
		p = nl + 1;
	}
	free(md);
	struct timeline_data *d = timeline_data_copy(tl, 50);
	timeline_data_free(d);
	timeline_close(tl);
	event_bus_clear(&app.bus);
	return 0;
}
