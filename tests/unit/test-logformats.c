/* test-logformats: every line of the format corpus in tests/data/logs/formats
 * gets the severity its .sev file names (E, W, I, line for line), both with
 * the format detected per line and with the pane's patterns equal to the
 * defaults (no literal prefilter: the two paths must agree). Every .log file
 * in the directory is checked, so a new format is one new pair of files. A
 * file is read as one source: what its W3C "#Fields:" directive said holds
 * for the lines after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

#define FORMATS_DIR TEST_DATA "/logs/formats"

static enum log_sev test_logformats_expected(char c)
{
	return c == 'E' ? LOG_SEV_ERROR : c == 'W' ? LOG_SEV_WARN : LOG_SEV_INFO;
}

/* Checks one NAME.log against NAME.sev; returns the lines checked and adds
 * the mismatches (each printed) to *bad. */
static size_t test_logformats_file(struct logclass *fast, struct logclass *slow, const char *name,
                                   size_t *bad)
{
	char path[512];
	size_t llen, slen;
	snprintf(path, sizeof(path), "%s/%s.log", FORMATS_DIR, name);
	char *log = util_read_file(path, 1 << 20, &llen);
	snprintf(path, sizeof(path), "%s/%s.sev", FORMATS_DIR, name);
	char *sev = util_read_file(path, 1 << 20, &slen);
	assert_non_null(log);
	assert_non_null(sev);
	size_t n = 0;
	char *lp = log, *sp = sev;
	struct logw3c wa = {0}, wb = {0}; /* each file a source of its own */
	while (*lp != '\0') {
		char *le = strchr(lp, '\n');
		char *se = strchr(sp, '\n');
		if (le == NULL || se == NULL || se - sp != 1 || strchr("EWI", *sp) == NULL) {
			fprintf(stderr, "%s: line %zu: no E/W/I for it in the .sev file\n", name, n + 1);
			fail();
		}
		size_t len = (size_t)(le - lp);
		enum log_sev want = test_logformats_expected(*sp);
		enum log_sev a = logclass_classify_in(fast, LOG_FORMAT_AUTO, &wa, lp, len),
		             b = logclass_classify_in(slow, LOG_FORMAT_AUTO, &wb, lp, len);
		if (a != want || b != want) {
			fprintf(stderr, "%s:%zu: want %s, got %s (without prefilter %s): %.*s\n", name, n + 1,
			        log_sev_name(want), log_sev_name(a), log_sev_name(b), (int)len, lp);
			(*bad)++;
		}
		n++;
		lp = le + 1;
		sp = se + 1;
	}
	assert_true(*sp == '\0'); /* as many severities as lines */
	free(log);
	free(sev);
	return n;
}

static void test_corpus(void **state)
{
	(void)state;
	const char *defe = logclass_default_error, *defw = logclass_default_warn;
	char err[200];
	struct logclass *fast = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logclass *slow = logclass_new(&defe, 1, &defw, 1, err, sizeof(err));
	assert_non_null(fast);
	assert_non_null(slow);
	DIR *d = opendir(FORMATS_DIR);
	assert_non_null(d);
	size_t files = 0, lines = 0, bad = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		size_t nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 4, ".log") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(nl - 4), de->d_name);
		lines += test_logformats_file(fast, slow, name, &bad);
		files++;
	}
	closedir(d);
	fprintf(stderr, "# %zu files, %zu lines, %zu wrong\n", files, lines, bad);
	assert_true(files >= 20);
	assert_int_equal(bad, 0);
	logclass_free(fast);
	logclass_free(slow);
}

/* A "format" names one reader: its lines get its level, other lines the
 * keywords; "keywords" never reads a level. */
static void test_named_format(void **state)
{
	(void)state;
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	const char *glog = "E1207 04:10:04.551203 4412 reflector.go:138] list failed";
	const char *info = "level=info msg=\"done\" error_count=0";
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_GLOG, glog, strlen(glog)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, glog, strlen(glog)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_LOGFMT, info, strlen(info)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, info, strlen(info)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_SYSLOG, info, strlen(info)), LOG_SEV_INFO);
	const char *kw = "level=info msg=\"done\" error";
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, kw, strlen(kw)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_AUTO, kw, strlen(kw)), LOG_SEV_INFO);
	for (int f = 0; f < LOG_FORMAT_COUNT; f++)
		assert_int_equal(logformat_by_name(logformat_name((enum log_format)f)), f);
	assert_int_equal(logformat_by_name("nope"), -1);
	logclass_free(lc);
}

/* A W3C record is read only under its source's "#Fields:" directive, with
 * as many fields as it names: the status column is where it says, and a
 * line alone (or of another shape) is the patterns'. */
static void test_w3c_directive(void **state)
{
	(void)state;
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	const char *rec = "2026-12-07 04:10:06 10.0.0.4 GET /a - 443 503 0 0 120";
	const char *fields1 = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port sc-status "
	                      "sc-substatus sc-win32-status time-taken";
	const char *fields2 = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port time-taken "
	                      "sc-substatus sc-win32-status sc-status";
	const char *ok = "2026-12-07 04:10:07 10.0.0.4 GET /error - 443 200 0 0 120";
	const char *other = "2026-12-07 04:10:07 worker 3 restarted after error";
	struct logw3c w = {0};
	/* no directive yet: the patterns, and a bare 503 says nothing to them */
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec, strlen(rec)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, NULL, rec, strlen(rec)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, fields1, strlen(fields1)),
	                 LOG_SEV_INFO);
	assert_int_equal(w.cols, 11);
	assert_int_equal(w.status, 8);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec, strlen(rec)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_W3C, &w, rec, strlen(rec)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_KEYWORDS, &w, rec, strlen(rec)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, ok, strlen(ok)), LOG_SEV_INFO);
	/* another shape under the directive: not a record */
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, other, strlen(other)), LOG_SEV_ERROR);
	/* a new directive moves the column: 120 is now the status, 503 not */
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, fields2, strlen(fields2)),
	                 LOG_SEV_INFO);
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec, strlen(rec)), LOG_SEV_INFO);
	const char *rec2 = "2026-12-07 04:10:06 10.0.0.4 GET /a - 443 120 0 0 404";
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec2, strlen(rec2)), LOG_SEV_WARN);
	/* a directive without sc-status: records are the patterns' */
	const char *fields3 = "#Fields: date time cs-uri-stem";
	const char *rec3 = "2026-12-07 04:10:06 /error";
	(void)logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, fields3, strlen(fields3));
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec3, strlen(rec3)), LOG_SEV_INFO);
	const char *rec4 = "2026-12-07 04:10:06 /x 500";
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rec4, strlen(rec4)), LOG_SEV_INFO);
	/* a comment that is no W3C directive is a line as any other */
	const char *hash = "# error: config reload failed";
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, hash, strlen(hash)), LOG_SEV_ERROR);
	/* quoted fields with spaces count as one */
	const char *fq = "#Fields: date time cs(User-Agent) sc-status";
	const char *rq = "2026-12-07 04:10:06 \"Mozilla/5.0 (X11) \"\"ok\"\"\" 500";
	(void)logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, fq, strlen(fq));
	assert_int_equal(logclass_classify_in(lc, LOG_FORMAT_AUTO, &w, rq, strlen(rq)), LOG_SEV_ERROR);
	logclass_free(lc);
}

/* The line-shaped formats named by "format": their own lines get their
 * level, other lines the patterns. */
static void test_named_new_formats(void **state)
{
	(void)state;
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	const char *alb =
	    "h2 2026-12-07T04:10:06.001002Z app/lb/1 10.0.0.9:5120 10.0.0.2:80 0.000 0.250 0.000 "
	    "200 502 200 512 \"GET https://x/ HTTP/2.0\" \"-\"";
	const char *hap = "Dec  7 04:10:07 lb1 haproxy[4412]: 10.0.0.6:40112 [07/Dec/2026:04:10:07.220] web~ "
	                  "app/srv1 0/0/1/3/4 404 310 - - ---- 1/1/0/0/0 0/0 \"GET /error HTTP/1.1\"";
	const char *low = "2026-12-07 04:10:07 info error_count=0";
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_ELB, alb, strlen(alb)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, alb, strlen(alb)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_HAPROXY, hap, strlen(hap)), LOG_SEV_WARN);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, hap, strlen(hap)), LOG_SEV_ERROR);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_LEVELED, low, strlen(low)), LOG_SEV_INFO);
	assert_int_equal(logclass_classify_format(lc, LOG_FORMAT_KEYWORDS, low, strlen(low)), LOG_SEV_INFO);
	/* one byte off the shape: not the format, the patterns judge */
	const char *nohap =
	    "Dec  7 04:10:07 lb1 haproxy[44x]: 10.0.0.6:40112 [07/Dec/2026:04:10:07.220] web~ "
	    "app/srv1 0/0/1/3/4 503 310 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"";
	assert_int_equal(logclass_classify(lc, nohap, strlen(nohap)), LOG_SEV_INFO);
	logclass_free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_named_format),
	    cmocka_unit_test(test_w3c_directive),
	    cmocka_unit_test(test_named_new_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
