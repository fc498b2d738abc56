/* Unit tests of the timeline store: events on the bus are persisted as JSON
 * lines (not the per-refresh data changes, not actions, whose record is the
 * audit log), read back by a new store beside the audit log in time order,
 * a state already recorded is not recorded again, the file rotates past its
 * bound, hostile text is stored inert, Markdown keeps outside text inert,
 * and the state files follow the state dir's rules (statefile.h): no symlink,
 * no FIFO, nothing another user could have written, created 0600, and every
 * failure named with its errno. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/sitrep-test-timeline.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	(void)rc;
	free(cmd);
	return 0;
}

static char *slurp(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	size_t len;
	char *t = util_read_file(path, 64 << 20, &len);
	free(path);
	return t != NULL ? t : xstrdup("");
}

static size_t count_lines(const char *t)
{
	size_t n = 0;
	for (; *t; t++)
		n += *t == '\n';
	return n;
}

/* An event as the bus carries it: core's own types by their names
 * ("deploy", "data", "action_started"); any other word is a kind's state
 * of that name, "new_error" and "error_spike" occurrences as backends/logs.c
 * sends them. */
static void publish(struct app *app, const char *what, enum event_level level, const char *pane,
                    const char *subject, const char *text, int64_t ms)
{
	int type = event_type_from_name(what);
	struct event ev = {.type = type >= 0 ? (enum event_type)type : EVENT_STATE,
	                   .name = type >= 0 ? NULL : what,
	                   .once = strcmp(what, "new_error") == 0 || strcmp(what, "error_spike") == 0,
	                   .level = level,
	                   .pane = pane,
	                   .subject = subject,
	                   .text = text,
	                   .time_ms = ms,
	                   .pane_index = -1};
	event_publish(&app->bus, &ev);
}

static void test_persist_and_read_back(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	publish(&app, "data", EVENT_INFO, "host", NULL, NULL, 1000);
	publish(&app, "status", EVENT_CRIT, "host", "CPU", "CPU crit: 99%", 2000000);
	publish(&app, "new_error", EVENT_WARN, "errors", "db <n>", "new error group: db 7 \x1b[2J", 3000000);
	publish(&app, "action_started", EVENT_INFO, "alerts", "silence X", "started", 3500000);
	assert_int_equal(timeline_count(tl), 3); /* data changes are not kept; the action is, in memory */
	char *file = slurp("timeline.jsonl");
	assert_int_equal(count_lines(file), 2); /* the action's record is the audit log */
	assert_non_null(strstr(file, "\"type\":\"status\""));
	assert_non_null(strstr(file, "\"type\":\"new_error\""));
	assert_null(strchr(file, '\x1b'));
	free(file);
	struct stat st;
	char *path = xasprintf("%s/timeline.jsonl", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	timeline_close(tl);

	/* an audit record between the two events, as core/action.c writes it */
	char *audit = xasprintf("%s/audit.jsonl", dir);
	FILE *f = fopen(audit, "w");
	fputs("{\"time\":\"1970-01-01T00:41:40Z\",\"user\":\"ana\",\"action\":\"silence\",\"target\":"
	      "\"HighCPU\","
	      "\"pane\":\"alerts\",\"result\":\"ok\"}\n",
	      f);
	fclose(f);
	free(audit);

	struct app again = {0};
	again.cfg.state_dir = dir;
	tl = timeline_open(&again, 1);
	assert_int_equal(timeline_count(tl), 3);
	assert_string_equal(timeline_entry(tl, 0)->type, "status");
	assert_string_equal(timeline_entry(tl, 1)->type, "action"); /* 2500 s: between the two */
	assert_string_equal(timeline_entry(tl, 1)->who, "ana");
	assert_string_equal(timeline_entry(tl, 2)->type, "new_error");
	assert_true(timeline_entry(tl, 2)->time_ms == 3000000);
	/* the same state again after the restart is not news; a change is */
	publish(&again, "status", EVENT_CRIT, "host", "CPU", "CPU crit: 98%", 4000000);
	assert_int_equal(timeline_count(tl), 3);
	publish(&again, "status", EVENT_OK, "host", "CPU", "CPU back to ok", 5000000);
	assert_int_equal(timeline_count(tl), 4);
	/* a new error group is always news */
	publish(&again, "new_error", EVENT_WARN, "errors", "db <n>", "again", 6000000);
	assert_int_equal(timeline_count(tl), 5);

	char *md = timeline_markdown(tl, 0);
	assert_non_null(strstr(md, "| time (UTC) |"));
	assert_non_null(strstr(md, "| ana | silence HighCPU | alerts | ok |"));
	free(md);
	md = timeline_markdown(tl, 4500000);
	assert_null(strstr(md, "silence"));
	assert_non_null(strstr(md, "back to ok"));
	free(md);
	timeline_close(tl);
}

/* A late event (a deploy found by the next poll, with its own earlier
 * time) takes its place by time in the store, the pane's copy and the
 * Markdown; equal times keep their arrival order. */
static void test_event_time_order(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	publish(&app, "error_spike", EVENT_CRIT, "errors", "spike", "errors spiking", 1708000);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r3", "deploy r3", 1704000);
	publish(&app, "new_error", EVENT_WARN, "errors", "first", "tie one", 1708000);
	publish(&app, "new_error", EVENT_WARN, "errors", "second", "tie two", 1708000);
	assert_int_equal(timeline_count(tl), 4);
	assert_string_equal(timeline_entry(tl, 0)->text, "deploy r3");
	assert_string_equal(timeline_entry(tl, 1)->text, "errors spiking");
	assert_string_equal(timeline_entry(tl, 2)->text, "tie one");
	assert_string_equal(timeline_entry(tl, 3)->text, "tie two");
	struct timeline_data *d = timeline_data_copy(tl, 10); /* the pane: newest first */
	assert_string_equal(d->entries[0].text, "tie two");
	assert_string_equal(d->entries[3].text, "deploy r3");
	timeline_data_free(d);
	char *full = timeline_markdown(tl, 0);
	char *md = strstr(full, "| time (UTC) |");
	assert_non_null(md);
	char *deploy = strstr(md, "deploy r3"), *spike = strstr(md, "errors spiking");
	assert_non_null(deploy);
	assert_non_null(spike);
	assert_true(deploy < spike);
	assert_true(strstr(md, "tie one") < strstr(md, "tie two"));
	free(full);
	timeline_close(tl);
}

/* The export opens with a summary: the first symptom and the deploy before
 * it, detection, each action's verified outcome, when it was over and the
 * three durations; then the table. Outside text in it is inert too. */
static void test_markdown_summary(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 0);
	char *md = timeline_markdown(tl, 0);
	assert_non_null(strstr(md, "No symptom recorded"));
	free(md);
	int64_t t0 = 1796083200000; /* 2026-12-01T00:00:00Z */
	publish(&app, "status", EVENT_OK, "host", "CPU", "CPU ok", t0 - 60000);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r3", "deploy r3 by carol", t0);
	publish(&app, "new_error", EVENT_INFO, "errors", "i", "info line", t0 + 1000);
	publish(&app, "status", EVENT_CRIT, "db", "storm", "storm <b>8 sessions</b>", t0 + 90000);
	publish(&app, "alert_firing", EVENT_WARN, "alerts", "Slow", "alert Slow firing", t0 + 100000);
	struct event ev = {.type = EVENT_ACTION_ENDED,
	                   .level = EVENT_OK,
	                   .pane = "db",
	                   .subject = "cancel 4242",
	                   .text = "ok: cancelled, verified gone",
	                   .key = "ana",
	                   .time_ms = t0 + 150000,
	                   .pane_index = -1};
	event_publish(&app.bus, &ev);
	publish(&app, "status", EVENT_OK, "db", "storm", "storm over", t0 + 200000);
	md = timeline_markdown(tl, 0);
	char *table = strstr(md, "| time (UTC) |");
	assert_non_null(table);
	assert_true(strncmp(md, "## Incident timeline\n\nSummary", 29) == 0);
	assert_non_null(strstr(md, "first symptom: 2026-12-01T00:01:30Z, `db: storm <b>8 sessions</b>`\n\n"));
	assert_non_null(
	    strstr(md, "changed before it: 2026-12-01T00:00:00Z, `deploys: deploy r3 by carol`\n\n"));
	assert_non_null(strstr(md, "detected: 2026-12-01T00:01:30Z"));
	assert_non_null(
	    strstr(md, "action: 2026-12-01T00:02:30Z, `ana cancel 4242: ok: cancelled, verified gone`\n\n"));
	/* the alert still fires: not over */
	assert_non_null(strstr(md, "over: not yet (1 state still warn or crit at the last entry)"));
	assert_non_null(strstr(md, "time to detect: 1m 30s (from the deploy)"));
	assert_non_null(strstr(md, "time to mitigate: 1m 00s"));
	assert_non_null(strstr(md, "time to resolve: not over"));
	assert_true(strstr(md, "over") < table);
	free(md);
	publish(&app, "alert_resolved", EVENT_OK, "alerts", "Slow", "alert Slow resolved", t0 + 290000);
	md = timeline_markdown(tl, 0);
	assert_non_null(strstr(md, "over: 2026-12-01T00:04:50Z, `alerts: alert Slow resolved`\n\n"));
	assert_non_null(strstr(md, "time to resolve: 3m 20s"));
	free(md);
	timeline_close(tl);
}

/* A timeline.jsonl written before events were generic (each kind's state
 * had a type of core's: status, alert_firing, asset_stale, pane_failed, ...;
 * new_error and error_spike were occurrences; no "once" field) reads back
 * whole, keeps its states' transitions (a state still so after the upgrade
 * is not news, its end is), and its summary counts the old occurrences as
 * such. Lines as core/timeline.c wrote them then. */
static void test_old_file_reads_back(void **state)
{
	char *path = xasprintf("%s/timeline.jsonl", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(
	    "{\"time\":\"2026-12-01T00:00:00Z\",\"ms\":1796083200000,\"type\":\"deploy\",\"level\":\"info\","
	    "\"pane\":\"deploys\",\"subject\":\"r41\",\"text\":\"deploy r41 by carol\",\"key\":\"r41\"}\n"
	    "{\"time\":\"2026-12-01T00:01:00Z\",\"ms\":1796083260000,\"type\":\"status\",\"level\":\"crit\","
	    "\"pane\":\"host\",\"subject\":\"CPU\",\"text\":\"CPU crit: 99 %\",\"key\":\"crit\"}\n"
	    "{\"time\":\"2026-12-01T00:01:10Z\",\"ms\":1796083270000,\"type\":\"new_error\",\"level\":"
	    "\"warn\","
	    "\"pane\":\"errors\",\"subject\":\"db <n>\",\"text\":\"new error group\",\"key\":\"00ff\"}\n"
	    "{\"time\":\"2026-12-01T00:01:20Z\",\"ms\":1796083280000,\"type\":\"error_spike\",\"level\":"
	    "\"crit\","
	    "\"pane\":\"errors\",\"subject\":\"errors/min\",\"text\":\"errors spiking\"}\n"
	    "{\"time\":\"2026-12-01T00:01:30Z\",\"ms\":1796083290000,\"type\":\"asset_stale\",\"level\":"
	    "\"warn\","
	    "\"pane\":\"cdn\",\"subject\":\"/app.js\",\"text\":\"/app.js stale\",\"key\":\"/app.js\"}\n"
	    "{\"time\":\"2026-12-01T00:01:40Z\",\"ms\":1796083300000,\"type\":\"alert_firing\",\"level\":"
	    "\"crit\","
	    "\"pane\":\"alerts\",\"subject\":\"HighCPU\",\"text\":\"HighCPU firing\",\"key\":\"fp1\"}\n"
	    "{\"time\":\"2026-12-01T00:01:50Z\",\"ms\":1796083310000,\"type\":\"pane_failed\",\"level\":"
	    "\"warn\","
	    "\"pane\":\"db\",\"subject\":\"db\",\"text\":\"connection refused\"}\n"
	    "{\"time\":\"2026-12-01T00:02:00Z\",\"ms\":1796083320000,\"type\":\"pane_recovered\",\"level\":"
	    "\"ok\","
	    "\"pane\":\"db\",\"subject\":\"db\",\"text\":\"postgres works again\"}\n"
	    "{\"time\":\"2026-12-01T00:02:10Z\",\"ms\":1796083330000,\"type\":\"asset_fresh\",\"level\":"
	    "\"ok\","
	    "\"pane\":\"cdn\",\"subject\":\"/app.js\",\"text\":\"/app.js fresh again\",\"key\":\"/app.js\"}\n"
	    "{\"time\":\"2026-12-01T00:02:20Z\",\"ms\":1796083340000,\"type\":\"note\",\"level\":\"info\","
	    "\"pane\":\"\",\"who\":\"ana\",\"subject\":\"\",\"text\":\"rolling back\"}\n",
	    f);
	fclose(f);
	free(path);
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	assert_non_null(tl);
	assert_null(timeline_state_error(tl, NULL));
	assert_int_equal(timeline_count(tl), 10);
	const char *types[] = {"deploy",       "status",      "new_error",      "error_spike", "asset_stale",
	                       "alert_firing", "pane_failed", "pane_recovered", "asset_fresh", "note"};
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		assert_string_equal(timeline_entry(tl, i)->type, types[i]);
	assert_string_equal(timeline_entry(tl, 9)->who, "ana");
	assert_true(timeline_entry(tl, 2)->once && timeline_entry(tl, 3)->once);
	assert_false(timeline_entry(tl, 1)->once || timeline_entry(tl, 5)->once);
	/* the alert and the CPU are still so, and the summary says which:
	 * the old occurrences are not states that stay open */
	char *md = timeline_markdown(tl, 0);
	assert_non_null(strstr(md, "first symptom: 2026-12-01T00:01:00Z"));
	assert_non_null(strstr(md, "over: not yet (2 states still warn or crit at the last entry)"));
	free(md);
	/* after the upgrade, the same states are not news; their ends are */
	publish(&app, "alert_firing", EVENT_CRIT, "alerts", "HighCPU", "HighCPU firing", 1796083400000);
	publish(&app, "status", EVENT_CRIT, "host", "CPU", "CPU crit: 97 %", 1796083410000);
	assert_int_equal(timeline_count(tl), 10);
	publish(&app, "alert_resolved", EVENT_OK, "alerts", "HighCPU", "HighCPU resolved", 1796083420000);
	publish(&app, "status", EVENT_OK, "host", "CPU", "CPU back to ok", 1796083430000);
	assert_int_equal(timeline_count(tl), 12);
	md = timeline_markdown(tl, 0);
	assert_non_null(strstr(md, "over: 2026-12-01T00:03:50Z, `host: CPU back to ok`"));
	free(md);
	/* and what is written now reads the same way: the state's own word */
	char *file = slurp("timeline.jsonl");
	assert_non_null(strstr(file, "\"type\":\"alert_resolved\",\"level\":\"ok\""));
	free(file);
	timeline_close(tl);
}

/* A deploy seen again (a restart finds the same release) is one entry; the
 * same id deployed again later is a new one. */
static void test_deploy_once(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r42", "deploy r42", 1000000);
	timeline_close(tl);
	struct app again = {0};
	again.cfg.state_dir = dir;
	tl = timeline_open(&again, 1);
	assert_int_equal(timeline_count(tl), 1);
	publish(&again, "deploy", EVENT_INFO, "deploys", "r42", "deploy r42", 1000000);
	assert_int_equal(timeline_count(tl), 1);
	publish(&again, "deploy", EVENT_INFO, "deploys", "r42", "deploy r42 again", 2000000);
	assert_int_equal(timeline_count(tl), 2);
	timeline_close(tl);
	char *file = slurp("timeline.jsonl");
	assert_int_equal(count_lines(file), 2);
	free(file);
}

/* Outside text in the Markdown export is inert: plain words stay as they
 * are; anything else goes into a code span whose fence is longer than any
 * backtick run inside, a '|' is escaped for GFM tables and a row stays one
 * line. (tests/integration/state-markdown.sh renders a hostile corpus with
 * real Markdown renderers.) */
static void test_markdown_cells(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 0);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r42", "a | b\nc", 1000);
	publish(&app, "new_error", EVENT_WARN, "errors", "x", "<img src=x onerror=alert(1)>", 2000);
	publish(&app, "new_error", EVENT_WARN, "errors", "y", "run `ls` then ``x``", 3000);
	publish(&app, "new_error", EVENT_WARN, "errors", "z", "`edge`", 4000);
	publish(&app, "new_error", EVENT_WARN, "errors", "w", "plain words, no-markup", 5000);
	char *full = timeline_markdown(tl, 0);
	/* the table; the summary above it is tested by test_markdown_summary */
	char *md = strstr(full, "| time (UTC) |");
	assert_non_null(md);
	assert_null(strstr(md, "a | b"));
	assert_non_null(strstr(md, "`a \\| b"));
	/* one line per entry: the table's header, its delimiter and five rows */
	assert_int_equal(count_lines(md), 2 + 5);
	assert_non_null(strstr(md, "| `<img src=x onerror=alert(1)>` |"));
	assert_non_null(strstr(md, "| ``` run `ls` then ``x`` ``` |"));
	assert_non_null(strstr(md, "| `` `edge` `` |"));
	assert_non_null(strstr(md, "| plain words, no-markup |"));
	assert_non_null(strstr(md, "| deploys | info |"));
	free(full);
	timeline_close(tl);
	/* persist 0: nothing written */
	char *file = slurp("timeline.jsonl");
	assert_string_equal(file, "");
	free(file);
}

static void test_rotation(void **state)
{
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	char text[1024];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	size_t n = TIMELINE_ROTATE_BYTES / 1000 + 100;
	for (size_t i = 0; i < n; i++)
		publish(&app, "new_error", EVENT_WARN, "errors", "s", text, (int64_t)(i + 1) * 1000);
	assert_int_equal(timeline_count(tl), TIMELINE_KEEP); /* memory is bounded too */
	timeline_close(tl);
	char *path = xasprintf("%s/timeline.jsonl", dir), *old = xasprintf("%s/timeline.jsonl.1", dir);
	struct stat a, b;
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(stat(old, &b), 0);
	assert_true((size_t)a.st_size <= TIMELINE_ROTATE_BYTES + 2048);
	assert_true((size_t)b.st_size <= TIMELINE_ROTATE_BYTES + 2048);
	free(path);
	free(old);
	/* read back: the newest TIMELINE_KEEP, the last one last */
	struct app again = {0};
	again.cfg.state_dir = dir;
	tl = timeline_open(&again, 0);
	assert_int_equal(timeline_count(tl), TIMELINE_KEEP);
	assert_true(timeline_entry(tl, TIMELINE_KEEP - 1)->time_ms == (int64_t)n * 1000);
	timeline_close(tl);
}

static void test_symlink_refused(void **state)
{
	/* the file is never followed through a symlink (it could point anywhere),
	 * and the failure says so, with ELOOP, not a silent loss */
	char *path = xasprintf("%s/timeline.jsonl", dir), *target = xasprintf("%s/elsewhere", dir);
	assert_int_equal(symlink(target, path), 0);
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 1);
	int err = 0;
	/* read at start: refused, named */
	assert_non_null(timeline_state_error(tl, &err));
	assert_int_equal(err, ELOOP);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r1", "deployed", 1000);
	const char *why = timeline_state_error(tl, &err);
	assert_non_null(why);
	assert_int_equal(err, ELOOP);
	assert_non_null(strstr(why, "events not saved"));
	assert_non_null(strstr(why, "timeline.jsonl is a symbolic link"));
	assert_int_not_equal(access(target, F_OK), 0);
	/* once the file can be written again, the error goes */
	unlink(path);
	publish(&app, "deploy", EVENT_INFO, "deploys", "r2", "deployed", 2000);
	assert_null(timeline_state_error(tl, NULL)); /* the start's read error too: same file */
	timeline_close(tl);
	char *file = slurp("timeline.jsonl");
	assert_non_null(strstr(file, "\"r2\""));
	free(file);
	free(path);
	free(target);
}

/* A FIFO in place of either file is refused at once (opened non-blocking,
 * then fstat), reading and writing: no open() that waits for a writer. */
static void test_fifo_refused(void **state)
{
	static const char *const names[] = {"timeline.jsonl", "audit.jsonl", "timeline.jsonl.1"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		assert_int_equal(mkfifo(path, 0600), 0);
		struct app app = {0};
		app.cfg.state_dir = dir;
		struct timeline *tl = timeline_open(&app, 1);
		int err = 0;
		const char *why = timeline_state_error(tl, &err);
		assert_non_null(why);
		assert_int_equal(err, EINVAL);
		assert_non_null(strstr(why, names[i]));
		assert_non_null(strstr(why, "is a FIFO"));
		publish(&app, "deploy", EVENT_INFO, "deploys", names[i], "deployed", 1000 + (int64_t)i);
		if (i == 0) { /* the one the store writes */
			why = timeline_state_error(tl, &err);
			assert_non_null(strstr(why, "events not saved"));
			assert_int_equal(err, EINVAL);
		} else { /* timeline.jsonl was written; the other file is still refused */
			why = timeline_state_error(tl, &err);
			assert_non_null(why);
			assert_non_null(strstr(why, "history not read"));
			assert_non_null(strstr(why, names[i]));
		}
		timeline_close(tl);
		unlink(path);
		free(path);
	}
}

/* The state dir and its files follow the audit log's rules: a dir or file
 * another user could have written is neither read (no forged entries) nor
 * written (nothing appended to someone else's file). */
static void test_foreign_state_refused(void **state)
{
	char *audit = xasprintf("%s/audit.jsonl", dir), *tlf = xasprintf("%s/timeline.jsonl", dir);
	FILE *f = fopen(audit, "w");
	fputs("{\"time\":\"2026-01-01T00:00:00Z\",\"user\":\"alice\",\"action\":\"rollback\","
	      "\"target\":\"r1\",\"result\":\"ok\"}\n",
	      f);
	fclose(f);
	struct {
		const char *what;
		mode_t dir_mode, file_mode;
		bool foreign_owner;
	} cases[] = {
	    {"dir writable by others", 0777, 0600, false},
	    {"dir writable by the group", 0770, 0600, false},
	    {"file writable by others", 0700, 0666, false},
	    {"dir of another user", 0700, 0600, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].foreign_owner && geteuid() != 0) {
			print_message("# skipped (needs root to chown): %s\n", cases[i].what);
			continue;
		}
		assert_int_equal(chmod(dir, cases[i].dir_mode), 0);
		assert_int_equal(chmod(audit, cases[i].file_mode), 0);
		if (cases[i].foreign_owner)
			assert_int_equal(chown(dir, 65534, 65534), 0);
		struct app app = {0};
		app.cfg.state_dir = dir;
		struct timeline *tl = timeline_open(&app, 1);
		assert_int_equal(timeline_count(tl), 0); /* alice's forged rollback is not shown */
		int err = 0;
		const char *why = timeline_state_error(tl, &err);
		assert_non_null(why);
		assert_int_equal(err, EPERM);
		publish(&app, "deploy", EVENT_INFO, "deploys", "r1", "deployed", 1000);
		why = timeline_state_error(tl, &err);
		if (cases[i].file_mode == 0600) { /* the dir is refused: nothing written there */
			assert_non_null(strstr(why, "events not saved"));
			assert_int_equal(err, EPERM);
			assert_int_not_equal(access(tlf, F_OK), 0);
		}
		timeline_close(tl);
		unlink(tlf);
		if (cases[i].foreign_owner)
			assert_int_equal(chown(dir, 0, 0), 0);
	}
	/* and an other user's timeline file in our dir is not appended to */
	if (geteuid() == 0) {
		assert_int_equal(chmod(dir, 0700), 0);
		assert_int_equal(chmod(audit, 0600), 0);
		f = fopen(tlf, "w");
		fclose(f);
		assert_int_equal(chown(tlf, 65534, 65534), 0);
		struct app app = {0};
		app.cfg.state_dir = dir;
		struct timeline *tl = timeline_open(&app, 1);
		publish(&app, "deploy", EVENT_INFO, "deploys", "r9", "deployed", 9000);
		int err = 0;
		assert_non_null(strstr(timeline_state_error(tl, &err), "belongs to uid 65534"));
		assert_int_equal(err, EPERM);
		timeline_close(tl);
		char *t = slurp("timeline.jsonl");
		assert_string_equal(t, "");
		free(t);
	}
	chmod(dir, 0700);
	free(audit);
	free(tlf);
}

/* `e` writes a new file, 0600 whatever the umask, and a second export in the
 * same second does not fail on the name. */
static void test_export_private(void **state)
{
	mode_t old = umask(0);
	struct app app = {0};
	app.cfg.state_dir = dir;
	struct timeline *tl = timeline_open(&app, 0);
	publish(&app, "new_error", EVENT_WARN, "errors", "x", "<iframe src=//evil>", 1000);
	char *a = NULL, *b = NULL;
	char msg[600];
	assert_int_equal(timeline_export(tl, &a, msg, sizeof(msg)), 0);
	assert_int_equal(timeline_export(tl, &b, msg, sizeof(msg)), 0);
	assert_string_not_equal(a, b);
	struct stat st;
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t len;
	char *text = util_read_file(a, 1 << 20, &len);
	assert_non_null(strstr(text, "| `<iframe src=//evil>` |"));
	free(text);
	/* a dir others can write into gets no export */
	assert_int_equal(chmod(dir, 0777), 0);
	char *c = NULL;
	assert_int_equal(timeline_export(tl, &c, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(msg, "can be written by other users"));
	chmod(dir, 0700);
	umask(old);
	free(a);
	free(b);
	timeline_close(tl);
}

/* The shared opener's refusals, one per kind of thing that can stand in a
 * state file's place or in the dir's, each with its errno and the file named. */
static void test_statefile_kinds(void **state)
{
	char msg[STATEFILE_MSG_MAX];
	char *sub = xasprintf("%s/sub", dir), *sock = xasprintf("%s/sock", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(state_open(dir, "sub", STATEFILE_READ, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(msg, "sub is a directory"));
	assert_int_equal(state_open(dir, "sub", STATEFILE_APPEND, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EISDIR);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(state_open(dir, "sock", STATEFILE_APPEND, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(msg, "sock is a socket"));
	close(s);
	/* a missing file to read is ENOENT (nothing recorded yet), not a refusal */
	assert_int_equal(state_open(dir, "none", STATEFILE_READ, msg, sizeof(msg)), -1);
	assert_int_equal(errno, ENOENT);
	/* created 0600 whatever the umask */
	mode_t old = umask(0);
	int fd = state_open(dir, "new", STATEFILE_CREATE, msg, sizeof(msg));
	umask(old);
	assert_true(fd >= 0);
	close(fd);
	struct stat st;
	char *created = xasprintf("%s/new", dir);
	assert_int_equal(stat(created, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(state_open(dir, "new", STATEFILE_CREATE, msg, sizeof(msg)), -1);
	assert_int_equal(errno, EEXIST);
	/* the state dir itself a symlink (also written with a trailing slash) */
	char *link = xasprintf("%s/link", dir), *slashed = xasprintf("%s/link/", dir);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(state_open(link, "x", STATEFILE_APPEND, msg, sizeof(msg)), -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(msg, "is a symbolic link, not a directory"));
	assert_int_equal(state_open(slashed, "x", STATEFILE_APPEND, msg, sizeof(msg)), -1);
	assert_int_equal(errno, ELOOP);
	char *through = xasprintf("%s/x", sub);
	assert_int_not_equal(access(through, F_OK), 0);
	/* a missing state dir is made 0700 for a write, with its parents */
	char *deep = xasprintf("%s/a/b/state", dir);
	fd = state_open(deep, "timeline.jsonl", STATEFILE_APPEND, msg, sizeof(msg));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(deep);
	free(through);
	free(link);
	free(slashed);
	free(created);
	free(sub);
	free(sock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_persist_and_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_markdown_cells, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deploy_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_time_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_markdown_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_file_reads_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_state_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_statefile_kinds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
