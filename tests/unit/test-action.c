/* Unit tests of the action gate: read-only refuses without calling the
 * source and records the refusal; a permitted action reaches act(), and its
 * outcome is audited; durations and descriptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/source.h"
#include "sitrep/util.h"

static int act_calls;

static int fake_act(struct source *src, const struct action *a)
{
	act_calls++;
	action_finish((struct action *)a, ACTION_OK, "did %s", a->verb);
	return 0;
}

static const struct source_ops fake_ops = {.name = "fake", .kind = "alerts", .act = fake_act};

static char *audit_text(const char *dir)
{
	char *path = xasprintf("%s/audit.jsonl", dir);
	size_t len;
	char *t = util_read_file(path, 1 << 20, &len);
	free(path);
	return t != NULL ? t : xstrdup("");
}

static int last_result = -1;
static void done(struct action *a, enum action_result r, const char *msg, void *arg)
{
	last_result = (int)r;
}

static void test_read_only_refuses_and_records(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {.read_only = true};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &fake_ops, .cfg = &pc};
	struct action *a = action_new("silence", "DiskFull");
	action_add_param(a, "alertname", "DiskFull");
	char msg[200];
	act_calls = 0;
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_REFUSED);
	assert_int_equal(act_calls, 0);
	assert_non_null(strstr(msg, "read-only"));
	char *t = audit_text(dir);
	assert_non_null(strstr(t, "\"result\":\"refused\""));
	assert_non_null(strstr(t, "\"target\":\"DiskFull\""));
	free(t);

	app.read_only = false;
	a = action_new("silence", "DiskFull");
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_PENDING);
	assert_int_equal(act_calls, 1);
	assert_int_equal(last_result, ACTION_OK);
	t = audit_text(dir);
	assert_non_null(strstr(t, "\"result\":\"ok\""));
	assert_non_null(strstr(t, "did silence"));
	/* one JSON object per line: refused, started, ok */
	int lines = 0;
	for (char *p = t; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3);
	free(t);
	char *path = xasprintf("%s/audit.jsonl", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

static void test_durations(void **state)
{
	assert_true(action_parse_duration("2h") == 7200);
	assert_true(action_parse_duration("1h30m") == 5400);
	assert_true(action_parse_duration("45s") == 45);
	assert_true(action_parse_duration("1d") == 86400);
	assert_true(action_parse_duration("") < 0);
	assert_true(action_parse_duration("2") < 0);
	assert_true(action_parse_duration("h") < 0);
	assert_true(action_parse_duration("-1h") < 0);
}

static void test_describe_sanitizes(void **state)
{
	struct action *a = action_new("silence", "Evil\x1b[2J");
	a->duration_s = 1800;
	action_add_param(a, "alertname", "Evil\x1b[2J");
	char *d = action_describe(a);
	assert_null(strchr(d, '\x1b'));
	assert_non_null(strstr(d, "for 30m"));
	assert_non_null(strstr(d, "alertname="));
	free(d);
	action_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_only_refuses_and_records),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_describe_sanitizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
