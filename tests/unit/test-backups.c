/* test-backups: the backups model: the verdicts (none, zero bytes, too old,
 * twice too old, shrunk, archiver failing, a vanished directory), the
 * comparison with the deploy marks ("no backup since r3"), the events and
 * hint that follow, the parsers of pgbackrest info, of the archiver row and
 * of LSNs (hostile text made inert, raw identity kept), the dump directory
 * scan (formats, zero bytes, a truncated plain dump, symlinks never
 * followed, hostile names), the shell quoting of the restore commands and
 * the --once JSON shape. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/backups-common.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

#define NOW 1800000000LL

static struct backup *add(struct backup_set *s, int64_t t, int64_t size, const char *label)
{
	struct backup *b = backups_add(s);
	b->time = t;
	b->size = size;
	backups_set_text(&b->label, label);
	backups_set_text(&b->type, "dump");
	return b;
}

static struct backups_data *one_set(void)
{
	struct backups_data *d = backups_data_new(1);
	backups_set_text(&d->sets[0].name, "app");
	backups_set_text(&d->sets[0].where, "/b/*.dump");
	d->sets[0].max_age_s = 3600;
	return d;
}

static void test_judge(void **state)
{
	(void)state;
	struct backups_data *d = one_set();
	struct backup_set *s = &d->sets[0];
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	assert_non_null(strstr(s->reason, "no backup found"));

	add(s, NOW - 7200, 1000, "old.dump");
	add(s, NOW - 600, 900, "new.dump");
	backups_sort(s);
	assert_string_equal(backups_newest(s)->label, "new.dump");
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_OK);
	assert_null(s->reason);

	/* older than max_age: warn; older than twice: crit */
	s->backups[0].time = NOW - 4000;
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_WARN);
	assert_non_null(strstr(s->reason, "max_age 1h"));
	s->backups[0].time = NOW - 7300;
	s->backups[1].time = NOW - 9000;
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	assert_non_null(strstr(s->reason, "2 x max_age"));

	/* shrink: 60 % smaller than the one before warns at the default 50 % */
	s->backups[0].time = NOW - 60;
	s->backups[0].size = 400;
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_WARN);
	assert_non_null(strstr(s->reason, "60 % smaller"));
	s->backups[0].size = 600; /* 40 % smaller: fine */
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_OK);

	/* a zero-byte newest: crit, whatever the one before */
	s->backups[0].size = 0;
	s->backups[0].complete = false;
	backups_set_text(&s->backups[0].problem, "zero bytes");
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	assert_non_null(strstr(s->reason, "zero bytes"));
	s->backups[0].complete = true;
	s->backups[0].size = 600;

	/* the archiver failing: crit */
	s->risk.known = true;
	s->risk.failing = true;
	s->risk.failed_count = 3;
	backups_set_text(&s->risk.last_failed_wal, "000000010000000000000009");
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	assert_non_null(strstr(s->reason, "archiving is failing"));
	s->risk.failing = false;

	/* the directory vanished: crit, its words */
	backups_set_text(&s->error, "backup directory /b: No such file or directory");
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	assert_non_null(strstr(s->reason, "No such file"));
	backups_data_free(d);
}

static void test_against_deploys(void **state)
{
	(void)state;
	struct app app;
	memset(&app, 0, sizeof(app));
	struct marks *m = marks_open(&app);
	app.marks = m;
	struct backups_data *d = one_set();
	struct backup_set *s = &d->sets[0];
	add(s, NOW - 5000, 100, "before-r2.dump");
	backups_against_deploys(s, m);
	assert_false(s->deploy.known); /* no deploys: nothing said */

	marks_add(m, (NOW - 6000) * 1000, "r1");
	marks_add(m, (NOW - 4000) * 1000, "r2");
	marks_add(m, (NOW - 1000) * 1000, "r3");
	backups_against_deploys(s, m);
	assert_true(s->deploy.known);
	assert_false(s->deploy.covered); /* the backup before r2 says nothing of r2's writes */
	assert_string_equal(s->deploy.deploy, "r3");
	assert_string_equal(s->deploy.previous, "r2");
	assert_string_equal(s->deploy.text, "no backup since r3 \u2717");

	/* the hint names it, and the pane's health is not ok */
	char *h = kind_backups.hint(d);
	assert_non_null(strstr(h, "no backup since r3"));
	free(h);
	s->verdict = BACKUPS_OK;                             /* were the backup itself fine... */
	assert_int_equal(kind_backups.level(d), LEVEL_WARN); /* ...the deploy is not covered */

	/* one taken 14 min before r3 covers it */
	add(s, NOW - 1000 - 14 * 60, 100, "before-r3.dump");
	backups_sort(s);
	backups_against_deploys(s, m);
	assert_true(s->deploy.covered);
	assert_int_equal(s->deploy.seconds_before, 14 * 60);
	assert_string_equal(s->deploy.text, "newest backup 14 min before r3 \u2713");
	backups_judge(s, NOW);
	h = kind_backups.hint(d);
	assert_null(h);
	assert_int_equal(kind_backups.level(d), LEVEL_OK);

	/* only one after the deploy (B pressed later): covered, said so */
	s->backups[0].time = NOW - 300;
	backups_against_deploys(s, m);
	assert_true(s->deploy.covered);
	assert_string_equal(s->deploy.text, "newest backup 11 min after r3 \u2713");
	/* an incomplete one covers nothing */
	s->backups[0].complete = false;
	backups_against_deploys(s, m);
	assert_false(s->deploy.covered);
	backups_data_free(d);
	marks_close(m);
}

struct seen {
	int n;
	char text[8][300];
	char subject[8][100];
	enum event_level level[8];
};

static void on_event(const struct event *ev, void *arg)
{
	struct seen *s = arg;
	if (s->n < 8) {
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", ev->text);
		snprintf(s->subject[s->n], sizeof(s->subject[0]), "%s", ev->subject);
		s->level[s->n] = ev->level;
	}
	s->n++;
}

static void test_events(void **state)
{
	(void)state;
	struct app app;
	memset(&app, 0, sizeof(app));
	struct marks *m = marks_open(&app);
	app.marks = m;
	struct seen seen = {0};
	assert_int_equal(event_subscribe(&app.bus, EVENT_BIT(EVENT_STATE), on_event, &seen), 0);
	struct pane_config pc = {.id = (char *)"backups", .source = (char *)"dir"};
	struct source src = {.app = &app, .cfg = &pc, .index = 0};
	marks_add(m, (NOW - 4000) * 1000, "r2");
	marks_add(m, (NOW - 1000) * 1000, "r3");

	struct backups_data *a = one_set();
	add(&a->sets[0], NOW - 1200, 100, "x.dump");
	a->sets[0].max_age_s = 1e9;
	backups_against_deploys(&a->sets[0], m);
	backups_judge(&a->sets[0], NOW);
	kind_backups.diff(&src, NULL, a);
	assert_int_equal(seen.n, 0); /* ok and covered at start: no news */

	struct backups_data *b = one_set();
	add(&b->sets[0], NOW - 5000, 100, "y.dump");
	b->sets[0].max_age_s = 1e9;
	backups_against_deploys(&b->sets[0], m);
	backups_judge(&b->sets[0], NOW);
	kind_backups.diff(&src, a, b);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.subject[0], "app before r3");
	assert_string_equal(seen.text[0], "r3 deployed with no backup of app since r2");
	assert_int_equal(seen.level[0], EVENT_WARN);
	kind_backups.diff(&src, b, b); /* the same state again: nothing */
	assert_int_equal(seen.n, 1);
	/* a backup taken (B): ok again, once */
	kind_backups.diff(&src, b, a);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.level[1], EVENT_OK);
	/* the verdict turning crit is an event of the set */
	struct backups_data *c = one_set();
	backups_against_deploys(&c->sets[0], m);
	backups_judge(&c->sets[0], NOW);
	seen.n = 0;
	kind_backups.diff(&src, a, c);
	assert_true(seen.n >= 1);
	assert_string_equal(seen.subject[0], "app");
	assert_int_equal(seen.level[0], EVENT_CRIT);
	backups_data_free(a);
	backups_data_free(b);
	backups_data_free(c);
	event_unsubscribe(&app.bus, on_event, &seen);
	marks_close(m);
	event_bus_clear(&app.bus);
}

static char *slurp(const char *path, size_t *len)
{
	char *t = util_read_file(path, 1 << 20, len);
	assert_non_null(t);
	return t;
}

static void test_pgbackrest_parse(void **state)
{
	(void)state;
	size_t len;
	char *json = slurp(TEST_DATA "/backups/pgbackrest-info.json", &len);
	char err[256];
	struct backups_data *d = one_set();
	struct backup_set *s = &d->sets[0];
	assert_int_equal(pgbackrest_parse_info(s, json, len, "app", err, sizeof(err)), 0);
	assert_int_equal(s->nbackups, 2);
	const struct backup *n = backups_newest(s);
	assert_string_equal(n->type, "incr");
	assert_string_equal(n->stop_lsn, "0/4000138");
	assert_true(n->complete);
	assert_int_equal(n->size, 26621430);
	assert_int_equal(n->stored, 578380);
	assert_string_equal(backups_previous(s)->type, "full");
	assert_null(s->running);
	backups_data_free(d);

	/* another stanza, not JSON, a broken stanza: errors, not a set */
	d = one_set();
	assert_int_equal(pgbackrest_parse_info(&d->sets[0], json, len, "other", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no stanza other"));
	assert_int_equal(pgbackrest_parse_info(&d->sets[0], "<html>", 6, "app", err, sizeof(err)), -1);
	static const char broken[] =
	    "[{\"name\":\"app\",\"status\":{\"code\":1,\"message\":\"missing stanza path\"},\"backup\":[]}]";
	assert_int_equal(pgbackrest_parse_info(&d->sets[0], broken, strlen(broken), "app", err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "missing stanza path"));
	/* no valid backups: a set with none (crit), a lock held: running */
	static const char none[] =
	    "[{\"name\":\"app\",\"status\":{\"code\":2,\"message\":\"no valid backups\","
	    "\"lock\":{\"backup\":{\"held\":true}}},\"backup\":[]}]";
	assert_int_equal(pgbackrest_parse_info(&d->sets[0], none, strlen(none), "app", err, sizeof(err)), 0);
	assert_int_equal(d->sets[0].nbackups, 0);
	assert_non_null(d->sets[0].running);
	backups_data_free(d);

	/* a hostile label is shown inert and kept raw; an errored backup is not usable */
	static const char hostile[] =
	    "[{\"name\":\"app\",\"status\":{\"code\":0},\"backup\":["
	    "{\"label\":\"x\\u001b[2J$(rm -rf "
	    "~)\",\"type\":\"full\",\"timestamp\":{\"start\":10,\"stop\":20},"
	    "\"lsn\":{\"stop\":\"0/10\"},\"info\":{\"size\":5}},"
	    "{\"label\":\"y\",\"type\":\"incr\",\"error\":true,\"timestamp\":{\"start\":30,\"stop\":40},"
	    "\"lsn\":{\"stop\":\"0/20\"}},"
	    "{\"label\":\"z\",\"type\":\"incr\",\"timestamp\":{\"start\":50,\"stop\":\"soon\"}}]}]";
	d = one_set();
	assert_int_equal(
	    pgbackrest_parse_info(&d->sets[0], hostile, strlen(hostile), "app", err, sizeof(err)), 0);
	assert_int_equal(d->sets[0].nbackups, 2); /* "z" has no stop time: not a backup */
	assert_false(d->sets[0].backups[0].complete);
	assert_non_null(strstr(d->sets[0].backups[0].problem, "errors"));
	const struct backup *h = &d->sets[0].backups[1];
	assert_null(strchr(h->label, '\x1b'));
	assert_string_equal(h->raw, "x\x1b[2J$(rm -rf ~)");
	backups_data_free(d);
	free(json);
}

static void test_archiver_parse(void **state)
{
	(void)state;
	struct backups_risk r;
	memset(&r, 0, sizeof(r));
	static const char ok[] = "12\x1f"
	                         "00000001000000000000000B\x1f"
	                         "1799999000\x1f"
	                         "0\x1f\x1f"
	                         "0\x1f"
	                         "on\x1f"
	                         "0/E000000\x1f"
	                         "1800000000\n";
	assert_int_equal(backups_parse_archiver(&r, ok, strlen(ok), "0/4000138", NOW - 840), 0);
	assert_true(r.known);
	assert_false(r.failing);
	assert_int_equal(r.wal_bytes, 0xE000000 - 0x4000138);
	assert_int_equal(r.seconds, 840);
	char buf[64];
	backups_risk_text(&r, buf, sizeof(buf));
	assert_string_equal(buf, "168 MB WAL, 14 min");
	assert_non_null(strstr(r.restore_point, "00000001000000000000000B"));
	free(r.last_archived_wal), free(r.last_failed_wal), free(r.current_lsn), free(r.restore_point);

	/* failing: the last failure after the last success */
	memset(&r, 0, sizeof(r));
	static const char bad[] = "12\x1f"
	                          "00000001000000000000000B\x1f"
	                          "1799999000\x1f"
	                          "4\x1f"
	                          "00000001000000000000000C\x1f"
	                          "1799999500\x1f"
	                          "on\x1f"
	                          "0/E000000\x1f"
	                          "1800000000";
	assert_int_equal(backups_parse_archiver(&r, bad, strlen(bad), NULL, 0), 0);
	assert_true(r.failing);
	assert_int_equal(r.failed_count, 4);
	assert_int_equal(r.wal_bytes, -1); /* no backup LSN: unknown, not zero */
	free(r.last_archived_wal), free(r.last_failed_wal), free(r.current_lsn), free(r.restore_point);

	/* not the row: refused */
	memset(&r, 0, sizeof(r));
	assert_int_equal(backups_parse_archiver(&r, "ERROR", 5, NULL, 0), -1);
	assert_int_equal(backups_parse_archiver(&r,
	                                        "1\x1f"
	                                        "2",
	                                        3, NULL, 0),
	                 -1);
	assert_false(r.known);

	assert_int_equal(backups_parse_lsn("0/4000138"), 0x4000138);
	assert_int_equal(backups_parse_lsn("1/0"), 1LL << 32);
	assert_int_equal(backups_parse_lsn("x/1"), -1);
	assert_int_equal(backups_parse_lsn("1/-1"), -1);
	assert_int_equal(backups_parse_lsn("0/4000138junk"), -1);
	assert_int_equal(backups_parse_lsn(NULL), -1);
}

static void put(const char *dir, const char *name, const void *data, size_t len, time_t mtime)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	struct timeval tv[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
	utimes(p, tv);
	free(p);
}

static void test_dir_scan(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/sitrep-test-backups.XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	static const char plain[] = "--\n-- PostgreSQL database dump\n--\nSET x;\n"
	                            "--\n-- PostgreSQL database dump complete\n--\n";
	put(dir, "a-1.dump", "PGDMP\x01\x0e\x00", 8, NOW - 300);
	put(dir, "a-2.dump.gz", "\x1f\x8b\x08\x00", 4, NOW - 200);
	put(dir, "notes.txt", "x", 1, NOW - 100);
	put(dir, "\x1b[31m-rf $(x).dump", plain, strlen(plain), NOW - 250);
	/* a symlink matching the pattern, out of the directory: never listed */
	char *link = xasprintf("%s/zz-passwd.dump", dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	char *inlink = xasprintf("%s/latest.dump", dir);
	assert_int_equal(symlink("a-1.dump", inlink), 0);

	struct backups_data *d = one_set();
	size_t matched;
	char *warning;
	char err[256];
	assert_int_equal(
	    backups_dir_scan(&d->sets[0], dir, "*.dump*", 50, &matched, &warning, err, sizeof(err)), 0);
	assert_int_equal(matched, 3);
	assert_non_null(warning);
	assert_non_null(strstr(warning, "zz-passwd.dump is a symlink out of the directory"));
	free(warning);
	struct backup_set *s = &d->sets[0];
	assert_string_equal(s->backups[0].label, "a-2.dump.gz");
	assert_string_equal(s->backups[0].format, "gzip");
	/* the hostile name: inert label, raw path under the directory (never an option) */
	assert_null(strchr(s->backups[1].label, '\x1b'));
	assert_true(strncmp(s->backups[1].raw, dir, strlen(dir)) == 0);
	assert_string_equal(s->backups[1].format, "plain");
	assert_true(s->backups[1].complete);
	backups_data_free(d);

	/* a zero-byte newest and a plain dump cut before its end */
	put(dir, "a-3.dump", "", 0, NOW - 10);
	put(dir, "a-0.sql", plain, 30, NOW - 20);
	d = one_set();
	assert_int_equal(backups_dir_scan(&d->sets[0], dir, "a-*", 50, &matched, &warning, err, sizeof(err)),
	                 0);
	free(warning);
	s = &d->sets[0];
	assert_string_equal(s->backups[0].label, "a-3.dump");
	assert_false(s->backups[0].complete);
	assert_string_equal(s->backups[0].problem, "zero bytes");
	assert_string_equal(s->backups[1].label, "a-0.sql");
	assert_false(s->backups[1].complete);
	assert_non_null(strstr(s->backups[1].problem, "truncated"));
	backups_judge(s, NOW);
	assert_int_equal(s->verdict, BACKUPS_CRIT);
	backups_data_free(d);

	/* the directory vanishes */
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	d = one_set();
	assert_int_equal(backups_dir_scan(&d->sets[0], dir, "*", 50, &matched, &warning, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "No such file or directory"));
	backups_data_free(d);
	free(cmd);
	free(link);
	free(inlink);

	unsigned char z[] = {0x28, 0xb5, 0x2f, 0xfd};
	assert_string_equal(backups_dir_format(z, 4), "zstd");
	assert_string_equal(backups_dir_format((const unsigned char *)"PK", 2), "unknown");
}

static void test_restic_parse(void **state)
{
	(void)state;
	static const char snaps[] =
	    "[{\"time\":\"2026-12-07T22:05:37.156251004Z\",\"paths\":[\"/srv/up\\u001b[2Jloads\"],"
	    "\"id\":\"1a2012b3bfd612a12489d72eef98e011f8d19d0e3b571e34882965f2df21cf60\",\"short_id\":"
	    "\"1a2012b3\"},"
	    "{\"time\":\"2026-12-07T23:05:37+01:00\",\"paths\":[\"/srv/x\"],\"id\":\"--password=x; rm\"},"
	    "{\"time\":\"yesterday\",\"id\":\"abcdef12\"},"
	    "{\"time\":\"2026-12-07T22:06:00Z\",\"paths\":[\"/srv/y\"],\"id\":\"2bd254dc2f63990a\"}]";
	char err[128];
	struct backups_data *d = one_set();
	struct backup_set *s = &d->sets[0];
	assert_int_equal(restic_parse_snapshots(s, snaps, strlen(snaps), err, sizeof(err)), 0);
	assert_int_equal(s->nbackups, 3); /* "yesterday" is no time */
	assert_string_equal(s->backups[0].raw, "2bd254dc2f63990a");
	assert_string_equal(s->backups[0].label, "2bd254dc /srv/y");
	assert_string_equal(s->backups[0].type, "snapshot");
	/* an id restic never writes is not one to hand back to it */
	assert_false(s->backups[2].complete);
	assert_string_equal(s->backups[2].raw, "--password=x; rm");
	assert_null(strchr(s->backups[1].label, '\x1b'));
	assert_int_equal(restic_parse_snapshots(s, "{}", 2, err, sizeof(err)), -1);
	backups_data_free(d);

	/* two snapshots in one second: the later by its fraction is the newest,
	 * whatever their ids or paths (the label would order them the other way) */
	static const char same_second[] =
	    "[{\"time\":\"2026-12-08T02:45:33.1Z\",\"paths\":[\"/b\"],\"id\":\"ffffffff00\"},"
	    "{\"time\":\"2026-12-08T02:45:33.95+00:00\",\"paths\":[\"/a\"],\"id\":\"0000000011\"}]";
	d = one_set();
	s = &d->sets[0];
	assert_int_equal(restic_parse_snapshots(s, same_second, strlen(same_second), err, sizeof(err)), 0);
	assert_int_equal(s->nbackups, 2);
	assert_string_equal(s->backups[0].raw, "0000000011");
	assert_int_equal(s->backups[0].nanos, 950000000);
	assert_int_equal(s->backups[1].nanos, 100000000);
	backups_data_free(d);
	int64_t size = 0;
	assert_int_equal(restic_parse_stats("{\"total_size\":11}", 17, &size), 0);
	assert_int_equal(size, 11);
	assert_int_equal(restic_parse_stats("{\"total_size\":\"11\"}", 20, &size), -1);
}

static void test_shell_quote(void **state)
{
	(void)state;
	char *q = backups_shell_quote("/var/backups/app-1.dump");
	assert_string_equal(q, "/var/backups/app-1.dump");
	free(q);
	q = backups_shell_quote("/b/it's $(x) `y`.dump");
	assert_string_equal(q, "'/b/it'\\''s $(x) `y`.dump'");
	free(q);
	q = backups_shell_quote("");
	assert_string_equal(q, "''");
	free(q);
}

static void test_json(void **state)
{
	(void)state;
	cJSON *o = kind_backups.to_json(NULL);
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "sets")));
	cJSON_Delete(o);
	struct backups_data *d = one_set();
	struct backup_set *s = &d->sets[0];
	add(s, NOW - 60, 100, "x.dump");
	s->deploy.known = true;
	s->deploy.covered = true;
	s->deploy.seconds_before = 840;
	s->deploy.deploy = xstrdup("r3");
	s->deploy.text = xstrdup("newest backup 14 min before r3 \u2713");
	s->risk.known = true;
	s->risk.wal_bytes = 230000000;
	s->risk.seconds = 840;
	backups_judge(s, NOW);
	o = kind_backups.to_json(d);
	cJSON *set = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "sets"), 0);
	assert_string_equal(cJSON_GetObjectItem(set, "verdict")->valuestring, "ok");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(set, "reason")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(set, "previous")));
	cJSON *n = cJSON_GetObjectItem(set, "newest");
	assert_int_equal(cJSON_GetObjectItem(n, "size")->valuedouble, 100);
	assert_string_equal(cJSON_GetObjectItem(n, "type")->valuestring, "dump");
	assert_non_null(cJSON_GetObjectItem(n, "path"));
	cJSON *sd = cJSON_GetObjectItem(set, "since_deploy");
	assert_string_equal(cJSON_GetObjectItem(sd, "deploy")->valuestring, "r3");
	assert_int_equal(cJSON_GetObjectItem(sd, "seconds_before")->valuedouble, 840);
	cJSON *ar = cJSON_GetObjectItem(set, "at_risk");
	assert_int_equal(cJSON_GetObjectItem(ar, "wal_bytes")->valuedouble, 230000000);
	assert_int_equal(cJSON_GetObjectItem(ar, "seconds")->valuedouble, 840);
	char buf[64];
	backups_risk_text(&s->risk, buf, sizeof(buf));
	assert_string_equal(buf, "230 MB WAL, 14 min");
	cJSON_Delete(o);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	kind_backups.print(d, f);
	fclose(f);
	assert_non_null(strstr(text, "newest backup 14 min before r3"));
	assert_non_null(strstr(text, "at risk: 230 MB WAL, 14 min"));
	free(text);
	backups_data_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge),          cmocka_unit_test(test_against_deploys),
	    cmocka_unit_test(test_events),         cmocka_unit_test(test_pgbackrest_parse),
	    cmocka_unit_test(test_archiver_parse), cmocka_unit_test(test_dir_scan),
	    cmocka_unit_test(test_shell_quote),    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_restic_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
