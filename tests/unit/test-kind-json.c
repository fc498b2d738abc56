/* Unit tests of every kind's from_json, the reverse of its --once JSON that
 * observers and replays draw from: for a model of each kind, built the way
 * its sources build it, to_json(from_json(to_json(model))) is to_json(model);
 * every kind of the table has the reverse; a hostile document (raw escapes,
 * wrong types, a non-object) gives inert text or NULL, never a crash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sitrep/kinds/alerts.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/kinds/checks.h"
#include "sitrep/kinds/database.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/kinds/metrics.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

/* JSON of model, back to a model, JSON again: the same document. */
static void roundtrip(const struct kind_ops *k, void *model)
{
	cJSON *a = k->to_json(model);
	assert_non_null(k->from_json);
	void *back = k->from_json(a);
	assert_non_null(back);
	cJSON *b = k->to_json(back);
	if (!cJSON_Compare(a, b, true)) {
		char *ta = cJSON_Print(a), *tb = cJSON_Print(b);
		FILE *f = fopen("test-kind-json.diff", "w");
		if (f != NULL) {
			fprintf(f, "sent:\n%s\nrebuilt:\n%s\n", ta, tb);
			fclose(f);
		}
		free(ta);
		free(tb);
		fail_msg("%s: the rebuilt model writes another document", k->name);
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	k->free(back);
	k->free(model);
}

static void test_metrics(void **state)
{
	(void)state;
	struct metrics_data *m = metrics_data_new();
	struct metric_series *s = metrics_add_series(m, "CPU", "%");
	s->has_warn = s->has_crit = true;
	s->warn = 80;
	s->crit = 95;
	metrics_set_value(s, 97.5);
	double hist[] = {10, NAN, 97.5};
	metrics_set_history(s, hist, 3);
	s->detail = xstrdup("12.1G / 15.6G");
	s = metrics_add_series(m, "rate", "B/s");
	metrics_add_label(s, "instance", "web-1:9100");
	metrics_set_value(s, INFINITY);
	s = metrics_add_series(m, "missing", "");
	s->error = xstrdup("query failed: ^[[31mred");
	m->cores = xcalloc(2, sizeof(double));
	m->cores[0] = 12.5;
	m->cores[1] = 99;
	m->ncores = 2;
	m->procs = xcalloc(1, sizeof(*m->procs));
	m->procs[0] =
	    (struct metric_proc){.pid = 4242, .name = xstrdup("postgres"), .cpu = 88.2, .rss = 1 << 20};
	m->nprocs = 1;
	roundtrip(&kind_metrics, m);
}

static void test_alerts(void **state)
{
	(void)state;
	struct alerts_data *d = alerts_data_new();
	d->alerts = xcalloc(2, sizeof(*d->alerts));
	d->nalerts = 2;
	d->alerts[0] = (struct alert){.name = xstrdup("HighCPU"),
	                              .severity = xstrdup("critical"),
	                              .state = xstrdup("active"),
	                              .summary = xstrdup("CPU at 98 %"),
	                              .fingerprint = xstrdup("a1b2"),
	                              .since = 1765145640};
	d->alerts[0].labels = xcalloc(1, sizeof(struct label));
	d->alerts[0].labels[0] = (struct label){xstrdup("alertname"), xstrdup("HighCPU")};
	d->alerts[0].nlabels = 1;
	d->alerts[1] = (struct alert){.name = xstrdup("Disk"),
	                              .severity = xstrdup(""),
	                              .state = xstrdup("suppressed"),
	                              .summary = xstrdup(""),
	                              .fingerprint = xstrdup("c3"),
	                              .silenced = true};
	roundtrip(&kind_alerts, d);
}

static void test_cdn(void **state)
{
	(void)state;
	struct cdn_data *d = cdn_data_new("varnish");
	d->hit_ratio = 0.93;
	d->assets = xcalloc(2, sizeof(*d->assets));
	d->nassets = 2;
	d->assets[0] = (struct cdn_asset){.path = xstrdup("/static/app.js"),
	                                  .raw = xstrdup("/static/app.js"),
	                                  .verdict = CDN_STALE,
	                                  .detail = xstrdup("edge ETag \"a1\" != origin \"b7\""),
	                                  .edge_cache = xstrdup("HIT"),
	                                  .age = 120,
	                                  .edge_status = 200,
	                                  .origin_status = 200,
	                                  .edge_etag = xstrdup("\"a1\""),
	                                  .origin_etag = xstrdup("\"b7\"")};
	strcpy(d->assets[0].edge_hash, "00ff");
	strcpy(d->assets[0].edge_etag_hash, "ab01");
	strcpy(d->assets[0].origin_etag_hash, "cd02");
	d->assets[1] = (struct cdn_asset){.path = xstrdup("/<U+202E>evil.js"),
	                                  .raw = xstrdup("x"),
	                                  .edge = xstrdup("eu"),
	                                  .verdict = CDN_ERROR,
	                                  .age = -1};
	roundtrip(&kind_cdn, d);
}

static void test_deploys(void **state)
{
	(void)state;
	struct deploys_data *d = deploys_data_new();
	struct deploy *p = deploys_add(d, "r42");
	p->time = 1765145640;
	deploys_set(&p->author, "alice", (size_t)-1);
	deploys_set(&p->message, "fix the query", (size_t)-1);
	deploys_set(&p->status, "deployed", (size_t)-1);
	p = deploys_add(d, "r41");
	p->bad = true;
	deploys_set_current(d, "r42");
	roundtrip(&kind_deploys, d);
}

static void test_database(void **state)
{
	(void)state;
	struct database_data *d = database_data_new();
	d->queries = xcalloc(2, sizeof(*d->queries));
	d->nqueries = 2;
	for (size_t i = 0; i < 2; i++) {
		struct db_query *q = &d->queries[i];
		q->pid = 100 + (int)i;
		q->user = xstrdup("app");
		q->application = xstrdup("web");
		q->client = xstrdup("127.0.0.1");
		q->state = xstrdup("active");
		q->wait_event = xstrdup(i == 0 ? "" : "Lock:transactionid");
		q->query_full = xstrdup("SELECT *^J  FROM orders WHERE id = 1"); /* sanitized: ^J */
		q->query = xstrdup("SELECT * FROM orders WHERE id = 1");
		q->group = xstrdup("t1234");
		q->duration_s = 12.5 + (double)i;
		q->xact_s = -1;
		q->started_ms = 1765145640000;
		q->session_start = xstrdup("2026-12-07 22:14:00.123456+00");
	}
	d->queries[1].blocked_by = xcalloc(1, sizeof(int));
	d->queries[1].blocked_by[0] = 100;
	d->queries[1].nblocked_by = 1;
	d->storm_min = 2;
	d->role = xstrdup("sitrep");
	d->hidden = 3;
	d->deploy = xstrdup("r42");
	d->deploy_ms = 1765145000000;
	d->server_version = 150004;
	d->engine = "postgresql";
	d->privilege = xstrdup("3 sessions of other roles are hidden: GRANT pg_read_all_stats TO sitrep");
	database_build(d);
	roundtrip(&kind_database, d);
}

static void test_checks(void **state)
{
	(void)state;
	struct checks_data *d = checks_data_new(2);
	d->checks[0].name = xstrdup("booking");
	d->checks[0].target = xstrdup("GET https://shop.example/booking");
	d->checks[0].checked = true;
	d->checks[0].ok = false;
	d->checks[0].status = 500;
	d->checks[0].latency_ms = 812.34;
	d->checks[0].reason = xstrdup("status 500, want 200");
	d->checks[0].history = xcalloc(2, sizeof(double));
	d->checks[0].history[0] = NAN;
	d->checks[0].history[1] = 812.3;
	d->checks[0].nhistory = 2;
	d->checks[1].name = xstrdup("db");
	d->checks[1].target = xstrdup("tcp 127.0.0.1:5432");
	d->checks[1].type = CHECK_TCP;
	roundtrip(&kind_checks, d);
}

static void test_timeline(void **state)
{
	(void)state;
	struct timeline_data *d = xcalloc(1, sizeof(*d));
	d->entries = xcalloc(2, sizeof(*d->entries));
	d->n = 2;
	const char *f[2][6] = {{"deploy", "info", "deploys", "sitrep", "r42", "deploy r42"},
	                       {"action", "ok", "cdn", "alice", "purge", "purged 1 asset"}};
	for (size_t i = 0; i < 2; i++) {
		struct timeline_entry *e = &d->entries[i];
		e->time_ms = 1765145640000 - (int64_t)i * 60000;
		e->type = xstrdup(f[i][0]);
		e->level = xstrdup(f[i][1]);
		e->pane = xstrdup(f[i][2]);
		e->who = xstrdup(f[i][3]);
		e->subject = xstrdup(f[i][4]);
		e->text = xstrdup(f[i][5]);
	}
	roundtrip(&kind_timeline, d);
}

static void test_logs(void **state)
{
	(void)state;
	char err[200];
	struct logclass *lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err));
	assert_non_null(lc);
	struct logstore *st = logstore_new(100, 10, 0);
	unsigned a = logstore_add_source(st, "/var/log/app/error.log");
	unsigned b = logstore_add_source(st, "journald");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000;
	logstore_set_deploy_time(st, now - 30000);
	const char *lines[] = {"ERROR db timeout after 5000 ms", "WARN slow request 812 ms",
	                       "ERROR db timeout after 6000 ms", "info all good", "ERROR KeyError: 'price'"};
	for (size_t i = 0; i < ARRAY_LEN(lines); i++)
		logstore_ingest(st, lc, i % 2 ? b : a, now - 60000 + (int64_t)i * 15000, -1, lines[i],
		                strlen(lines[i]), false);
	roundtrip(&kind_logs, st);
	logclass_free(lc);
}

/* A pgBackRest set with everything the pane draws: a newest and a previous
 * backup (of three found), a covered deploy, a risk with an archiver
 * failure, the check's result, a running backup, the restore commands; and
 * a dump set with a label that arrived with escapes (sanitized on the way
 * in, as backups_set_text does), no deploy, a risk that is only an error. */
static void test_backups(void **state)
{
	(void)state;
	struct backups_data *d = backups_data_new(2);
	struct backup_set *s = &d->sets[0];
	backups_set_text(&s->name, "main-db");
	backups_set_text(&s->source, "pgbackrest");
	backups_set_text(&s->where, "stanza main");
	const int64_t t0 = 1765145640;
	for (int i = 0; i < 3; i++) {
		struct backup *b = backups_add(s);
		b->time = t0 - i * 3600;
		b->start = b->time - 120;
		b->size = 230000000 - i * 1000;
		b->stored = 4096 * (i + 1);
		backups_set_text(&b->type, i == 2 ? "full" : "incr");
		backups_set_text(&b->label, i == 0 ? "20261207-221400F_20261207-224000I" : "older");
		backups_set_text(&b->raw, b->label);
		b->stop_lsn = xstrdup("0/4000138");
		b->complete = i != 1;
		if (i == 1)
			backups_set_text(&b->problem, "error: 1 file failed the checksum");
	}
	s->found = 3;
	s->verdict = BACKUPS_CRIT;
	backups_set_text(&s->reason,
	                 "WAL archiving is failing (2 failures, last on 000000010000000000000005)");
	s->deploy.known = true;
	s->deploy.deploy = xstrdup("r3");
	s->deploy.previous = xstrdup("r2");
	s->deploy.covered = true;
	s->deploy.seconds_before = 840;
	s->deploy.text = xstrdup("newest backup 14 min before r3 \u2713");
	s->risk.known = true;
	s->risk.wal_bytes = 230000000;
	s->risk.seconds = 840;
	s->risk.archiving = true;
	s->risk.failing = true;
	s->risk.archived_count = 41;
	s->risk.failed_count = 2;
	s->risk.last_archived_wal = xstrdup("000000010000000000000004");
	s->risk.last_failed_wal = xstrdup("000000010000000000000005");
	s->risk.restore_point = xstrdup("WAL up to 000000010000000000000004 (22:41:07)");
	s->verify_result = xstrdup("pgbackrest verify: ok");
	s->verified = true;
	backups_set_text(&s->running, "backup lock held");
	s->restore = xcalloc(3, sizeof(char *));
	s->restore[0] = xstrdup("pgbackrest --stanza=main --set=20261207-221400F_20261207-224000I restore");
	s->restore[1] = xstrdup("pg_ctl start -D \"/var/lib/postgresql/16/main\"");

	s = &d->sets[1];
	backups_set_text(&s->name, "dumps");
	backups_set_text(&s->source, "dir");
	backups_set_text(&s->where, "/srv/dumps/*.dump");
	struct backup *b = backups_add(s);
	b->time = t0;
	b->size = 0;
	backups_set_text(&b->type, "dump");
	backups_set_text(&b->format, "custom");
	backups_set_text(&b->label, "db\x1b[2J\x1b]52;c;AAAA\x07\xe2\x80\xae.dump\\\"quoted\"");
	backups_set_text(&b->raw, "/srv/dumps/db\x1b[2J.dump");
	b->complete = false;
	backups_set_text(&b->problem, "zero bytes");
	s->found = 14;
	s->verdict = BACKUPS_WARN;
	backups_set_text(&s->reason, "newest backup is 27 h old (max_age 1d 2h)");
	s->risk.error = xstrdup("permission denied for function pg_current_wal_lsn");
	roundtrip(&kind_backups, d);
}

/* Every kind of the table has the reverse, and takes any document. */
static void test_every_kind_hostile(void **state)
{
	(void)state;
	const char *docs[] = {
	    "[]",
	    "{}",
	    "{\"series\":[{\"name\":\"\\u001b[31mred\",\"value\":\"x\",\"labels\":[1]}],\"top\":[1,{}]}",
	    "{\"alerts\":[null,{\"name\":5,\"labels\":{\"a\":\"\\u009b2J\"}}]}",
	    "{\"assets\":[{\"path\":\"\\u001b]52;c;AAAA\\u0007\",\"edge_sha256\":\"zz\\u001b\"}]}",
	    "{\"deploys\":{},\"current\":7}",
	    "{\"queries\":[{\"pid\":\"1\",\"blocked_by\":[\"a\",2]}],\"groups\":7,\"deploy\":{\"id\":null}}",
	    "{\"checks\":[{\"history\":[1,\"x\",null]}]}",
	    "{\"entries\":[{\"time\":\"not a time\",\"text\":\"\\u202eevil\"}]}",
	    "{\"groups\":[{\"fingerprint\":\"\\u001bP\",\"count\":-4}],\"lines\":[{\"text\":\"\\r\\u0008\"}],"
	    "\"errors_history\":[1e300,-1]}",
	    "{\"sets\":[7,{\"name\":\"\\u001b[2J\",\"verdict\":\"\\u009b\",\"count\":-4,\"newest\":"
	    "{\"label\":\"\\u009b2J\",\"size\":1e300,\"stored\":\"x\",\"time\":\"x\",\"complete\":\"yes\"},"
	    "\"previous\":{\"path\":\"\\u202eevil\"},\"since_deploy\":{\"text\":\"\\u001b]52;c;AAAA\\u0007\","
	    "\"ok\":true,\"seconds_before\":-1e300},\"at_risk\":{\"error\":\"\\u001b\",\"wal_bytes\":-1e300,"
	    "\"archived_count\":1e300},\"restore\":[\"\\u001b[2J\",5,null],\"verified\":\"\\u0007\"},"
	    "{\"newest\":null,\"previous\":{\"label\":\"x\"},\"since_deploy\":[],\"at_risk\":7,\"restore\":{}"
	    "}]}",
	};
	for (size_t i = 0; kind_at(i) != NULL; i++) {
		const struct kind_ops *k = kind_at(i);
		assert_non_null(k->from_json);
		for (size_t d = 0; d < ARRAY_LEN(docs); d++) {
			cJSON *doc = cJSON_Parse(docs[d]);
			assert_non_null(doc);
			void *model = k->from_json(doc);
			if (!cJSON_IsObject(doc)) {
				assert_null(model);
			} else {
				assert_non_null(model);
				cJSON *out = k->to_json(model);
				char *text = cJSON_PrintUnformatted(out);
				/* nothing a terminal acts on survives: no ESC, C1 or bidi override */
				assert_null(strstr(text, "\\u001b"));
				assert_null(strchr(text, 0x1b));
				assert_null(strstr(text, "\xc2\x9b"));
				assert_null(strstr(text, "\xe2\x80\xae"));
				free(text);
				cJSON_Delete(out);
				k->free(model);
			}
			cJSON_Delete(doc);
		}
	}
	assert_non_null(kind_empty.from_json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_alerts),
	    cmocka_unit_test(test_cdn),
	    cmocka_unit_test(test_deploys),
	    cmocka_unit_test(test_database),
	    cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_timeline),
	    cmocka_unit_test(test_logs),
	    cmocka_unit_test(test_backups),
	    cmocka_unit_test(test_every_kind_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
