/* test-logstore: the ring keeps the newest max_lines, group counts stay exact
 * through line and group eviction, lines come out in time order, the error
 * rate and the deploy hook ("new" groups), and timestamps parsed from lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sitrep/kinds/logs.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void add(struct logstore *st, struct logclass *lc, int64_t t, const char *s)
{
	logstore_ingest(st, lc, 0, t, -1, s, strlen(s), false);
}

/* A line that is neither warning nor error is kept raw and finished only when
 * the ring is read (logstore_settle): what comes out must be what finishing
 * it at once gives, for every kind of hostile or odd line, read at any time,
 * also after its slot was reused by shorter and longer lines. */
/* a string literal and its length, NUL bytes inside included */
#define LIT(s) s, sizeof(s) - 1

static void test_deferred_lines_equal_eager(void **state)
{
	char err[100];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	const size_t max = 64;
	static char big[300];
	memset(big, 'a', sizeof(big) - 1);
	char esc[40]; /* 16 bytes that each become 4: grows past max unless cut */
	memset(esc, '\x01', 16);
	memcpy(esc + 16, " ok", 4);
	char nearmax[70]; /* 62 'b' and a 2-byte character across the limit */
	memset(nearmax, 'b', 63);
	memcpy(nearmax + 63, "\xc3\xa9z", 4);
	struct {
		const char *s;
		size_t len;
		bool cut;
	} in[] = {
	    {LIT("2001-01-01T00:00:00Z plain line"), false},
	    {LIT("no time at all"), false},
	    {LIT("ESC \x1b[31m red \x1b[0m and CR\r"), false},
	    {LIT("nul \0 inside"), false},
	    {LIT("bad utf8 \xff\xfe here"), false},
	    {big, 299, false},
	    {big, 64, false},
	    {big, 65, false},
	    {big, 40, true}, /* linebuf cut it: the mark is added */
	    {esc, 19, false},
	    {nearmax, 66, false},
	    {LIT("bidi \xe2\x80\xae reversed"), false},
	};
	size_t n = sizeof(in) / sizeof(in[0]);
	/* A ring of 5 slots, fed 3 rounds: slots are reused by every other line. */
	struct logstore *st = logstore_new(5, 10, max);
	int64_t t0 = now_ms();
	size_t want_cut = 0;
	for (size_t round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {
			logstore_ingest(st, lc, 0, 0, -1, in[i].s, in[i].len, in[i].cut);
			bool cut;
			free(logstore_text(max, in[i].s, in[i].len, in[i].cut, &cut));
			want_cut += cut;
			/* read after every line in the first round, never in the others */
			if (round > 0)
				continue;
			const struct log_line *l = logstore_line(st, logstore_nlines(st) - 1);
			char *want = logstore_text(max, in[i].s, in[i].len, in[i].cut, &cut);
			assert_string_equal(l->text, want);
			assert_int_equal(l->len, strlen(want));
			assert_int_equal(l->cut, cut);
			free(want);
		}
	}
	assert_int_equal(logstore_stats(st)->cut, want_cut);
	assert_int_equal(logstore_stats(st)->lines, 3 * n);
	/* The last 5 of the last round, in order (no time in most: arrival). */
	for (size_t k = 0; k < 5; k++) {
		size_t i = n - 5 + k;
		bool cut;
		char *want = logstore_text(max, in[i].s, in[i].len, in[i].cut, &cut);
		const struct log_line *l = logstore_line(st, k);
		assert_string_equal(l->text, want);
		assert_int_equal(l->cut, cut);
		assert_true(l->time_ms >= t0 - 1000 && l->time_ms <= now_ms() + 1000);
		free(want);
	}
	logstore_unref(st);
	/* The time parsed later is the one parsed at once. */
	st = logstore_new(5, 10, max);
	logstore_ingest(st, lc, 0, 0, -1, in[0].s, in[0].len, false);
	assert_int_equal(logstore_line(st, 0)->time_ms, 978307200000LL);
	logstore_unref(st);
	logclass_free(lc);
}

static void test_ring_counts(void **state)
{
	char err[100];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logstore *st = logstore_new(100, 10, 0);
	int64_t t0 = now_ms() - 10000;
	char line[100];
	for (int i = 0; i < 1000; i++) {
		if (i % 10 == 0)
			snprintf(line, sizeof(line), "error: request %d failed", i);
		else if (i % 10 == 1)
			snprintf(line, sizeof(line), "warning: slow request %d", i);
		else
			snprintf(line, sizeof(line), "request %d ok", i);
		add(st, lc, t0 + i, line);
	}
	const struct logstore_stats *s = logstore_stats(st);
	assert_int_equal(s->lines, 1000);
	assert_int_equal(s->errors, 100);
	assert_int_equal(s->warnings, 100);
	assert_int_equal(s->lines_evicted, 900);
	assert_int_equal(logstore_nlines(st), 100);
	/* The ring kept the newest lines, oldest first. */
	assert_string_equal(logstore_line(st, 0)->text, "error: request 900 failed");
	assert_string_equal(logstore_line(st, 99)->text, "request 999 ok");
	assert_null(logstore_line(st, 100));
	/* Two groups, exact counts although 90 % of their lines were evicted. */
	assert_int_equal(logstore_ngroups(st), 2);
	const struct log_group *g0 = logstore_group(st, 0), *g1 = logstore_group(st, 1);
	assert_int_equal(g0->count + g1->count, 200);
	assert_int_equal(g0->count, 100);
	const struct log_group *e = g0->sev == LOG_SEV_ERROR ? g0 : g1;
	assert_string_equal(e->fingerprint, "error: request <n> failed");
	assert_string_equal(e->sample, "error: request 990 failed");
	assert_int_equal(e->first_ms, t0);
	assert_int_equal(e->last_ms, t0 + 990);
	/* Most recently seen first: the warning at 991 */
	assert_int_equal(g0->sev, LOG_SEV_WARN);
	logstore_unref(st);
	logclass_free(lc);
}

static void test_group_eviction(void **state)
{
	struct logstore *st = logstore_new(10, 4, 0);
	int64_t t0 = now_ms() - 100000;
	const char *kinds[] = {"alpha failed", "beta failed",    "gamma failed",
	                       "delta failed", "epsilon failed", "zeta failed"};
	/* alpha is seen often and stays recent; the rest come once each. */
	for (int i = 0; i < 6; i++) {
		logstore_ingest(st, NULL, 0, t0 + 2 * i, LOG_SEV_ERROR, "alpha failed", 12, false);
		logstore_ingest(st, NULL, 0, t0 + 2 * i + 1, LOG_SEV_ERROR, kinds[i], strlen(kinds[i]),
		                false);
	}
	assert_int_equal(logstore_ngroups(st), 4);
	assert_int_equal(logstore_stats(st)->groups_evicted, 2);
	bool have_alpha = false, have_beta = false;
	for (size_t i = 0; i < logstore_ngroups(st); i++) {
		const struct log_group *g = logstore_group(st, i);
		if (strcmp(g->fingerprint, "alpha failed") == 0) {
			have_alpha = true;
			assert_int_equal(g->count, 7);
		}
		have_beta |= strcmp(g->fingerprint, "beta failed") == 0;
	}
	assert_true(have_alpha);
	assert_false(have_beta);
	assert_int_equal(logstore_stats(st)->errors, 12);
	logstore_unref(st);
}

static void test_time_order_and_sources(void **state)
{
	struct logstore *st = logstore_new(10, 10, 0);
	unsigned a = logstore_add_source(st, "a.log");
	unsigned b = logstore_add_source(st, "journald\x1b[31m");
	int64_t t = now_ms() - 5000;
	logstore_ingest(st, NULL, a, t + 30, LOG_SEV_INFO, "a3", 2, false);
	logstore_ingest(st, NULL, b, t + 10, LOG_SEV_INFO, "b1", 2, false);
	logstore_ingest(st, NULL, a, t + 20, LOG_SEV_INFO, "a2", 2, false);
	logstore_ingest(st, NULL, b, t + 20, LOG_SEV_INFO, "b2", 2, false);
	const char *want[] = {"b1", "a2", "b2", "a3"};
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(logstore_line(st, i)->text, want[i]);
	assert_int_equal(logstore_line(st, 0)->source, b);
	assert_string_equal(logstore_source_name(st, a), "a.log");
	assert_null(strchr(logstore_source_name(st, b), '\x1b'));
	/* The time written in the line is used when none is given. */
	logstore_ingest(st, NULL, a, 0, LOG_SEV_INFO, "2001-01-01T00:00:00Z old", 24, false);
	assert_int_equal(logstore_line(st, 0)->time_ms, 978307200000LL);
	logstore_unref(st);
}

static void test_bad_input(void **state)
{
	struct logstore *st = logstore_new(10, 10, 64);
	const char raw[] = "\x1b]52;c;ZXZpbA==\x07 error \x1b[2J\r\bend\x00nul\xff\xfe";
	logstore_ingest(st, NULL, 0, 0, LOG_SEV_ERROR, raw, sizeof(raw) - 1, false);
	const struct log_line *l = logstore_line(st, 0);
	for (const char *p = l->text; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	assert_null(strchr(logstore_group(st, 0)->sample, '\x1b'));
	assert_null(strchr(logstore_group(st, 0)->fingerprint, '\x1b'));
	/* A long line is stored cut, with the mark; a line cut by the reader too. */
	char big[1000];
	memset(big, 'x', sizeof(big));
	logstore_ingest(st, NULL, 0, 0, LOG_SEV_INFO, big, sizeof(big), false);
	l = logstore_line(st, 1);
	assert_true(l->cut);
	assert_non_null(strstr(l->text, "[cut]"));
	assert_true(l->len < 100);
	logstore_ingest(st, NULL, 0, 0, LOG_SEV_INFO, "short", 5, true);
	assert_non_null(strstr(logstore_line(st, 2)->text, "[cut]"));
	assert_int_equal(logstore_stats(st)->cut, 2);
	/* Short in bytes but long once escaped (\xNN per byte): cut and counted. */
	char bin[40];
	memset(bin, 0xff, sizeof(bin));
	logstore_ingest(st, NULL, 0, 0, LOG_SEV_INFO, bin, sizeof(bin), false);
	assert_true(logstore_line(st, 3)->cut);
	assert_non_null(strstr(logstore_line(st, 3)->text, "[cut]"));
	assert_int_equal(logstore_stats(st)->cut, 3);
	logstore_unref(st);
}

static void test_rate_and_deploy(void **state)
{
	struct logstore *st = logstore_new(100, 10, 0);
	int64_t now = now_ms();
	for (int i = 0; i < 5; i++)
		logstore_ingest(st, NULL, 0, now - 1000 * i, LOG_SEV_ERROR, "x failed", 8, false);
	for (int i = 0; i < 3; i++)
		logstore_ingest(st, NULL, 0, now - 600000, LOG_SEV_ERROR, "y failed", 8, false);
	assert_true(logstore_errors_per_minute(st, now) == 5.0);
	double hist[15];
	logstore_errors_history(st, now, hist, 15);
	assert_true(hist[4] == 3.0);
	double sum = 0;
	for (int i = 0; i < 15; i++)
		sum += hist[i];
	assert_true(sum == 8.0);

	/* No deploy known: nothing is new. */
	logstore_set_deploy_time(st, 0);
	for (size_t i = 0; i < logstore_ngroups(st); i++)
		assert_false(logstore_group_is_new(st, logstore_group(st, i)));
	/* A deploy 5 minutes ago: x began after it, y before it. */
	logstore_set_deploy_time(st, now - 300000);
	for (size_t i = 0; i < logstore_ngroups(st); i++) {
		const struct log_group *g = logstore_group(st, i);
		assert_int_equal(logstore_group_is_new(st, g), g->fingerprint[0] == 'x');
	}
	logstore_set_deploy_time(st, 0);
	logstore_unref(st);
}

static void test_refcount(void **state)
{
	struct logstore *st = logstore_new(2, 2, 0);
	logstore_ref(st);
	logstore_ingest(st, NULL, 0, 0, LOG_SEV_ERROR, "e", 1, false);
	logstore_unref(st);
	assert_int_equal(logstore_nlines(st), 1); /* still alive */
	logstore_unref(st);
}

static void test_logtime(void **state)
{
	int64_t now = now_ms();
	assert_int_equal(logtime_parse("2024-05-01T10:00:12.345Z x", 26, now), 1714557612345LL);
	assert_int_equal(logtime_parse("2024-05-01T12:00:12+02:00 x", 27, now), 1714557612000LL);
	assert_int_equal(logtime_parse("127.0.0.1 - - [01/May/2024:10:00:12 +0000] \"GET", 48, now),
	                 1714557612000LL);
	assert_true(logtime_parse("2024/05/01 10:00:12 [error]", 27, now) > 0);
	assert_true(logtime_parse("May  1 10:00:12 host app:", 25, now) > 0);
	assert_int_equal(logtime_parse("hello world", 11, now), 0);
	assert_int_equal(logtime_parse("2024-13-01T10:00:00Z", 20, now), 0);
	assert_int_equal(logtime_parse("", 0, now), 0);
}

/* A Python traceback arriving line by line is one event: one error, named by
 * its exception line once the event ends (here: no line for
 * LOGEVENT_IDLE_MS), its frames stamped with its header's time, another
 * source's lines in between not mixed in; a trace cut short by another line,
 * by the bound on its lines, or by time is counted once under its header
 * (which, "traceback" being a failure word, counts as its line comes). */
static void test_python_traceback(void **state)
{
	(void)state;
	char err[100];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	struct logstore *st = logstore_new(1000, 100, 1024);
	unsigned app = logstore_add_source(st, "app"), other = logstore_add_source(st, "other");
	const int64_t t0 = 1796616604000;
	static const char *const tb[] = {
	    "Traceback (most recent call last):",
	    "  File \"/srv/app/cart.py\", line 42, in total",
	    "    return sum(item[\"price\"] for item in items)",
	    "  File \"/srv/app/cart.py\", line 42, in <genexpr>",
	    "    return sum(item[\"price\"] for item in items)",
	    "KeyError: 'price'",
	};
	for (size_t i = 0; i < 6; i++) {
		logstore_ingest(st, lc, app, i == 0 ? t0 : 0, -1, tb[i], strlen(tb[i]), false);
		if (i == 2)
			logstore_ingest(st, lc, other, t0 + 5, -1, "other source line", 17, false);
	}
	assert_int_equal(logstore_stats(st)->errors, 1);
	logstore_flush_traces(st, now_ms() + LOGSTORE_TRACE_IDLE_MS + 1000);
	assert_int_equal(logstore_stats(st)->errors, 1);
	assert_int_equal(logstore_stats(st)->lines, 7);
	assert_int_equal(logstore_ngroups(st), 1);
	const struct log_group *g = logstore_group(st, 0);
	assert_int_equal(g->count, 1);
	assert_non_null(strstr(g->sample, "KeyError: 'price'"));
	size_t n = logstore_nlines(st), stamped = 0;
	for (size_t i = 0; i < n; i++) {
		const struct log_line *l = logstore_line(st, i);
		if (l->source == app) {
			assert_int_equal(l->time_ms, t0);
			stamped++;
		}
		assert_int_equal(l->sev, strncmp(l->text, "KeyError", 8) == 0 ? LOG_SEV_ERROR : LOG_SEV_INFO);
	}
	assert_int_equal(stamped, 6);

	/* cut short by a line that is neither a frame nor an exception */
	logstore_ingest(st, lc, app, t0 + 1000, -1, tb[0], strlen(tb[0]), false);
	logstore_ingest(st, lc, app, 0, -1, tb[1], strlen(tb[1]), false);
	logstore_ingest(st, lc, app, t0 + 2000, -1, "2026-12-07 04:10:06 server restarted", 36, false);
	assert_int_equal(logstore_stats(st)->errors, 2);
	/* bounded: frames beyond the cap end the event (counted once) */
	logstore_ingest(st, lc, app, t0 + 3000, -1, tb[0], strlen(tb[0]), false);
	for (int i = 0; i < LOGSTORE_TRACE_MAX_LINES + 50; i++)
		logstore_ingest(st, lc, app, 0, -1, tb[1], strlen(tb[1]), false);
	assert_int_equal(logstore_stats(st)->errors, 3);
	/* flushed by time: nothing after the frames */
	logstore_ingest(st, lc, app, t0 + 4000, -1, tb[0], strlen(tb[0]), false);
	logstore_ingest(st, lc, app, 0, -1, tb[1], strlen(tb[1]), false);
	logstore_flush_traces(st, now_ms());
	assert_int_equal(logstore_stats(st)->errors, 4); /* its header, at once */
	logstore_flush_traces(st, now_ms() + LOGSTORE_TRACE_IDLE_MS + 1000);
	assert_int_equal(logstore_stats(st)->errors, 4);
	logstore_flush_traces(st, now_ms() + 10 * LOGSTORE_TRACE_IDLE_MS);
	assert_int_equal(logstore_stats(st)->errors, 4); /* once */
	logstore_unref(st);
	logclass_free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring_counts),      cmocka_unit_test(test_deferred_lines_equal_eager),
	    cmocka_unit_test(test_group_eviction),   cmocka_unit_test(test_time_order_and_sources),
	    cmocka_unit_test(test_bad_input),        cmocka_unit_test(test_rate_and_deploy),
	    cmocka_unit_test(test_refcount),         cmocka_unit_test(test_logtime),
	    cmocka_unit_test(test_python_traceback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
