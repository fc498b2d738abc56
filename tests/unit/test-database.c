/* Unit tests of the database model and the postgres source's parsing: query
 * normalisation, rows of pg_stat_activity captured from a real PostgreSQL
 * 15 (the .tsv files in tests/data/postgres/: psql -At, \N for NULL) into sessions,
 * groups and the blocking tree, the privilege count, hostile text made
 * inert, the statements an action sends, and the storm events. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "backends/postgres-parse.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"

/* A captured answer into a model, as the source does it. */
static struct database_data *load(const char *name, bool by_query_id)
{
	char *path = xasprintf("%s/postgres/%s", TEST_DATA, name);
	size_t len;
	char *text = util_read_file(path, 1 << 20, &len);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	struct database_data *d = database_data_new();
	d->storm_min = 4;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const char *v[PG_NCOLS] = {0};
		char *f = line;
		for (int c = 0; c < PG_NCOLS && f != NULL; c++) {
			char *tab = strchr(f, '\t');
			if (tab != NULL)
				*tab = '\0';
			v[c] = strcmp(f, "\\N") == 0 ? NULL : f;
			f = tab != NULL ? tab + 1 : NULL;
		}
		assert_int_equal(postgres_parse_session(d, v, by_query_id), 0);
	}
	free(text);
	return d;
}

static void test_normalise(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"SELECT * FROM t WHERE id = 42", "SELECT * FROM t WHERE id = ?"},
	    {"select  *\n\tfrom t1 where a='x''y' and b = 3.5e-3", "select * from t1 where a=? and b = ?"},
	    {"select E'a\\'b', $$x$$, $f$ y $f$, $1, B'101'", "select ?, ?, ?, ?, ?"},
	    {"insert into t values (1, 'a'), (2, 'b')", "insert into t values (?), (?)"},
	    {"select 1 -- comment\n, /* c /* nested */ */ 2", "select ? , ?"},
	    {"SELECT * FROM t WHERE id IN (1, 2, 3, 4)", "SELECT * FROM t WHERE id IN (?)"},
	    {"select \"Col 1\" from \"T\"", "select \"Col 1\" from \"T\""},
	    {"/* controller:home */ select pg_sleep(30)", "select pg_sleep(?)"},
	    {"select 'unterminated", "select ?"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = database_normalise(cases[i].in, strlen(cases[i].in));
		assert_string_equal(n, cases[i].out);
		free(n);
	}
	char a[24], b[24], c[24];
	char *n1 = database_normalise("select * from t where id = 1", 28);
	char *n2 = database_normalise("select *  from t where id = 99", 30);
	char *n3 = database_normalise("select * from u where id = 1", 28);
	database_text_group(n1, a, sizeof(a));
	database_text_group(n2, b, sizeof(b));
	database_text_group(n3, c, sizeof(c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 17);
	free(n1);
	free(n2);
	free(n3);
}

static const struct db_group *group_of(const struct database_data *d, int pid)
{
	const struct db_query *q = database_query(d, pid);
	assert_non_null(q);
	return database_group(d, q->group);
}

static void test_storm_grouped_by_query_id(void **state)
{
	(void)state;
	struct database_data *d = load("activity-storm.tsv", true);
	database_build(d);
	assert_int_equal(d->total, 8);
	assert_int_equal(d->hidden, 0);
	assert_int_equal(d->nqueries, 8);
	assert_int_equal(d->active, 7);
	assert_int_equal(d->idle_in_transaction, 1);
	assert_int_equal(d->waiting, 2);
	/* longest first */
	for (size_t i = 1; i < d->nqueries; i++)
		assert_true(d->queries[i - 1].duration_s >= d->queries[i].duration_s);
	/* the four pg_sleep sessions are one group, the largest, a storm */
	assert_true(d->ngroups >= 2);
	assert_string_equal(d->groups[0].group, "-5633165482453764007");
	assert_int_equal(d->groups[0].count, 4);
	assert_int_equal(d->groups[0].npids, 4);
	assert_true(fabs(d->groups[0].longest_s - 1.886884) < 1e-6);
	assert_int_equal(d->groups[0].first_started_ms, 1796002951843);
	assert_string_equal(d->groups[0].query, "select pg_sleep(?), ?");
	assert_ptr_equal(database_storm(d), &d->groups[0]);
	/* the two updates share a query_id whatever their constants */
	assert_ptr_equal(group_of(d, 2546), group_of(d, 2544));
	/* idle in transaction is a query but not in a group */
	const struct db_query *idle = database_query(d, 2545);
	assert_string_equal(idle->state, "idle in transaction");
	assert_true(fabs(d->oldest_xact_s - 1.886884) < 1e-6);
	database_data_free(d);
}

static void test_groups_by_text_without_query_id(void **state)
{
	(void)state;
	struct database_data *d = load("activity-storm.tsv", false);
	database_build(d);
	const struct db_group *g = group_of(d, 2499);
	assert_non_null(g);
	assert_int_equal(g->count, 4);
	assert_int_equal(g->group[0], 't');
	/* the comment in one update does not split the group */
	assert_ptr_equal(group_of(d, 2546), group_of(d, 2544));
	database_data_free(d);
}

static void test_blocking_tree_root_first(void **state)
{
	(void)state;
	struct database_data *d = load("activity-storm.tsv", true);
	database_build(d);
	/* 2515 holds the row; 2546 waits on it; 2544 waits on 2546 (tuple lock) */
	assert_int_equal(d->nblocking, 3);
	assert_int_equal(d->blocking[0].pid, 2515);
	assert_int_equal(d->blocking[0].depth, 0);
	assert_int_equal(d->blocking[0].blocks, 2);
	assert_int_equal(d->blocking[0].nblocked_by, 0);
	assert_int_equal(d->blocking[1].pid, 2546);
	assert_int_equal(d->blocking[1].depth, 1);
	assert_int_equal(d->blocking[1].blocked_by[0], 2515);
	assert_int_equal(d->blocking[2].pid, 2544);
	assert_int_equal(d->blocking[2].depth, 2);
	char *hint = kind_database.hint(d);
	assert_string_equal(hint, "×4 same query, longest 1s");
	free(hint);
	database_data_free(d);
}

static void test_blocking_cycle_terminates(void **state)
{
	(void)state;
	struct database_data *d = database_data_new();
	d->queries = xcalloc(2, sizeof(*d->queries));
	d->nqueries = 2;
	for (int i = 0; i < 2; i++) {
		struct db_query *q = &d->queries[i];
		q->pid = 10 + i;
		q->user = xstrdup("u");
		q->application = xstrdup("");
		q->client = xstrdup("");
		q->state = xstrdup("active");
		q->wait_event = xstrdup("Lock:transactionid");
		q->query = xstrdup("x");
		q->query_full = xstrdup("x");
		q->group = xstrdup("g");
		q->waiting = true;
		q->blocked_by = xcalloc(1, sizeof(int));
		q->blocked_by[0] = 11 - i; /* 10 waits on 11, 11 on 10: a deadlock */
		q->nblocked_by = 1;
	}
	database_build(d);
	assert_int_equal(d->nblocking, 2);
	database_data_free(d);
}

static void test_unprivileged_counts_hidden(void **state)
{
	(void)state;
	struct database_data *d = load("activity-unprivileged.tsv", true);
	database_build(d);
	assert_int_equal(d->total, 9);
	assert_int_equal(d->hidden, 7);
	assert_int_equal(d->nqueries, 2);
	/* no "<insufficient privilege>" is data */
	for (size_t i = 0; i < d->nqueries; i++)
		assert_null(strstr(d->queries[i].query_full, "insufficient"));
	/* the blocker is another role's session: a root the login cannot see */
	assert_int_equal(d->nblocking, 2);
	assert_int_equal(d->blocking[0].pid, 2546);
	assert_null(database_query(d, 2546));
	cJSON *j = kind_database.to_json(d);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "sessions"), "hidden")->valueint, 7);
	cJSON_Delete(j);
	database_data_free(d);
}

static void test_hostile_text_inert(void **state)
{
	(void)state;
	struct database_data *d = load("activity-storm.tsv", true);
	const char *const v[PG_NCOLS] = {"77",
	                                 "evil\x1b[31muser",
	                                 "app\xe2\x80\xaeoverride",
	                                 "10.0.0.1",
	                                 "active",
	                                 NULL,
	                                 "1",
	                                 "1",
	                                 "1",
	                                 "select 1;\r\x1b]0;title\x07\n\x1b[2J",
	                                 NULL,
	                                 NULL};
	assert_int_equal(postgres_parse_session(d, v, true), 0);
	database_build(d);
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		const char *texts[] = {q->user,       q->application, q->query,
		                       q->query_full, q->state,       q->wait_event};
		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
			for (const unsigned char *p = (const unsigned char *)texts[k]; *p != '\0'; p++)
				assert_true(*p >= 0x20 && *p != 0x7f);
			assert_null(strstr(texts[k], "\xe2\x80\xae"));
		}
	}
	const struct db_query *q = database_query(d, 77);
	assert_null(strchr(q->query, '\n'));
	for (size_t i = 0; i < d->ngroups; i++)
		assert_null(strchr(d->groups[i].query, '\x1b'));
	database_data_free(d);
}

static void test_malformed_rows(void **state)
{
	(void)state;
	struct database_data *d = database_data_new();
	const char *v[PG_NCOLS] = {0};
	assert_int_equal(postgres_parse_session(d, v, true), -1);
	v[PG_COL_PID] = "12x";
	assert_int_equal(postgres_parse_session(d, v, true), -1);
	v[PG_COL_PID] = "99999999999";
	assert_int_equal(postgres_parse_session(d, v, true), -1);
	v[PG_COL_PID] = "5";
	v[PG_COL_STATE] = "active";
	v[PG_COL_BLOCKING] = "{1,x}";
	v[PG_COL_DURATION] = "nan";
	assert_int_equal(postgres_parse_session(d, v, true), 0);
	assert_int_equal(d->queries[0].nblocked_by, 0);
	assert_true(d->queries[0].duration_s < 0);
	database_build(d);
	database_data_free(d);
	int *pids;
	size_t n;
	assert_int_equal(postgres_parse_pids("{}", &pids, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(postgres_parse_pids("{3,4}", &pids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[1], 4);
	free(pids);
	assert_int_equal(postgres_parse_pids("{3,", &pids, &n), -1);
	assert_int_equal(postgres_parse_pids("3", &pids, &n), -1);
}

#define BS1 "2026-12-07 18:44:38.123456+00"
#define QS1 "2026-12-07 18:45:01.5+00"

/* Each statement names its session by pid and start (and a cancel by the
 * query's start), so the statement that acts is the one that checks. */
static void test_signal_statements(void **state)
{
	(void)state;
	struct db_target t[] = {{4242, BS1, QS1}, {17, "2026-12-07 18:44:38+00", NULL}};
	char *s = postgres_signal_sql(t, 2, false);
	assert_string_equal(s,
	                    "SELECT pid, pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = 4242 AND "
	                    "backend_start = '" BS1 "' AND query_start = '" QS1 "';\n"
	                    "SELECT pid, pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = 17 AND "
	                    "backend_start = '2026-12-07 18:44:38+00';");
	free(s);
	s = postgres_signal_sql(t, 1, true);
	assert_string_equal(
	    s, "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 4242 AND "
	       "backend_start = '" BS1 "';");
	free(s);
	/* a start that is not a timestamp never reaches SQL */
	const char *bad[] = {"2026-12-07 18:44:38+00'; select pg_terminate_backend(1); --",
	                     "2026-12-07 18:44:38",
	                     "",
	                     "2026-12-07T18:44:38+00",
	                     "2026-12-07 18:44:38.1234567+00",
	                     "2026-12-07 18:44:38+00:00:00:00",
	                     "now"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct db_target b[] = {{1, (char *)bad[i], NULL}};
		assert_null(postgres_signal_sql(b, 1, true));
		struct db_target c[] = {{1, BS1, (char *)bad[i]}};
		assert_null(postgres_signal_sql(c, 1, false));
		assert_false(database_valid_timestamp(bad[i]));
	}
	struct db_target z[] = {{0, BS1, NULL}};
	assert_null(postgres_signal_sql(z, 1, true));
	s = postgres_lookup_sql(t, 2);
	assert_string_equal(s,
	                    "SELECT pid, backend_start::text, query_start::text, state FROM pg_stat_activity "
	                    "WHERE pid IN (4242, 17);");
	free(s);
	assert_true(postgres_valid_query_id("-5633165482453764007"));
	assert_false(postgres_valid_query_id("1; drop table t"));
	assert_false(postgres_valid_query_id("t0123456789abcdef"));
	assert_false(postgres_valid_query_id("99999999999999999999"));
	assert_false(postgres_valid_pid("0", NULL));
	assert_false(postgres_valid_pid("-1", NULL));
	assert_non_null(strstr(postgres_activity_sql(150000), "a.query_id"));
	assert_null(strstr(postgres_activity_sql(130000), "a.query_id"));
	assert_non_null(strstr(postgres_activity_sql(150000), "a.backend_start::text, a.query_start::text"));
}

/* An identity survives the selection whole; nothing else parses as one. */
static void test_identity(void **state)
{
	(void)state;
	char *id = database_identity_format(4242, BS1, QS1);
	assert_string_equal(id, "4242@" BS1 "@" QS1);
	int pid;
	char *bs, *qs;
	assert_int_equal(database_identity_parse(id, &pid, &bs, &qs), 0);
	assert_int_equal(pid, 4242);
	assert_string_equal(bs, BS1);
	assert_string_equal(qs, QS1);
	free(bs);
	free(qs);
	free(id);
	id = database_identity_format(7, BS1, NULL);
	assert_int_equal(database_identity_parse(id, &pid, &bs, &qs), 0);
	assert_null(qs);
	free(bs);
	free(id);
	assert_null(database_identity_format(7, NULL, NULL));
	assert_null(database_identity_format(7, "yesterday", NULL));
	const char *bad[] = {"4242",
	                     "4242@",
	                     "@" BS1 "@",
	                     "x@" BS1 "@",
	                     "4242@" BS1,
	                     "0@" BS1 "@",
	                     "-1@" BS1 "@",
	                     "4242@" BS1 "@x",
	                     "4242@" BS1 "@" BS1 "@",
	                     "99999999999@" BS1 "@"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(database_identity_parse(bad[i], &pid, &bs, &qs), -1);
	/* a session row keeps its start only when it is a timestamp */
	struct database_data *d = database_data_new();
	const char *v[PG_NCOLS] = {0};
	v[PG_COL_PID] = "5";
	v[PG_COL_STATE] = "active";
	v[PG_COL_BACKEND_START] = BS1;
	v[PG_COL_QUERY_START] = "2026-12-07 18:45:01+00'--";
	assert_int_equal(postgres_parse_session(d, v, true), 0);
	assert_string_equal(d->queries[0].session_start, BS1);
	assert_null(d->queries[0].query_start);
	id = database_identity(&d->queries[0]);
	assert_string_equal(id, "5@" BS1 "@");
	free(id);
	database_data_free(d);
}

/* Verification looks for the same session (and query), never the pid. */
static void test_target_running(void **state)
{
	(void)state;
	struct db_target t = {4242, BS1, QS1};
	assert_true(postgres_target_running(&t, false, "4242", BS1, QS1, "active"));
	assert_false(postgres_target_running(&t, false, "4242", BS1, QS1, "idle"));
	assert_false(postgres_target_running(&t, false, "4242", BS1, "2026-12-07 18:45:09+00", "active"));
	/* the pid reused by a newer backend */
	assert_false(postgres_target_running(&t, false, "4242", "2026-12-07 19:00:00+00", QS1, "active"));
	assert_false(postgres_target_running(&t, true, "4242", "2026-12-07 19:00:00+00", NULL, "idle"));
	assert_false(postgres_target_running(&t, true, "4243", BS1, QS1, "active"));
	assert_false(postgres_target_running(&t, true, "4242", NULL, NULL, NULL));
	assert_true(postgres_target_running(&t, true, "4242", BS1, "2026-12-07 18:45:09+00", "idle"));
}

static void test_json_schema_and_deploy(void **state)
{
	(void)state;
	struct database_data *d = load("activity-storm.tsv", true);
	d->deploy = xstrdup("r42");
	d->deploy_ms = 1796002951900; /* after two of the four started */
	database_build(d);
	assert_int_equal(d->groups[0].after_deploy, 2);
	cJSON *j = kind_database.to_json(d);
	const char *keys[] = {"sessions", "tps", "queries", "groups", "blocking"};
	for (size_t i = 0; i < 5; i++)
		assert_non_null(cJSON_GetObjectItem(j, keys[i]));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "tps")));
	cJSON *q = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "queries"), 0);
	const char *qkeys[] = {"pid",        "user",       "application", "client", "state",
	                       "wait_event", "duration_s", "query",       "group"};
	for (size_t i = 0; i < sizeof(qkeys) / sizeof(qkeys[0]); i++)
		assert_non_null(cJSON_GetObjectItem(q, qkeys[i]));
	cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
	assert_int_equal(cJSON_GetObjectItem(g, "count")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(g, "first_started")->valuestring, "2026-11-30T01:42:31Z");
	assert_int_equal(cJSON_GetObjectItem(g, "after_deploy")->valueint, 2);
	cJSON_Delete(j);
	/* the empty shape */
	j = kind_database.to_json(NULL);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "queries")), 0);
	cJSON_Delete(j);
	database_data_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test(test_storm_grouped_by_query_id),
	    cmocka_unit_test(test_groups_by_text_without_query_id),
	    cmocka_unit_test(test_blocking_tree_root_first),
	    cmocka_unit_test(test_blocking_cycle_terminates),
	    cmocka_unit_test(test_unprivileged_counts_hidden),
	    cmocka_unit_test(test_hostile_text_inert),
	    cmocka_unit_test(test_malformed_rows),
	    cmocka_unit_test(test_signal_statements),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_target_running),
	    cmocka_unit_test(test_json_schema_and_deploy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
