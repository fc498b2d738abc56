/* Unit tests of the deploys model: natural name order, times in the
 * formats deploy tools write, Capistrano's revisions.log and Deployer's
 * releases_log, the previous healthy release, the JSON shape, hostile text
 * made inert, and the marks graphs draw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/core/app.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/marks.h"

static void test_name_order(void **state)
{
	(void)state;
	assert_true(deploys_name_cmp("r9", "r10") < 0);
	assert_true(deploys_name_cmp("20240521221400", "20240521200000") > 0);
	assert_true(deploys_name_cmp("10", "9") > 0);
	assert_true(deploys_name_cmp("007", "7") == 0);
	assert_true(deploys_name_cmp("a", "ab") < 0);
	struct deploys_data *d = deploys_data_new();
	deploys_add(d, "9");
	deploys_add(d, "10");
	deploys_add(d, "1");
	deploys_sort(d, true);
	assert_string_equal(d->deploys[0].id, "10");
	assert_string_equal(d->deploys[1].id, "9");
	assert_string_equal(d->deploys[2].id, "1");
	/* by time, ties by name */
	d->deploys[0].time = 100;
	d->deploys[1].time = 300;
	d->deploys[2].time = 100;
	deploys_sort(d, false);
	assert_string_equal(d->deploys[0].id, "9");
	assert_string_equal(d->deploys[1].id, "10");
	assert_string_equal(d->deploys[2].id, "1");
	deploys_data_free(d);
}

static void test_times(void **state)
{
	(void)state;
	const int64_t t = 1716329640; /* 2024-05-21T22:14:00Z */
	assert_int_equal(deploys_parse_time("20240521221400", 14), t);
	assert_int_equal(deploys_parse_time("2024-05-21T22:14:00Z", 20), t);
	assert_int_equal(deploys_parse_time("2024-05-22T00:14:00+02:00", 25), t);
	assert_int_equal(deploys_parse_time("2024-05-21 22:14:00 +0000", 25), t);
	assert_int_equal(deploys_parse_time("2024-05-22T00:14:00.123456789+02:00", 35), t);
	assert_int_equal(deploys_parse_time("2024-05-21 22:14:00.5 +0000 UTC", 31), t);
	assert_int_equal(deploys_parse_time("1716329640\n", 11), t);
	assert_int_equal(deploys_parse_time("20241321221400", 14), 0); /* month 13 */
	assert_int_equal(deploys_parse_time("yesterday", 9), 0);
	assert_int_equal(deploys_parse_time("2024-05-21T22:14:00Zjunk", 24), 0);
	assert_int_equal(deploys_parse_time("", 0), 0);
}

static struct deploys_data *three(void)
{
	struct deploys_data *d = deploys_data_new();
	deploys_add(d, "20240521200000");
	deploys_add(d, "20240521210000");
	deploys_add(d, "20240521221400");
	deploys_sort(d, true);
	deploys_set_current(d, "20240521221400");
	return d;
}

static void test_revisions_log(void **state)
{
	(void)state;
	struct deploys_data *d = three();
	const char *log = "Branch main (at 1a2b3c4) deployed as release 20240521210000 by alice\n"
	                  "garbage line\n"
	                  "bob rolled back to release 20240521200000\n"
	                  "Branch hotfix (at 9f9f9f9) deployed as release 20240521221400 by carol\n"
	                  "Branch x (at y) deployed as release 19990101000000 by nobody\n";
	assert_int_equal(deploys_parse_revisions_log(d, log, strlen(log)), 4);
	const struct deploy *p = deploys_find(d, "20240521210000");
	assert_string_equal(p->author, "alice");
	assert_string_equal(p->branch, "main");
	assert_string_equal(p->revision, "1a2b3c4");
	assert_string_equal(deploys_find(d, "20240521221400")->author, "carol");
	assert_null(deploys_find(d, "19990101000000"));
	deploys_data_free(d);
}

static void test_releases_log(void **state)
{
	(void)state;
	struct deploys_data *d = deploys_data_new();
	deploys_add(d, "3");
	deploys_add(d, "4");
	const char *log = "{\"created_at\":\"2024-05-21T22:14:00+0000\",\"release_name\":\"3\",\"user\":"
	                  "\"bob\",\"target\":\"main\"}\n"
	                  "{not json\n"
	                  "{\"created_at\":5,\"release_name\":4,\"user\":null,\"target\":[]}\n";
	assert_int_equal(deploys_parse_releases_log(d, log, strlen(log)), 2);
	const struct deploy *p = deploys_find(d, "3");
	assert_int_equal(p->time, 1716329640);
	assert_string_equal(p->author, "bob");
	assert_string_equal(p->branch, "main");
	p = deploys_find(d, "4");
	assert_int_equal(p->time, 0);
	assert_string_equal(p->author, "");
	deploys_data_free(d);
}

static void test_previous_good(void **state)
{
	(void)state;
	struct deploys_data *d = three();
	assert_string_equal(deploys_previous_good(d)->id, "20240521210000");
	deploys_find(d, "20240521210000")->bad = true;
	assert_string_equal(deploys_previous_good(d)->id, "20240521200000");
	deploys_find(d, "20240521200000")->bad = true;
	assert_null(deploys_previous_good(d));
	deploys_set_current(d, NULL);
	assert_null(d->current);
	assert_null(deploys_previous_good(d));
	deploys_data_free(d);
}

/* A name a command would read as an option, or one the sanitizer had to
 * change, is never a target: the default rollback passes over it. */
static void test_not_target(void **state)
{
	(void)state;
	struct deploys_data *d = deploys_data_new();
	deploys_add(d, "deploy-4");
	deploys_add(d, "--force");
	deploys_add(d, "deploy-2\xe2\x80\xae"); /* a bidi override at its end */
	deploys_add(d, "deploy-1");
	assert_null(deploys_not_target(&d->deploys[0]));
	assert_non_null(deploys_not_target(&d->deploys[1]));
	assert_true(d->deploys[2].id_altered);
	assert_non_null(deploys_not_target(&d->deploys[2]));
	assert_false(d->deploys[3].id_altered);
	deploys_set_current(d, "deploy-4");
	assert_string_equal(deploys_previous_good(d)->id, "deploy-1");
	deploys_find(d, "deploy-1")->bad = true;
	assert_null(deploys_previous_good(d));
	/* an id that is only cut or trimmed is altered too: it names nothing */
	struct deploy *p = deploys_add(d, "r1 ");
	assert_true(p->id_altered);
	p = deploys_add(d, "r1\nr2");
	assert_true(p->id_altered);
	deploys_data_free(d);
}

static void test_json_and_sanitize(void **state)
{
	(void)state;
	struct deploys_data *d = three();
	struct deploy *p = deploys_find(d, "20240521221400");
	deploys_set(&p->message, "fix \x1b[31mred\x1b[0m\nsecond line", (size_t)-1);
	deploys_set(&p->author, "eve\xe2\x80\xae", (size_t)-1); /* a bidi override */
	p->time = 1716329640;
	assert_null(strchr(p->message, '\x1b'));
	assert_null(strstr(p->message, "second line"));
	assert_null(strstr(p->author, "\xe2\x80\xae"));
	cJSON *j = kind_deploys.to_json(d);
	assert_string_equal(cJSON_GetObjectItem(j, "current")->valuestring, "20240521221400");
	cJSON *arr = cJSON_GetObjectItem(j, "deploys");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	cJSON *first = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(first, "time")->valuestring, "2024-05-21T22:14:00Z");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(first, "current")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "time")));
	cJSON_Delete(j);
	/* the empty shape */
	j = kind_deploys.to_json(NULL);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "current")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "deploys")), 0);
	cJSON_Delete(j);
	char *h = kind_deploys.hint(d);
	assert_null(h);
	p->bad = true;
	deploys_set(&p->status, "bad", (size_t)-1);
	h = kind_deploys.hint(d);
	assert_non_null(strstr(h, "marked bad"));
	free(h);
	deploys_data_free(d);
}

static void test_marks(void **state)
{
	(void)state;
	int cells[8];
	assert_int_equal(marks_cells(NULL, 1000, 100, 10, cells, 8), 0);
	assert_null(marks_latest(NULL));
	marks_add(NULL, 5, "x"); /* no crash */

	struct app app;
	memset(&app, 0, sizeof(app));
	struct marks *m = marks_open(&app);
	assert_non_null(m);
	app.marks = m; /* as app_run_dashboard does */
	assert_ptr_equal(marks_of(&app), m);
	/* a deploy event on the bus is a mark, by its key */
	struct event ev = {
	    .type = EVENT_DEPLOY, .time_ms = 9500, .subject = "r42", .key = "r42", .pane_index = -1};
	event_publish(&app.bus, &ev);
	assert_int_equal(marks_count(m), 1);
	event_publish(&app.bus, &ev); /* the same deploy twice is one mark */
	assert_int_equal(marks_count(m), 1);
	marks_add(m, 10000, "r43");
	marks_add(m, 9000, "r41");
	marks_add(m, 5001, "r40");
	marks_add(m, 5000, "r39");
	marks_add(m, 11000, "r44");
	marks_add(m, 0, "never");
	assert_int_equal(marks_count(m), 6);
	assert_string_equal(marks_latest(m)->id, "r44");
	/* "since the deploy" is the last one that happened, not a newer
	 * release found in the history and never made current */
	assert_string_equal(marks_last_deploy(m)->id, "r42");
	assert_null(marks_last_deploy(NULL));
	struct event later = {
	    .type = EVENT_DEPLOY, .time_ms = 10000, .subject = "r43", .key = "r43", .pane_index = -1};
	event_publish(&app.bus, &later); /* r43 of the history becomes current */
	assert_int_equal(marks_count(m), 6);
	assert_string_equal(marks_last_deploy(m)->id, "r43");
	assert_string_equal(marks_at_time(m, 9500)->id, "r42");
	assert_null(marks_at_time(m, 1234));
	size_t n = marks_cells(m, 10000, 1000, 5, cells, 8);
	/* ring order: r42 (0), r43 (0), r41 (1), r40 (4); r39 and r44 outside */
	assert_int_equal(n, 4);
	assert_int_equal(cells[0], 0);
	assert_int_equal(cells[1], 0);
	assert_int_equal(cells[2], 1);
	assert_int_equal(cells[3], 4);
	for (int i = 0; i < MARKS_MAX + 10; i++)
		marks_add(m, 20000 + i, "many");
	assert_int_equal(marks_count(m), MARKS_MAX);
	marks_close(m);
	app.marks = NULL;
	assert_null(marks_of(&app));
	event_bus_clear(&app.bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_order),    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_revisions_log), cmocka_unit_test(test_releases_log),
	    cmocka_unit_test(test_previous_good), cmocka_unit_test(test_json_and_sanitize),
	    cmocka_unit_test(test_marks),         cmocka_unit_test(test_not_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
