/* test-logevents: multi-line errors are one event. Every file of the trace
 * corpus (tests/data/logs/traces: NAME.log and the groups it must make,
 * NAME.groups) is read line by line into a store and scanned as a backlog in
 * chunks of several sizes (64 bytes cuts inside every trace); each way must
 * give the .groups file's totals and groups (severity, count, name, root
 * cause), and the two ways the same groups. Then: an event's lines carry its
 * time, a trace that never ends is counted once at its bound, an event with
 * no next line is counted after LOGEVENT_IDLE_MS, and the event's text is
 * sanitized line by line. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

#define TRACES_DIR TEST_DATA "/logs/traces"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct logclass *test_lc(void)
{
	char err[100];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	assert_non_null(lc);
	return lc;
}

/* The file's lines into a new store, one by one. */
static struct logstore *test_by_line(struct logclass *lc, const char *text)
{
	struct logstore *st = logstore_new(10000, 1000, 8192);
	unsigned src = logstore_add_source(st, "f");
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		logstore_ingest(st, lc, src, 0, -1, p, len, false);
		p += len + (nl != NULL);
	}
	logstore_end_events(st);
	return st;
}

/* The file scanned as a backlog in chunks of chunk bytes, merged into a new store. */
static struct logstore *test_by_scan(struct logclass *lc, const char *path, size_t chunk)
{
	struct logstore *st = logstore_new(10000, 1000, 8192);
	unsigned src = logstore_add_source(st, "f");
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	off_t size = lseek(fd, 0, SEEK_END);
	struct logscan_params prm = {
	    .lc = lc, .max_lines = 10000, .max_groups = 1000, .max_line_bytes = 8192, .chunk_bytes = chunk};
	size_t cap = (size_t)size / (chunk ? chunk : 1) + 4;
	struct logbatch **parts = calloc(cap, sizeof(*parts));
	int64_t end;
	size_t n = logscan_run(&prm, fd, 0, size, parts, &end);
	assert_int_equal(end, size);
	for (size_t i = 0; i < n; i++) {
		logstore_merge(st, src, parts[i]);
		logbatch_clear(parts[i]);
		free(parts[i]);
	}
	free(parts);
	close(fd);
	return st;
}

/* Compares a store with NAME.groups; returns the mismatches (printed). */
static int test_expect(struct logstore *st, const char *name, const char *how, const char *groups)
{
	int bad = 0;
	unsigned long long lines, errors, warnings;
	assert_int_equal(sscanf(groups, "# lines %llu errors %llu warnings %llu", &lines, &errors, &warnings),
	                 3);
	const struct logstore_stats *s = logstore_stats(st);
	if (s->lines != lines || s->errors != errors || s->warnings != warnings) {
		fprintf(stderr, "%s (%s): lines %llu errors %llu warnings %llu, want %llu %llu %llu\n", name,
		        how, (unsigned long long)s->lines, (unsigned long long)s->errors,
		        (unsigned long long)s->warnings, lines, errors, warnings);
		bad++;
	}
	size_t want = 0;
	for (const char *p = strchr(groups, '\n') + 1; *p != '\0'; p = strchr(p, '\n') + 1) {
		char sev, sample[1024], cause[1024];
		unsigned long long count;
		if (sscanf(p, "%c\t%llu\t%1023[^\t]\t%1023[^\n]", &sev, &count, sample, cause) != 4) {
			fprintf(stderr, "%s: bad line in .groups: %.40s\n", name, p);
			fail();
		}
		want++;
		const struct log_group *g = NULL;
		for (size_t i = 0; i < logstore_ngroups(st); i++)
			if (strcmp(logstore_group(st, i)->sample, sample) == 0)
				g = logstore_group(st, i);
		int wsev = sev == 'E' ? LOG_SEV_ERROR : LOG_SEV_WARN;
		const char *gc = g != NULL && g->cause != NULL ? g->cause : "-";
		if (g == NULL || g->count != count || g->sev != wsev || strcmp(gc, cause) != 0) {
			fprintf(stderr, "%s (%s): want %c %llu [%s] cause [%s], got %s %llu cause [%s]\n",
			        name, how, sev, count, sample, cause,
			        g != NULL ? log_sev_name(g->sev) : "no group",
			        g != NULL ? (unsigned long long)g->count : 0, gc);
			bad++;
		}
	}
	if (logstore_ngroups(st) != want) {
		fprintf(stderr, "%s (%s): %zu groups, want %zu:\n", name, how, logstore_ngroups(st), want);
		for (size_t i = 0; i < logstore_ngroups(st); i++)
			fprintf(stderr, "  %s %llu %s\n", log_sev_name(logstore_group(st, i)->sev),
			        (unsigned long long)logstore_group(st, i)->count,
			        logstore_group(st, i)->sample);
		bad++;
	}
	return bad;
}

/* The same groups (hash, count, severity, sample, event text) in both stores. */
static int test_same(struct logstore *a, struct logstore *b, const char *name, size_t chunk)
{
	int bad = 0;
	if (logstore_ngroups(a) != logstore_ngroups(b))
		bad++;
	for (size_t i = 0; i < logstore_ngroups(a); i++) {
		const struct log_group *x = logstore_group(a, i);
		const struct log_group *y = logstore_group_by_hash(b, x->hash);
		if (y == NULL || y->count != x->count || y->sev != x->sev ||
		    strcmp(y->sample, x->sample) != 0 || !util_str_same(x->event, y->event)) {
			fprintf(stderr, "%s: chunks of %zu: group %s differs from the line-by-line one\n",
			        name, chunk, x->sample);
			bad++;
		}
	}
	return bad;
}

static void test_corpus(void **state)
{
	(void)state;
	struct logclass *lc = test_lc();
	DIR *d = opendir(TRACES_DIR);
	assert_non_null(d);
	int files = 0, bad = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".log") != 0)
			continue;
		char name[256], path[512], gpath[512];
		snprintf(name, sizeof(name), "%.*s", (int)(nl - 4), de->d_name);
		snprintf(path, sizeof(path), "%s/%s.log", TRACES_DIR, name);
		snprintf(gpath, sizeof(gpath), "%s/%s.groups", TRACES_DIR, name);
		size_t len, glen;
		char *text = util_read_file(path, 1 << 20, &len);
		char *groups = util_read_file(gpath, 1 << 20, &glen);
		assert_non_null(text);
		assert_non_null(groups);
		struct logstore *line = test_by_line(lc, text);
		bad += test_expect(line, name, "line by line", groups);
		static const size_t chunks[] = {0, 64, 200, 1024};
		for (size_t k = 0; k < ARRAY_LEN(chunks); k++) {
			struct logstore *scan = test_by_scan(lc, path, chunks[k]);
			char how[64];
			snprintf(how, sizeof(how), "scan, chunks of %zu", chunks[k]);
			bad += test_expect(scan, name, how, groups);
			bad += test_same(line, scan, name, chunks[k]);
			logstore_unref(scan);
		}
		logstore_unref(line);
		free(text);
		free(groups);
		files++;
	}
	closedir(d);
	fprintf(stderr, "# %d trace files, %d mismatches\n", files, bad);
	assert_true(files >= 6);
	assert_int_equal(bad, 0);
	logclass_free(lc);
}

/* Every line of an event carries the event's time (its head's), on both
 * paths, whenever the lines are read; the naming line takes the event's
 * severity in the raw lines; the detail keeps every line and the root cause. */
static void test_event_time_and_text(void **state)
{
	(void)state;
	struct logclass *lc = test_lc();
	char path[512];
	snprintf(path, sizeof(path), "%s/java.log", TRACES_DIR);
	size_t len;
	char *text = util_read_file(path, 1 << 20, &len);
	struct logstore *stores[2] = {test_by_line(lc, text), test_by_scan(lc, path, 64)};
	for (int k = 0; k < 2; k++) {
		struct logstore *st = stores[k];
		int64_t last = 0;
		size_t red = 0;
		for (size_t i = 0; i < logstore_nlines(st); i++) {
			const struct log_line *l = logstore_line(st, i);
			/* every time is one written in the file (2025), none the
			 * reading's, but for the uncaught trace: no time is written
			 * there, it is when it came */
			if (strstr(l->text, "Exception in thread") != NULL)
				break;
			assert_true(l->time_ms < 1767225600000LL);
			if (l->text[0] == '\t' || strncmp(l->text, "Caused by", 9) == 0)
				assert_int_equal(l->time_ms, last);
			last = l->time_ms;
			if (strncmp(l->text, "java.lang.IllegalStateException", 31) == 0) {
				assert_int_equal(l->sev, LOG_SEV_ERROR);
				red++;
			}
		}
		assert_int_equal(red, 2);
		const struct log_group *g = NULL;
		for (size_t i = 0; i < logstore_ngroups(st); i++)
			if (logstore_group(st, i)->count == 2)
				g = logstore_group(st, i);
		assert_non_null(g);
		assert_non_null(g->event);
		assert_non_null(strstr(g->event, "ERROR [http-nio-8080-exec-1]"));
		assert_non_null(strstr(g->event, "\n at com.example.shop.Cart.total(Cart.java:42)\n"));
		assert_non_null(strstr(g->event, "\n ... 3 more"));
		assert_string_equal(g->cause, "java.sql.SQLException: connection reset by peer");
	}
	logstore_unref(stores[0]);
	logstore_unref(stores[1]);
	free(text);
	logclass_free(lc);
}

/* A trace that never ends is counted once, at its bound, and holds no more
 * than the bound; its further frames are absorbed, not counted again. An
 * event whose head is not an error by itself (a Ruby exception) counts once
 * no line came for LOGEVENT_IDLE_MS. */
static void test_bounds_and_idle(void **state)
{
	(void)state;
	struct logclass *lc = test_lc();
	struct logstore *st = logstore_new(1000, 100, 1024);
	unsigned src = logstore_add_source(st, "app");
	const char *head = "app/models/cart.rb:12:in `/': divided by 0 (ZeroDivisionError)";
	const char *frame = "\tfrom app/models/cart.rb:12:in `average'";
	logstore_ingest(st, lc, src, 0, -1, head, strlen(head), false);
	for (int i = 0; i < 5 * LOGEVENT_MAX_LINES; i++)
		logstore_ingest(st, lc, src, 0, -1, frame, strlen(frame), false);
	assert_int_equal(logstore_stats(st)->errors, 1);
	assert_int_equal(logstore_stats(st)->lines, 1 + 5 * LOGEVENT_MAX_LINES);
	const struct log_group *g = logstore_group(st, 0);
	assert_non_null(g->event);
	size_t lines = 1;
	for (const char *p = g->event; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_true(lines <= LOGEVENT_MAX_LINES);
	assert_true(strlen(g->event) <= LOGEVENT_TEXT_MAX + 16);
	logstore_end_events(st);
	assert_int_equal(logstore_stats(st)->errors, 1);

	/* idle: counted only once LOGEVENT_IDLE_MS passed without a line */
	logstore_ingest(st, lc, src, 0, -1, "2025-06-01 10:00:00 INFO next", 29, false);
	logstore_ingest(st, lc, src, 0, -1, head, strlen(head), false);
	logstore_ingest(st, lc, src, 0, -1, frame, strlen(frame), false);
	logstore_flush_traces(st, now_ms());
	assert_int_equal(logstore_stats(st)->errors, 1);
	logstore_flush_traces(st, now_ms() + LOGEVENT_IDLE_MS + 1000);
	assert_int_equal(logstore_stats(st)->errors, 2);
	assert_int_equal(logstore_ngroups(st), 1);
	assert_int_equal(logstore_group(st, 0)->count, 2);
	logstore_flush_traces(st, now_ms() + 10 * LOGEVENT_IDLE_MS);
	assert_int_equal(logstore_stats(st)->errors, 2);
	/* a frame that comes after the flush is absorbed, not a new event */
	logstore_ingest(st, lc, src, 0, -1, frame, strlen(frame), false);
	logstore_end_events(st);
	assert_int_equal(logstore_stats(st)->errors, 2);
	logstore_unref(st);
	logclass_free(lc);
}

/* The event's text is outside text: each line sanitized (an escape sequence
 * in a frame, invalid UTF-8 in the message), each line cut at the store's
 * limit, the whole at LOGEVENT_TEXT_MAX. */
static void test_event_sanitized(void **state)
{
	(void)state;
	struct logclass *lc = test_lc();
	struct logstore *st = logstore_new(1000, 100, 200);
	unsigned src = logstore_add_source(st, "app");
	const char *lines[] = {"java.lang.IllegalStateException: bad \xff byte",
	                       "\tat evil.\x1b[2J.Clear(X.java:1)", "\tat x.Y.z(Y.java:2)\x1b]0;title\x07"};
	for (size_t i = 0; i < 3; i++)
		logstore_ingest(st, lc, src, 0, -1, lines[i], strlen(lines[i]), false);
	char big[4000];
	memset(big, 'a', sizeof(big));
	big[0] = '\t';
	for (int i = 0; i < 60; i++)
		logstore_ingest(st, lc, src, 0, -1, big, sizeof(big), false);
	logstore_end_events(st);
	const struct log_group *g = logstore_group(st, 0);
	assert_non_null(g->event);
	assert_null(strchr(g->event, '\x1b'));
	assert_null(strchr(g->event, '\x07'));
	assert_null(strchr(g->event, '\xff'));
	assert_null(strchr(g->event, '\r'));
	assert_true(strlen(g->event) <= LOGEVENT_TEXT_MAX + 16);
	for (const char *p = g->event; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		assert_true(n <= 200 + 8);
		p += n + (p[n] == '\n');
	}
	logstore_unref(st);
	logclass_free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_event_time_and_text),
	    cmocka_unit_test(test_bounds_and_idle),
	    cmocka_unit_test(test_event_sanitized),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
