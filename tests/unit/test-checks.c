/* test-checks: the checks model: how an answer is judged (status, text,
 * regex, latency, a cut body), that a reason quotes the config and never
 * the body, the --once JSON and text, the events a change means (failing,
 * recovered, nothing twice) and the status hint; and the http source's
 * config reading (what --check-config refuses). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/app.h"
#include "sitrep/kinds/checks.h"
#include "sitrep/core/config.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

static bool judge(const struct check_expect *e, long status, const char *body, double ms, char **reason)
{
	return checks_judge(e, true, status, body, body != NULL ? strlen(body) : 0, false, ms, reason);
}

static void test_judge_status(void **state)
{
	(void)state;
	struct check_expect e = {0};
	char *why;
	assert_true(judge(&e, 200, "", 5, &why));
	assert_null(why);
	assert_true(judge(&e, 302, "", 5, &why)); /* no expectation: below 400 passes */
	assert_false(judge(&e, 503, "", 5, &why));
	assert_string_equal(why, "status 503");
	free(why);
	e.status = 200;
	assert_false(judge(&e, 404, "Book now", 5, &why));
	assert_string_equal(why, "status 404, expected 200");
	free(why);
	e.status = 503; /* a check that expects the maintenance page */
	assert_true(judge(&e, 503, "", 5, &why));
}

static void test_judge_text_and_regex(void **state)
{
	(void)state;
	struct check_expect e = {.status = 200};
	e.text = xstrdup("Book now");
	char *why;
	assert_true(judge(&e, 200, "<button>Book now</button>", 5, &why));
	assert_false(judge(&e, 200, "<button>Sold out</button>", 5, &why));
	assert_string_equal(why, "status 200 but \"Book now\" missing");
	free(why);
	/* a cut body says so */
	assert_false(checks_judge(&e, true, 200, "xx", 2, true, 5, &why));
	assert_string_equal(why, "status 200 but \"Book now\" missing in the first part read");
	free(why);
	/* the body may hold NUL bytes: the search goes on past them */
	static const char nul_body[] = "a\0b Book now";
	assert_true(checks_judge(&e, true, 200, nul_body, sizeof(nul_body) - 1, false, 5, &why));
	checks_expect_clear(&e);

	char err[200];
	e.status = 200;
	assert_int_equal(checks_expect_regex(&e, "total: [0-9]+ rooms?", err, sizeof(err)), 0);
	assert_true(judge(&e, 200, "<p>total: 12 rooms</p>", 5, &why));
	assert_false(judge(&e, 200, "<p>total: none</p>", 5, &why));
	assert_string_equal(why, "status 200 but /total: [0-9]+ rooms?/ not found");
	free(why);
	/* invalid UTF-8 in a body does not stop the match */
	assert_true(judge(&e, 200, "\xff\xfe total: 3 rooms", 5, &why));
	/* a pattern that backtracks without end gives up, as a failure */
	assert_int_equal(checks_expect_regex(&e, "(a+)+$", err, sizeof(err)), 0);
	char *body = xmalloc(40001);
	memset(body, 'a', 40000);
	body[39999] = 'b';
	body[40000] = '\0';
	assert_false(judge(&e, 200, body, 5, &why));
	assert_non_null(strstr(why, "gave up"));
	free(why);
	free(body);
	assert_int_equal(checks_expect_regex(&e, "([a-z", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad regex at offset"));
	checks_expect_clear(&e);
}

static void test_judge_latency_and_tcp(void **state)
{
	(void)state;
	struct check_expect e = {.status = 200, .max_latency_ms = 300};
	char *why;
	assert_true(judge(&e, 200, "", 299.6, &why));
	assert_false(judge(&e, 200, "", 412.2, &why));
	assert_string_equal(why, "412 ms > 300 ms");
	free(why);
	/* the status is named first: it is the bigger news */
	assert_false(judge(&e, 500, "", 900, &why));
	assert_string_equal(why, "status 500, expected 200");
	free(why);
	/* tcp: no status, no body, only the latency */
	assert_true(checks_judge(&e, false, 0, NULL, 0, false, 12, &why));
	assert_false(checks_judge(&e, false, 0, NULL, 0, false, 301, &why));
	assert_string_equal(why, "301 ms > 300 ms");
	free(why);
}

/* A hostile page never reaches the reason; hostile config text is inert. */
static void test_reason_hostile(void **state)
{
	(void)state;
	struct check_expect e = {.status = 200};
	e.text = xstrdup("Book\x1b[2Jnow");
	char *why;
	assert_false(judge(&e, 200, "\x1b]0;pwned\x07<script>Book now</script>\x1b[31m", 5, &why));
	assert_null(strchr(why, '\x1b'));
	assert_null(strstr(why, "pwned"));
	assert_null(strstr(why, "script"));
	assert_non_null(strstr(why, "^["));
	free(why);
	checks_expect_clear(&e);
	/* a very long expected text is cut in the reason */
	char longtext[300];
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	e.text = xstrdup(longtext);
	assert_false(judge(&e, 200, "", 5, &why));
	assert_true(strlen(why) < 120);
	free(why);
	checks_expect_clear(&e);
}

static struct checks_data *model(bool ok_booking, bool checked)
{
	struct checks_data *d = checks_data_new(2);
	d->checks[0].name = xstrdup("booking");
	d->checks[0].target = xstrdup("GET https://shop.example/booking");
	d->checks[0].checked = checked;
	d->checks[0].ok = ok_booking;
	d->checks[0].status = 200;
	d->checks[0].latency_ms = 41.25;
	d->checks[0].reason = ok_booking ? NULL : xstrdup("status 200 but \"Book now\" missing");
	d->checks[0].history = xcalloc(3, sizeof(double));
	d->checks[0].history[0] = 40;
	d->checks[0].history[1] = NAN;
	d->checks[0].history[2] = 41.25;
	d->checks[0].nhistory = 3;
	d->checks[1].name = xstrdup("db");
	d->checks[1].target = xstrdup("tcp 127.0.0.1:5432");
	d->checks[1].type = CHECK_TCP;
	d->checks[1].checked = checked;
	d->checks[1].ok = true;
	d->checks[1].latency_ms = 0.5;
	return d;
}

static void test_json(void **state)
{
	(void)state;
	struct checks_data *d = model(false, true);
	cJSON *j = kind_checks.to_json(d);
	cJSON *arr = cJSON_GetObjectItem(j, "checks");
	assert_int_equal(cJSON_GetArraySize(arr), 2);
	cJSON *b = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(b, "name")->valuestring, "booking");
	assert_string_equal(cJSON_GetObjectItem(b, "target")->valuestring,
	                    "GET https://shop.example/booking");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "ok")));
	assert_int_equal(cJSON_GetObjectItem(b, "status")->valueint, 200);
	assert_true(fabs(cJSON_GetObjectItem(b, "latency_ms")->valuedouble - 41.3) < 0.01);
	assert_string_equal(cJSON_GetObjectItem(b, "reason")->valuestring,
	                    "status 200 but \"Book now\" missing");
	cJSON *h = cJSON_GetObjectItem(b, "history");
	assert_int_equal(cJSON_GetArraySize(h), 3);
	assert_true(cJSON_IsNull(cJSON_GetArrayItem(h, 1)));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "tls_days_left")));
	cJSON *t = cJSON_GetArrayItem(arr, 1);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(t, "ok")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "status")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(t, "reason")));
	assert_string_equal(cJSON_GetObjectItem(t, "type")->valuestring, "tcp");
	cJSON_Delete(j);
	/* nothing fetched yet: the empty shape */
	j = kind_checks.to_json(NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "checks")), 0);
	cJSON_Delete(j);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	kind_checks.print(d, f);
	fclose(f);
	assert_non_null(strstr(text, "FAIL booking"));
	assert_non_null(strstr(text, "(status 200 but \"Book now\" missing)"));
	assert_non_null(strstr(text, "ok   db"));
	free(text);
	checks_data_free(d);
}

static void test_hint(void **state)
{
	(void)state;
	struct checks_data *d = model(true, true);
	assert_null(kind_checks.hint(d));
	checks_data_free(d);
	d = model(false, true);
	char *h = kind_checks.hint(d);
	assert_string_equal(h, "check booking failing: status 200 but \"Book now\" missing");
	free(h);
	d->checks[1].ok = false;
	d->checks[1].reason = xstrdup("connect refused");
	h = kind_checks.hint(d);
	assert_string_equal(h, "2 checks failing, booking first: status 200 but \"Book now\" missing");
	free(h);
	checks_data_free(d);
	d = model(false, false); /* not checked yet: nothing is wrong yet */
	assert_null(kind_checks.hint(d));
	checks_data_free(d);
}

struct seen {
	int n;
	enum event_level level[8];
	char text[8][200];
	char subject[8][64];
};

static void on_event(const struct event *ev, void *arg)
{
	struct seen *s = arg;
	assert_int_equal(ev->type, EVENT_STATE);
	assert_string_equal(ev->name, "status");
	if (s->n < 8) {
		s->level[s->n] = ev->level;
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", ev->text);
		snprintf(s->subject[s->n], sizeof(s->subject[0]), "%s", ev->subject);
	}
	s->n++;
}

static void test_diff_events(void **state)
{
	(void)state;
	static struct app app;
	memset(&app, 0, sizeof(app));
	struct seen seen = {0};
	assert_int_equal(event_subscribe(&app.bus, EVENT_ALL, on_event, &seen), 0);
	struct pane_config pc = {.id = "checks", .kind = "checks"};
	struct source src = {.app = &app, .cfg = &pc, .index = 0};

	struct checks_data *waiting = model(true, false), *ok = model(true, true), *bad = model(false, true);
	kind_checks.diff(&src, NULL, waiting); /* no result yet: nothing */
	kind_checks.diff(&src, waiting, ok);   /* first result, ok: nothing to say */
	assert_int_equal(seen.n, 0);
	kind_checks.diff(&src, ok, bad);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.level[0], EVENT_CRIT);
	assert_string_equal(seen.subject[0], "booking");
	assert_string_equal(seen.text[0], "check booking failing: status 200 but \"Book now\" missing");
	kind_checks.diff(&src, bad, bad); /* still failing: not again */
	assert_int_equal(seen.n, 1);
	kind_checks.diff(&src, bad, ok);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.level[1], EVENT_OK);
	assert_string_equal(seen.text[1], "check booking ok again (41 ms)");
	/* failing when sitrep starts: the incident's first line */
	kind_checks.diff(&src, NULL, bad);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.level[2], EVENT_CRIT);
	checks_data_free(waiting);
	checks_data_free(ok);
	checks_data_free(bad);
	event_unsubscribe(&app.bus, on_event, &seen);
	event_bus_clear(&app.bus);
}

/* --check-config: what the http source accepts and refuses, with positions. */
static int load(const char *panes, char *msg, size_t cap)
{
	char *text = xasprintf("{ \"panes\": [ %s ] }", panes);
	struct app app = {0};
	struct config_error err = {0};
	int rc = config_load_text(&app.cfg, "t.json", text, strlen(text), &err);
	if (rc == 0)
		rc = app_create_sources(&app, &err);
	app_free(&app);
	msg[0] = '\0';
	if (rc != 0)
		config_error_format(&err, msg, cap);
	free(text);
	return rc;
}

static void test_config(void **state)
{
	(void)state;
	char msg[600];
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"home\", \"url\": "
	         "\"http://127.0.0.1:1/\", \"expect_status\": 200, \"expect_text\": \"x\", "
	         "\"expect_regex\": \"a+\", \"max_latency_ms\": 300 }, { \"name\": \"ssh\", \"type\": "
	         "\"tcp\", \"host\": \"localhost\", \"port\": 22 } ] }",
	         msg, sizeof(msg)),
	    0);
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"a\", \"url\": "
	         "\"http://127.0.0.1:1/\", \"expect_regex\": \"(\" } ] }",
	         msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "bad regex"));
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"a\", \"type\": "
	         "\"tcp\", \"host\": \"db.example\", \"port\": 5432 } ] }",
	         msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "IP address"));
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"a\", \"url\": "
	         "\"http://h/\" }, { \"name\": \"a\", \"url\": \"http://h/\" } ] }",
	         msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "comes earlier"));
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"a\", \"url\": "
	         "\"http://h/\", \"expect_txt\": \"x\" } ] }",
	         msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "expect_text"));
	assert_int_equal(
	    load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [ { \"name\": \"a\", \"url\": "
	         "\"http://h/\", \"method\": \"HEAD\", \"expect_text\": \"x\" } ] }",
	         msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "HEAD"));
	assert_int_equal(load("{ \"id\": \"c\", \"kind\": \"checks\", \"checks\": [] }", msg, sizeof(msg)),
	                 -1);
	assert_non_null(strstr(msg, "at least one check"));
}

int main(void)
{
	sources_register();
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge_status),
	    cmocka_unit_test(test_judge_text_and_regex),
	    cmocka_unit_test(test_judge_latency_and_tcp),
	    cmocka_unit_test(test_reason_hostile),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_hint),
	    cmocka_unit_test(test_diff_events),
	    cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
