/* Unit tests of the action gate: read-only refuses without calling the
 * source and records the refusal; a permitted action reaches act(), and its
 * outcome is audited (unverified apart from failed); a message cut inside a
 * character ends before it; an action's output is shown line by line, each
 * line masked whole; durations and descriptions. */
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

#include "sitrep/core/action.h"
#include "sitrep/kinds/alerts.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

static int act_calls;

static int fake_act(struct source *src, const struct action *a)
{
	act_calls++;
	action_finish((struct action *)a, ACTION_OK, "did %s", a->verb->name);
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
	struct action *a = action_new(&kind_alerts_silence, "DiskFull");
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
	a = action_new(&kind_alerts_silence, "DiskFull");
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

/* A verb whose description reads the moment (like a cancel's, which reads
 * the pane's rows, gone once the queries are cancelled). */
static int describe_calls;
static char *moment_describe(const struct action *a)
{
	(void)a;
	return xasprintf("rows as seen at call %d", ++describe_calls);
}
static const struct verb moment_verb = {
    .name = "moment", .confirm = VERB_CONFIRM_Y, .describe = moment_describe};

/* Every audit record of one action says what the user confirmed: the
 * description is frozen at the dialog, not rebuilt from later data. */
static void test_what_is_frozen(void **state)
{
	(void)state;
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pane_config pc = {.id = "p", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &fake_ops, .cfg = &pc};
	describe_calls = 0;
	struct action *a = action_new(&moment_verb, "x");
	assert_string_equal(action_what_confirmed(a), "rows as seen at call 1"); /* the dialog */
	assert_string_equal(action_what_confirmed(a), "rows as seen at call 1");
	char msg[200];
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_PENDING);
	char *t = audit_text(dir);
	/* started and ok, both with the confirmed text; never a later one */
	char *first = strstr(t, "rows as seen at call 1");
	assert_non_null(first);
	assert_non_null(strstr(first + 1, "rows as seen at call 1"));
	assert_null(strstr(t, "call 2"));
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
	struct action *a = action_new(&kind_alerts_silence, "Evil\x1b[2J");
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
	struct action *a = action_new(&kind_alerts_silence, "DiskFull");
	char msg[300];
	act_calls = 0;
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	assert_non_null(strstr(msg, "audit log"));
	rmdir(audit);
	/* a state dir others can write into is refused the same way */
	assert_int_equal(chmod(dir, 0777), 0);
	a = action_new(&kind_alerts_silence, "DiskFull");
	assert_int_equal(action_run(&app, &src, a, done, NULL, msg, sizeof(msg)), ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	chmod(dir, 0700);
	/* and a symlink in place of the log is not followed */
	char *target = xasprintf("%s/elsewhere", dir);
	assert_int_equal(symlink(target, audit), 0);
	a = action_new(&kind_alerts_silence, "DiskFull");
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
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL, msg, sizeof(msg)),
	    ACTION_PENDING);
	assert_int_equal(action_in_flight(&app), 1);
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "B"), done, NULL, msg, sizeof(msg)),
	    ACTION_REFUSED);
	assert_non_null(strstr(msg, "still running"));
	assert_int_equal(act_calls, 1);
	action_not_confirmed(&app, &src, action_new(&kind_alerts_silence, "C"),
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
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL, msg, sizeof(msg)),
	    ACTION_FAILED);
	assert_non_null(strstr(msg, "audit.jsonl is a FIFO"));
	assert_int_equal(action_audit(&app, NULL, "x", NULL), -1);
	assert_int_equal(errno, EINVAL);
	unlink(audit);

	assert_int_equal(symlink("/nonexistent", audit), 0);
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL, msg, sizeof(msg)),
	    ACTION_FAILED);
	assert_non_null(strstr(msg, "audit.jsonl is a symbolic link"));
	unlink(audit);

	FILE *f = fopen(audit, "w");
	fclose(f);
	assert_int_equal(chmod(audit, 0666), 0);
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL, msg, sizeof(msg)),
	    ACTION_FAILED);
	assert_non_null(strstr(msg, "can be written by other users (mode 0666)"));
	char *t = audit_text(dir);
	assert_string_equal(t, ""); /* nothing appended to a file others could have planted */
	free(t);
	unlink(audit);

	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL,
		                            msg, sizeof(msg)),
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
	action_finish((struct action *)a, ACTION_OK, "did %s", a->verb->name);
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
	action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done_msg, NULL, msg, sizeof(msg));
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

/* ---- unverified: sent, its effect not checked ---- */

static int unverified_act(struct source *src, const struct action *a)
{
	act_calls++;
	action_finish((struct action *)a, ACTION_UNVERIFIED, "purge accepted, unverified after 2 s");
	return 0;
}
static const struct source_ops unverified_ops = {.name = "unv", .kind = "cdn", .act = unverified_act};

static enum event_level last_end_level;
static char last_end_text[600];
static void on_end(const struct event *ev, void *arg)
{
	(void)arg;
	last_end_level = ev->level;
	snprintf(last_end_text, sizeof(last_end_text), "%s", ev->text);
}

/* An action that was sent but whose effect could not be verified is recorded
 * "unverified" (not "failed", not "ok"), reaches done as ACTION_UNVERIFIED,
 * and its event is a warning that says unverified. */
static void test_unverified_is_its_own_result(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pane_config pc = {.id = "cdn", .kind = "cdn"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	assert_int_equal(event_subscribe(&app.bus, EVENT_BIT(EVENT_ACTION_ENDED), on_end, NULL), 0);
	struct source src = {.ops = &unverified_ops, .cfg = &pc};
	char msg[300];
	last_result = -1;
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_cdn_purge, "/x"), done, NULL, msg, sizeof(msg)),
	    ACTION_PENDING);
	assert_int_equal(last_result, ACTION_UNVERIFIED);
	char *t = audit_text(dir);
	assert_non_null(strstr(t, "\"result\":\"unverified\""));
	assert_null(strstr(t, "\"result\":\"failed\""));
	free(t);
	assert_int_equal(last_end_level, EVENT_WARN);
	assert_true(strncmp(last_end_text, "unverified: purge accepted", 26) == 0);
	assert_string_equal(action_result_word(ACTION_UNVERIFIED), "unverified");
	assert_string_equal(action_result_word(ACTION_FAILED), "failed");
	assert_string_equal(action_result_word(ACTION_UNKNOWN), "unknown");
	event_bus_clear(&app.bus);
	char *path = xasprintf("%s/audit.jsonl", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* ---- messages cut inside a character ---- */

static void test_utf8_trim(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "plain"},
	    {"", ""},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},               /* whole 2-byte character */
	    {"caf\xc3", "caf"},                           /* its lead byte alone */
	    {"arrow \xe2\x86\x92", "arrow \xe2\x86\x92"}, /* whole 3-byte */
	    {"arrow \xe2\x86", "arrow "},                 /* cut after 2 of 3 */
	    {"arrow \xe2", "arrow "},                     /* cut after 1 of 3 */
	    {"emoji \xf0\x9f\x98\x80", "emoji \xf0\x9f\x98\x80"},
	    {"emoji \xf0\x9f\x98", "emoji "},
	    {"emoji \xf0\x9f", "emoji "},
	    {"emoji \xf0", "emoji "},
	    {"stray \x80", "stray \x80"}, /* not a cut character: left to the sanitizer */
	    {"\xe2\x86", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = xstrdup(cases[i].in);
		assert_int_equal(util_utf8_trim(s), strlen(cases[i].out));
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	const char *t = "ab\xe2\x86\x92xyz";
	assert_string_equal(util_utf8_tail(t, 4), "xyz"); /* never starts inside the arrow */
	assert_string_equal(util_utf8_tail(t, 6), "\xe2\x86\x92xyz");
	assert_string_equal(util_utf8_tail(t, 100), t);
}

/* prepare fails with a message its buffer cut inside "→" */
static int cutting_prepare(struct source *src, struct action *a, char *msg, size_t cap)
{
	snprintf(msg, cap, "no such path: /static/\xe2\x86\x92\xe2\x86\x92\xe2\x86\x92");
	return -1;
}
static const struct source_ops cutting_ops = {
    .name = "cut", .kind = "alerts", .prepare = cutting_prepare, .act = fake_act};

static int cut_finish_act(struct source *src, const struct action *a)
{
	/* what snprintf leaves in a 22-byte buffer: the second arrow cut after its first byte */
	static const char full[] = "refused: /static/\xe2\x86\x92\xe2\x86\x92";
	char buf[22];
	memcpy(buf, full, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	action_finish((struct action *)a, ACTION_FAILED, "%s", buf);
	return 0;
}
static const struct source_ops cut_finish_ops = {.name = "cutf", .kind = "alerts", .act = cut_finish_act};

/* Whatever buffer a source's message was cut by, what the user, the audit log
 * and the events get ends on a whole character: no partial UTF-8 (which the
 * sanitizer would show as \xE2 in the record, and which reached stderr raw). */
static void test_cut_messages_end_whole(void **state)
{
	char dir[] = "/tmp/sitrep-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct pane_config pc = {.id = "alerts", .kind = "alerts"};
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct source src = {.ops = &cutting_ops, .cfg = &pc};
	/* "no such path: /static/" is 22 bytes; 27 leaves "→" and 2 bytes of the next */
	char msg[28];
	act_calls = 0;
	assert_int_equal(
	    action_run(&app, &src, action_new(&kind_alerts_silence, "A"), done, NULL, msg, sizeof(msg)),
	    ACTION_FAILED);
	assert_int_equal(act_calls, 0);
	assert_string_equal(msg, "no such path: /static/\xe2\x86\x92");
	char small[25]; /* the first arrow cut after 2 of its 3 bytes */
	struct action *a = action_new(&kind_alerts_silence, "A");
	assert_int_equal(action_prepare(&src, a, small, sizeof(small)), -1);
	assert_string_equal(small, "no such path: /static/");
	action_free(a);

	struct source src2 = {.ops = &cut_finish_ops, .cfg = &pc};
	last_msg_seen = NULL;
	action_run(&app, &src2, action_new(&kind_alerts_silence, "B"), done_msg, NULL, msg, sizeof(msg));
	assert_non_null(last_msg_seen);
	assert_string_equal(last_msg_seen, "refused: /static/\xe2\x86\x92");

	/* the audit writer: a detail cut inside a character */
	a = action_new(&kind_alerts_silence, "C");
	assert_int_equal(action_audit(&app, a, "failed", "cut: \xe2\x86\x92\xe2\x86"), 0);
	action_free(a);
	char *t = audit_text(dir);
	assert_null(strstr(t, "\\x")); /* no byte shown escaped */
	assert_non_null(
	    strstr(t, "\"detail\":\"no such path: /static/\xe2\x86\x92\"")); /* the prepare error */
	assert_non_null(strstr(t, "\"detail\":\"cut: \xe2\x86\x92\""));
	free(t);
	char *path = xasprintf("%s/audit.jsonl", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* ---- progress: lines whole, secrets masked across chunks ---- */

static char progress_lines[16][400];
static size_t nprogress;
static void on_progress(const struct event *ev, void *arg)
{
	(void)arg;
	if (nprogress < 16)
		snprintf(progress_lines[nprogress++], sizeof(progress_lines[0]), "%s", ev->text);
}

/* A restart prints a token; the pipe hands it over in two chunks that split
 * it. Sanitized chunk by chunk, neither half was the secret and a piece of
 * up to 7 bytes showed; held until the line ends, the line is masked whole.
 * A line split across chunks is one line; stdout and stderr stay apart; a
 * last line with no line break is shown when the action ends; an overlong
 * line is shown cut, its rest dropped. */
static void test_progress_lines_whole(void **state)
{
	static const char secret[] = "ghp_Zq8Xw3Rt9Lp2Vn6Bc4Hy7Jm1Kd5Fs0Ga";
	sanitize_add_secret(secret);
	struct pane_config pc = {.id = "deploys", .kind = "deploys"};
	struct app app = {0};
	assert_int_equal(event_subscribe(&app.bus, EVENT_BIT(EVENT_ACTION_PROGRESS), on_progress, NULL), 0);
	struct source src = {.ops = &fake_ops, .cfg = &pc};
	struct action *a = action_new(&kind_deploys_restart, "app");
	a->app = &app;
	a->src = &src;
	nprogress = 0;

	/* the secret split 5 bytes from its end, then 3 from its start */
	char *one = xasprintf("pulling with token %.*s", (int)(sizeof(secret) - 1 - 5), secret);
	action_progress(a, one, strlen(one));
	free(one);
	assert_int_equal(nprogress, 0); /* no line yet */
	char *two = xasprintf("%s ok\nnext %.3s", secret + sizeof(secret) - 1 - 5, secret);
	action_progress(a, two, strlen(two));
	free(two);
	assert_int_equal(nprogress, 1);
	assert_string_equal(progress_lines[0], "pulling with token *** ok");
	/* stderr between the halves of a stdout line is a line of its own */
	action_progress_stream(a, true, "warning: slow\n", 14);
	assert_int_equal(nprogress, 2);
	assert_string_equal(progress_lines[1], "warning: slow");
	action_progress(a, secret + 3, sizeof(secret) - 1 - 3);
	action_progress(a, " done\r\n", 7);
	assert_int_equal(nprogress, 3);
	assert_string_equal(progress_lines[2], "next *** done");
	for (size_t i = 0; i < nprogress; i++)
		for (size_t k = 0; k + 4 <= sizeof(secret) - 1; k++)
			assert_null(memmem(progress_lines[i], strlen(progress_lines[i]), secret + k, 4));

	/* an overlong line: shown once, cut; its rest dropped up to its end */
	char *big = xmalloc(ACTION_PROGRESS_LINE_MAX * 2);
	memset(big, 'x', ACTION_PROGRESS_LINE_MAX * 2);
	action_progress(a, big, ACTION_PROGRESS_LINE_MAX * 2);
	free(big);
	assert_int_equal(nprogress, 4);
	assert_non_null(strstr(progress_lines[3], SANITIZE_CUT_MARK));
	action_progress(a, "xxxx\nafter\nlast words", 21);
	assert_int_equal(nprogress, 5);
	assert_string_equal(progress_lines[4], "after");
	/* the end of the action shows the last line */
	action_finish(a, ACTION_OK, "restarted");
	assert_int_equal(nprogress, 6);
	assert_string_equal(progress_lines[5], "last words");
	event_bus_clear(&app.bus);
	sanitize_forget_secrets();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_audit_first),
	    cmocka_unit_test(test_one_in_flight_and_quit),
	    cmocka_unit_test(test_audit_refusals_named),
	    cmocka_unit_test(test_outcome_not_recorded_is_said),
	    cmocka_unit_test(test_read_only_refuses_and_records),
	    cmocka_unit_test(test_what_is_frozen),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_describe_sanitizes),
	    cmocka_unit_test(test_unverified_is_its_own_result),
	    cmocka_unit_test(test_utf8_trim),
	    cmocka_unit_test(test_cut_messages_end_whole),
	    cmocka_unit_test(test_progress_lines_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
