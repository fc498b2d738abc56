/* test-logclass: severity by default and custom patterns, and by the level
 * field of JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

static enum log_sev classify(struct logclass *lc, const char *s)
{
	return logclass_classify(lc, s, strlen(s));
}

static void test_defaults(void **state)
{
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	assert_non_null(lc);
	assert_int_equal(classify(lc, "2024/05/01 10:00:00 [error] 12#12: *1 open() failed"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "FATAL: database is gone"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "panic: runtime error: index out of range"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "java.lang.NullPointerException at Foo.bar"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "Traceback (most recent call last):"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "kernel: app[123]: segfault at 0 ip 000"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "CRITICAL disk full"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "2024/05/01 10:00:00 [warn] 1#1: conflicting server name"),
	                 LOG_SEV_WARN);
	assert_int_equal(classify(lc, "Warning: deprecated option"), LOG_SEV_WARN);
	assert_int_equal(classify(lc, "GET / 200 ok"), LOG_SEV_INFO);
	assert_int_equal(classify(lc, "error_log set to /tmp/x"), LOG_SEV_INFO); /* not a word */
	assert_int_equal(classify(lc, "terror in the night"), LOG_SEV_INFO);
	assert_int_equal(classify(lc, ""), LOG_SEV_INFO);
	/* A warning first and an error later on the line: the error wins. */
	assert_int_equal(classify(lc, "warning: retry failed with error 5"), LOG_SEV_ERROR);
	logclass_free(lc);
}

static void test_access_log_5xx(void **state)
{
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	assert_int_equal(classify(lc, "127.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET /x HTTP/1.1\" "
	                              "502 157 \"-\" \"curl/7.88.1\""),
	                 LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "127.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET /x HTTP/1.1\" "
	                              "404 157 \"-\" \"curl/7.88.1\""),
	                 LOG_SEV_WARN); /* a 4xx is the client's failure: a warning */
	assert_int_equal(classify(lc, "127.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET /502 "
	                              "HTTP/1.1\" 200 502 \"-\" \"-\""),
	                 LOG_SEV_INFO);
	logclass_free(lc);
}

static void test_custom(void **state)
{
	char err[200];
	const char *e[] = {"boom", "kaput\\d+"};
	const char *w[] = {"slow"};
	struct logclass *lc = logclass_new(e, 2, w, 1, err, sizeof(err));
	assert_non_null(lc);
	assert_int_equal(classify(lc, "it went BOOM"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "kaput42"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "slow query"), LOG_SEV_WARN);
	assert_int_equal(classify(lc, "an error"), LOG_SEV_INFO); /* defaults replaced */
	/* Capture groups inside user patterns do not confuse the warn group. */
	const char *e2[] = {"(a)(b)(c)"};
	const char *w2[] = {"(x)y"};
	logclass_free(lc);
	lc = logclass_new(e2, 1, w2, 1, err, sizeof(err));
	assert_int_equal(classify(lc, "..xy.."), LOG_SEV_WARN);
	assert_int_equal(classify(lc, "..abc.."), LOG_SEV_ERROR);
	logclass_free(lc);
}

static void test_bad_pattern(void **state)
{
	char err[200] = "";
	const char *e[] = {"ok", "bro(ken"};
	assert_null(logclass_new(e, 2, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "error 2"));
	assert_non_null(strstr(err, "offset"));
}

static void test_json_level(void **state)
{
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	enum log_sev sev;
	assert_true(logclass_json_level("{\"level\":\"error\",\"msg\":\"x\"}", 27, &sev));
	assert_int_equal(sev, LOG_SEV_ERROR);
	/* The level field wins over words in the message. */
	assert_int_equal(classify(lc, "{\"ts\":1,\"level\":\"info\",\"msg\":\"0 errors, fatal none\"}"),
	                 LOG_SEV_INFO);
	assert_int_equal(classify(lc, "{\"msg\":\"disk\",\"lvl\":\"WARN\"}"), LOG_SEV_WARN);
	assert_int_equal(classify(lc, " {\"nested\":{\"level\":\"error\"},\"severity\":\"warning\"}"),
	                 LOG_SEV_WARN);
	assert_int_equal(classify(lc, "{\"level\":50,\"msg\":\"bunyan\"}"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "{\"level\":40}"), LOG_SEV_WARN);
	assert_int_equal(classify(lc, "{\"level\":30,\"msg\":\"error words\"}"), LOG_SEV_INFO);
	assert_int_equal(classify(lc, "{\"severity\":3}"), LOG_SEV_ERROR); /* syslog prio */
	assert_int_equal(classify(lc, "{\"severity\":6}"), LOG_SEV_INFO);
	assert_int_equal(classify(lc, "{\"a\":[1,{\"b\":\"}\"}],\"level\":\"fatal\"}"), LOG_SEV_ERROR);
	/* No level member, or not JSON: the patterns decide. */
	assert_false(logclass_json_level("{\"msg\":\"error\"}", 15, &sev));
	assert_int_equal(classify(lc, "{\"msg\":\"error\"}"), LOG_SEV_ERROR);
	assert_int_equal(classify(lc, "{broken error"), LOG_SEV_ERROR);
	logclass_free(lc);
}

static void test_fixture(void **state)
{
	/* Real nginx error log lines and a mixed application log. */
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	size_t len;
	char *text = util_read_file(TEST_DATA "/logs/mixed.log", 1 << 20, &len);
	assert_non_null(text);
	int counts[3] = {0, 0, 0};
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"))
		counts[classify(lc, line)]++;
	assert_int_equal(counts[LOG_SEV_ERROR], 7);
	assert_int_equal(counts[LOG_SEV_WARN], 2);
	assert_int_equal(counts[LOG_SEV_INFO], 5);
	free(text);
	logclass_free(lc);
}

/* The literal prefilter in front of PCRE2 may only ever say "maybe": every
 * line must get the severity the same patterns give without it (custom
 * patterns equal to the defaults turn the prefilter off). Lines are built
 * from words that match, near misses and filler, in random case, at every
 * offset against the 16-byte blocks, at the ends of the line, and with
 * random bytes. */
static void test_prefilter_never_misses(void **state)
{
	static const char *const words[] = {
	    "error", "errors", "emerg", "emergency", "fatal", "panic", "panicked", "crit", "critical",
	    "criteria", "traceback", "segfault", "segmentation fault", "core dumped", "oom-killer",
	    "out of memory", "out of  memory", "exception", "NullPointerException", "[alert]", "[alerts]",
	    "warn", "warns", "warning", "warnings", "HTTP/1.1\" 503 ", "HTTP/2.0\" 500 ", "HTTP/1.1\" 404 ",
	    "\" 5", "of me", "span", "expand", "company", "script", "description", "forward", "software",
	    "element", "segment", "merge", "energy", "jump", "data", "write", "learn", "err", "rro",
	    "erro", "arn", "war", "{al", "dum", "xce", "ceb", "om-", "f m", "nic", "fat", "egf", "egm",
	    /* the levels of the formats read after the prefilter (logformat) */
	    "2026-12-07T04:10:04Z", "ERR", "WRN", "FTL", "PNC", "INF", "ERROR:", "[Warning]", "[ERR]",
	    "production.ERROR:", "level=", "lvl=", "level=err", "lvl=eror", "level=\"warn\"", "\" 404 ",
	    "\" 499", "alert", "ALERT", "SEVERE", "DPANIC",
	    "1 - - [07/Dec/2026:04:10:04 +0000] \"GET / HTTP/1.1\"",
	};
	static const char *const seps[] = {" ", "", ":", "_", "-", "\t", "=", "\"", "[", "]", "5", "\x01", "\xc3\xa9"};
	const char *defe = logclass_default_error, *defw = logclass_default_warn;
	char err[200];
	struct logclass *fast = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logclass *slow = logclass_new(&defe, 1, &defw, 1, err, sizeof(err));
	assert_non_null(fast);
	assert_non_null(slow);
	unsigned seed = 12345;
	char line[512];
	size_t checked = 0, hits = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = 0;
		/* a random prefix length moves the words across block boundaries */
		seed = seed * 1103515245u + 12345u;
		size_t pad = (seed >> 16) % 40;
		memset(line, 'a' + (int)(pad % 3), pad);
		n = pad;
		seed = seed * 1103515245u + 12345u;
		int nwords = 1 + (int)((seed >> 16) % 4);
		for (int w = 0; w < nwords; w++) {
			seed = seed * 1103515245u + 12345u;
			const char *sep = seps[(seed >> 16) % ARRAY_LEN(seps)];
			seed = seed * 1103515245u + 12345u;
			const char *word = words[(seed >> 16) % ARRAY_LEN(words)];
			if (n + strlen(sep) + strlen(word) + 2 >= sizeof(line))
				break;
			memcpy(line + n, sep, strlen(sep));
			n += strlen(sep);
			for (const char *c = word; *c != '\0'; c++) {
				seed = seed * 1103515245u + 12345u;
				/* random case, and now and then a random byte instead */
				char ch = (seed >> 20) % 2 ? (char)toupper((unsigned char)*c) : *c;
				if ((seed >> 8) % 97 == 0)
					ch = (char)(seed >> 24);
				line[n++] = ch;
			}
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 2) {
			memcpy(line + n, " tail", 5);
			n += 5;
		}
		enum log_sev a = logclass_classify(fast, line, n), b = logclass_classify(slow, line, n);
		if (a != b) {
			fprintf(stderr, "prefilter %s, patterns %s: \"%.*s\"\n", log_sev_name(a), log_sev_name(b),
			        (int)n, line);
			fail();
		}
		checked++;
		hits += b != LOG_SEV_INFO;
	}
	/* the test means something only if both kinds of lines were made */
	assert_true(hits > checked / 10);
	assert_true(hits < checked - checked / 10);
	logclass_free(fast);
	logclass_free(slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),   cmocka_unit_test(test_access_log_5xx),
	    cmocka_unit_test(test_custom),     cmocka_unit_test(test_bad_pattern),
	    cmocka_unit_test(test_json_level), cmocka_unit_test(test_fixture),
	    cmocka_unit_test(test_prefilter_never_misses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
