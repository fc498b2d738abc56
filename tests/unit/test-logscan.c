/* test-logscan: the backlog scan and the literal check in front of PCRE2.
 * The literal check is compared with PCRE2 alone (the same default patterns
 * given explicitly, which turns the check off) over many generated lines, and
 * a file scanned in small chunks must give the store the same counts, groups
 * and kept lines as the same file ingested line by line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/kinds/logs.h"

static const char *const test_words[] = {
    "error",
    "ERROR",
    "errors",
    "terror",
    "erro",
    "emerg",
    "fatal",
    "panic",
    "Panic!",
    "crit",
    "critical",
    "traceback",
    "segfault",
    "segmentation fault",
    "core dumped",
    "oom-killer",
    "out of memory",
    "NullPointerException",
    "exceptions",
    "[alert]",
    "[ALERT]",
    "HTTP/1.1\" 502 ",
    "HTTP/2\" 200 ",
    "warn",
    "WARNING",
    "warns",
    "forewarn",
    "\"level\"",
    "é",
    "\xff",
    "\r",
    "x",
    "user",
    "server",
    "-",
    " 5",
};

static unsigned test_rand(void)
{
	static unsigned long long s = 0x9E3779B97F4A7C15ULL;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (unsigned)(s >> 20);
}

static size_t test_line(char *buf, size_t cap)
{
	size_t n = 0;
	unsigned words = 1 + test_rand() % 12;
	for (unsigned i = 0; i < words; i++) {
		const char *w = test_words[test_rand() % (sizeof(test_words) / sizeof(*test_words))];
		size_t l = strlen(w);
		if (n + l + 2 >= cap)
			break;
		memcpy(buf + n, w, l);
		n += l;
		if (test_rand() % 3)
			buf[n++] = ' ';
	}
	return n;
}

static void test_prefilter_agrees(void **state)
{
	(void)state;
	char err[200];
	struct logclass *fast = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	const char *e[] = {logclass_default_error}, *w[] = {logclass_default_warn};
	struct logclass *slow = logclass_new(e, 1, w, 1, err, sizeof(err));
	assert_non_null(fast);
	assert_non_null(slow);
	char line[400];
	for (int i = 0; i < 200000; i++) {
		size_t n = test_line(line, sizeof(line));
		if (logclass_classify(fast, line, n) != logclass_classify(slow, line, n)) {
			fprintf(stderr, "differs: %.*s\n", (int)n, line);
			fail();
		}
	}
	logclass_free(fast);
	logclass_free(slow);
}

static void test_scan_matches_ingest(void **state)
{
	(void)state;
	char path[] = "/tmp/test-logscan.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	FILE *f = fdopen(dup(fd), "w");
	char line[400];
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logstore *seq = logstore_new(100, 20, 200);
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(line, sizeof(line), "2024-05-01T10:%02d:%02dZ ", (i / 60) % 60, i % 60);
		n += (int)test_line(line + n, sizeof(line) - (size_t)n);
		fwrite(line, 1, (size_t)n, f);
		fputc('\n', f);
		size_t len = (size_t)n;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		logstore_ingest(seq, lc, 0, 0, -1, line, len, false);
	}
	fprintf(f, "an unfinished error");
	fclose(f);
	off_t size = lseek(fd, 0, SEEK_END);

	struct logscan_params prm = {
	    .lc = lc, .max_lines = 100, .max_groups = 20, .max_line_bytes = 200, .chunk_bytes = 4096};
	struct logbatch **parts = calloc((size_t)size / 4096 + 2, sizeof(*parts));
	int64_t end = 0;
	size_t n = logscan_run(&prm, fd, 0, size, parts, &end);
	struct logstore *par = logstore_new(100, 20, 200);
	for (size_t i = 0; i < n; i++) {
		logstore_merge(par, 0, parts[i]);
		logbatch_clear(parts[i]);
		free(parts[i]);
	}
	free(parts);
	assert_int_equal(end, size - (off_t)strlen("an unfinished error"));

	const struct logstore_stats *a = logstore_stats(seq), *b = logstore_stats(par);
	assert_int_equal(a->lines, b->lines);
	assert_int_equal(a->errors, b->errors);
	assert_int_equal(a->warnings, b->warnings);
	assert_int_equal(a->lines_evicted, b->lines_evicted);
	assert_int_equal(logstore_nlines(seq), logstore_nlines(par));
	for (size_t i = 0; i < logstore_nlines(seq); i++) {
		assert_string_equal(logstore_line(seq, i)->text, logstore_line(par, i)->text);
		assert_int_equal(logstore_line(seq, i)->sev, logstore_line(par, i)->sev);
		assert_int_equal(logstore_line(seq, i)->time_ms, logstore_line(par, i)->time_ms);
	}
	/* Every group of the sequential store is in the merged one with its count
	 * (eviction order may differ at the cap, so only surviving groups). */
	size_t same = 0;
	for (size_t i = 0; i < logstore_ngroups(par); i++) {
		const struct log_group *g = logstore_group(par, i);
		const struct log_group *h = logstore_group_by_hash(seq, g->hash);
		if (h != NULL && h->count == g->count)
			same++;
	}
	assert_true(same > 0);
	assert_int_equal(logstore_errors_per_minute(seq, 1714557600000LL + 3600000),
	                 logstore_errors_per_minute(par, 1714557600000LL + 3600000));
	logstore_unref(seq);
	logstore_unref(par);
	logclass_free(lc);
	close(fd);
}

/* A W3C log read as a backlog in small chunks: every chunk reads its
 * records by the file's "#Fields:" directive (it is only in the first), as
 * the line-by-line path does, and the lines followed after the scan too. */
static void test_w3c_chunks(void **state)
{
	(void)state;
	char path[] = "/tmp/test-logscan-w3c.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	FILE *f = fdopen(dup(fd), "w");
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logstore *seq = logstore_new(100, 20, 200);
	unsigned src = logstore_add_source(seq, "iis");
	static const char *const head[] = {
	    "#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0",
	    "#Date: 2026-12-07 04:00:00",
	    "#Fields: date time s-ip cs-method cs-uri-stem sc-status sc-substatus time-taken"};
	for (size_t i = 0; i < 4; i++) {
		fprintf(f, "%s\n", head[i]);
		logstore_ingest(seq, lc, src, 0, -1, head[i], strlen(head[i]), false);
	}
	for (int i = 0; i < 3000; i++) {
		char line[200];
		int status = i % 10 == 3 ? 503 : i % 10 == 7 ? 404 : 200;
		int n = snprintf(line, sizeof(line), "2026-12-07 04:%02d:%02d 10.0.0.4 GET /page/%d %d 0 %d",
		                 (i / 60) % 60, i % 60, i, status, 500 + i % 7);
		fprintf(f, "%s\n", line);
		logstore_ingest(seq, lc, src, 0, -1, line, (size_t)n, false);
	}
	fclose(f);
	logstore_end_events(seq);
	off_t size = lseek(fd, 0, SEEK_END);
	struct logscan_params prm = {
	    .lc = lc, .max_lines = 100, .max_groups = 20, .max_line_bytes = 200, .chunk_bytes = 4096};
	struct logbatch **parts = calloc((size_t)size / 4096 + 2, sizeof(*parts));
	int64_t end = 0;
	size_t n = logscan_run(&prm, fd, 0, size, parts, &end);
	assert_true(n > 10);
	struct logstore *par = logstore_new(100, 20, 200);
	unsigned psrc = logstore_add_source(par, "iis");
	for (size_t i = 0; i < n; i++) {
		logstore_merge(par, psrc, parts[i]);
		logbatch_clear(parts[i]);
		free(parts[i]);
	}
	free(parts);
	assert_int_equal(logstore_stats(seq)->errors, 300);
	assert_int_equal(logstore_stats(seq)->warnings, 300);
	assert_int_equal(logstore_stats(par)->errors, 300);
	assert_int_equal(logstore_stats(par)->warnings, 300);
	/* the tail after the scan: the directive the scan read still holds */
	const char *more = "2026-12-07 05:00:00 10.0.0.4 GET /x 500 0 12";
	logstore_ingest(par, lc, psrc, 0, -1, more, strlen(more), false);
	logstore_end_events(par);
	assert_int_equal(logstore_stats(par)->errors, 301);
	logstore_unref(seq);
	logstore_unref(par);
	logclass_free(lc);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefilter_agrees),
	    cmocka_unit_test(test_scan_matches_ingest),
	    cmocka_unit_test(test_w3c_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
