/* test-logformats: every line of the format corpus in tests/data/logs/formats
 * gets the severity its .sev file names (E, W, I, line for line), both with
 * the format detected per line and with the pane's patterns equal to the
 * defaults (no literal prefilter: the two paths must agree). Every .log file
 * in the directory is checked, so a new format is one new pair of files. */
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
	while (*lp != '\0') {
		char *le = strchr(lp, '\n');
		char *se = strchr(sp, '\n');
		if (le == NULL || se == NULL || se - sp != 1 || strchr("EWI", *sp) == NULL) {
			fprintf(stderr, "%s: line %zu: no E/W/I for it in the .sev file\n", name, n + 1);
			fail();
		}
		size_t len = (size_t)(le - lp);
		enum log_sev want = test_logformats_expected(*sp);
		enum log_sev a = logclass_classify(fast, lp, len), b = logclass_classify(slow, lp, len);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_named_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
