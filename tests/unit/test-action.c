/* Unit tests of the action gate: read-only refuses without calling the
 * source and records the refusal; a permitted action reaches act(), and its
 * outcome is audited; durations and descriptions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	assert_true(action_parse_duration("infs") < 0);
	assert_true(action_parse_duration("1e308w") < 0);
	assert_true(action_parse_duration("1000000000w") < 0);
	assert_true(action_parse_duration("366d") == 366 * 86400);
	assert_true(action_parse_duration("367d") < 0);
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

/* No record, no action: an audit log that cannot be written stops the
 * action before act() runs, and says why. */
static void test_audit_first(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *audit = xasprintf("%s/audit.jsonl", dir);
	assert_int_equal(mkdir(audit, 0700), 0); /* a directory where the log should be */
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &fake_ops, .cfg = &pc};
	struct action *a = action_new("silence", "DiskFull");
	char msg[300];
	act_calls = 0;
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	assert_non_null(strstr(msg, "audit log"));
	rmdir(audit);
	/* a state dir others can write into is refused the same way */
	assert_int_equal(chmod(dir, 0777), 0);
	a = action_new("silence", "DiskFull");
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	chmod(dir, 0700);
	/* and a symlink in place of the log is not followed */
	char *target = xasprintf("%s/elsewhere", dir);
	assert_int_equal(symlink(target, audit), 0);
	a = action_new("silence", "DiskFull");
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	assert_int_not_equal(access(target, F_OK), 0);
	unlink(audit);
	free(target);
	free(audit);
	rmdir(dir);
}

static struct action *held;
static int slow_act(struct source *src, const struct action *a)
{
	act_calls++;
	held = (struct action *)a; /* the answer comes later */
	return 0;
}
static const struct source_ops slow_ops = {.name = "slow", .kind = "alerts", .act = slow_act};

/* One action in flight per pane; a cancelled confirmation is recorded; an
 * action still in flight at quit is recorded as unknown, not failed. */
static void test_one_in_flight_and_quit(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &slow_ops, .cfg = &pc};
	char msg[300];
	act_calls = 0;
	assert_int_equal(action_run(&app, &src, action_new("silence", "A"), done, NULL, msg, sizeof(msg)),
	                 ACTION_PENDING);
	assert_int_equal(action_in_flight(&app), 1);
	assert_int_equal(action_run(&app, &src, action_new("silence", "B"), done, NULL, msg, sizeof(msg)),
	                 ACTION_REFUSED);
	assert_non_null(strstr(msg, "still running"));
	assert_int_equal(act_calls, 1);
	action_not_confirmed(&app, &src, action_new("silence", "C"),
	                     "not confirmed (cancelled in the dashboard)");
	last_result = -1;
	assert_int_equal(action_abandon_all(&app), 1);
	assert_int_equal(last_result, ACTION_UNKNOWN);
	assert_int_equal(action_in_flight(&app), 0);
	/* the late answer is still recorded, and frees the action */
	action_finish(held, ACTION_OK, "silenced after all");
	char *t = audit_text(dir);
	assert_non_null(strstr(t, "\"target\":\"B\",\"pane\":\"alerts\",\"result\":\"refused\""));
	assert_non_null(strstr(t, "cancelled in the dashboard"));
	assert_non_null(strstr(t, "\"result\":\"unknown\""));
	assert_non_null(strstr(t, "sitrep quit before the answer"));
	assert_non_null(strstr(t, "silenced after all"));
	free(t);
	char *path = xasprintf("%s/audit.jsonl", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* Every state-file refusal stops the action before act() and names the
 * file and the reason: a FIFO (which used to block open() for ever), a
 * symlink, a log or dir another user could have written. */
static void test_audit_refusals_named(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *audit = xasprintf("%s/audit.jsonl", dir);
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &fake_ops, .cfg = &pc};
	char msg[600];
	act_calls = 0;

	assert_int_equal(mkfifo(audit, 0600), 0);
	assert_int_equal(action_run(&app, &src, action_new("silence", "A"), done, NULL, msg, sizeof(msg)),
	                 ACTION_FAILED);
	assert_non_null(strstr(msg, "audit.jsonl is a FIFO"));
	assert_int_equal(action_audit(&app, NULL, "x", NULL), -1);
	assert_int_equal(errno, EINVAL);
	unlink(audit);

	assert_int_equal(symlink("/nonexistent", audit), 0);
	assert_int_equal(action_run(&app, &src, action_new("silence", "A"), done, NULL, msg, sizeof(msg)),
	                 ACTION_FAILED);
	assert_non_null(strstr(msg, "audit.jsonl is a symbolic link"));
	unlink(audit);

	FILE *f = fopen(audit, "w");
	fclose(f);
	assert_int_equal(chmod(audit, 0666), 0);
	assert_int_equal(action_run(&app, &src, action_new("silence", "A"), done, NULL, msg, sizeof(msg)),
	                 ACTION_FAILED);
	assert_non_null(strstr(msg, "can be written by other users (mode 0666)"));
	char *t = audit_text(dir);
	assert_string_equal(t, ""); /* nothing appended to a file others could have planted */
	free(t);
	unlink(audit);

	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(
		    action_run(&app, &src, action_new("silence", "A"), done, NULL, msg, sizeof(msg)),
		    ACTION_FAILED);
		assert_non_null(strstr(msg, "belongs to uid 65534"));
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	assert_int_equal(act_calls, 0);
	free(audit);
	rmdir(dir);
}

static char *swap_dir;
static const char *last_msg_seen;
static char last_msg_buf[600];
static void done_msg(struct action *a, enum action_result r, const char *msg, void *arg)
{
	last_result = (int)r;
	snprintf(last_msg_buf, sizeof(last_msg_buf), "%s", msg);
	last_msg_seen = last_msg_buf;
}

/* act() runs, then the log turns into a FIFO before the outcome is written */
static int swapping_act(struct source *src, const struct action *a)
{
	act_calls++;
	char *audit = xasprintf("%s/audit.jsonl", swap_dir);
	unlink(audit);
	assert_int_equal(mkfifo(audit, 0600), 0);
	free(audit);
	action_finish((struct action *)a, ACTION_OK, "did %s", a->verb);
	return 0;
}
static const struct source_ops swapping_ops = {.name = "swap", .kind = "alerts", .act = swapping_act};

/* An outcome that cannot be recorded is not silent: the message the user
 * gets says so, with the reason. */
static void test_outcome_not_recorded_is_said(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	swap_dir = dir;
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &swapping_ops, .cfg = &pc};
	char msg[300];
	last_msg_seen = NULL;
	action_run(&app, &src, action_new("silence", "A"), done_msg, NULL, msg, sizeof(msg));
	assert_non_null(last_msg_seen);
	assert_int_equal(last_result, ACTION_OK);
	assert_non_null(strstr(last_msg_seen, "did silence"));
	assert_non_null(strstr(last_msg_seen, "not recorded in the audit log"));
	assert_non_null(strstr(last_msg_seen, "is a FIFO"));
	char *audit = xasprintf("%s/audit.jsonl", dir);
	unlink(audit);
	free(audit);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit_first),
	    cmocka_unit_test(test_one_in_flight_and_quit),
	    cmocka_unit_test(test_audit_refusals_named),
	    cmocka_unit_test(test_outcome_not_recorded_is_said),
	    cmocka_unit_test(test_read_only_refuses_and_records),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_describe_sanitizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
