/* Unit tests of the mysql source's parsing (mysql-parse.c): PROCESSLIST rows
 * and InnoDB lock-wait edges captured from a real MariaDB 10.11 (the .tsv
 * files in tests/data/mysql/: mariadb -N -B, the word NULL for SQL NULL)
 * into sessions, groups and the blocking tree; a login without PROCESS
 * (the note naming the grant); hostile text made inert; the statements a
 * kill sends (the identity re-checked in the statement that acts), the
 * reading of their answers and of the verification. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/mysql-parse.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/util.h"

#define BOOT "1796681800"

static const struct mysql_server server_full = {
    .mariadb = true, .process = true, .kill_admin = true, .boot = BOOT};

/* A captured answer's rows, each split into n fields (NULL for "NULL"). */
static void load(const char *name, size_t n, void (*row)(struct database_data *d, const char *const *v),
                 struct database_data *d)
{
	char *path = xasprintf("%s/mysql/%s", TEST_DATA, name);
	size_t len;
	char *text = util_read_file(path, 1 << 20, &len);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const char *v[MY_NCOLS] = {0};
		char *f = line;
		for (size_t c = 0; c < n && f != NULL; c++) {
			char *tab = strchr(f, '\t');
			if (tab != NULL)
				*tab = '\0';
			v[c] = strcmp(f, "NULL") == 0 ? NULL : f;
			f = tab != NULL ? tab + 1 : NULL;
		}
		row(d, v);
	}
	free(text);
}

static const struct mysql_server *row_server;

static void session_row(struct database_data *d, const char *const *v)
{
	assert_int_equal(mysql_parse_session(d, v, row_server), 0);
}

static void edge_row(struct database_data *d, const char *const *v)
{
	assert_int_equal(mysql_parse_edge(d, v[0], v[1]), 0);
}

static struct database_data *storm(void)
{
	struct database_data *d = database_data_new();
	d->storm_min = 4;
	row_server = &server_full;
	load("activity-storm.tsv", MY_NCOLS, session_row, d);
	load("edges.tsv", 2, edge_row, d);
	database_build(d);
	return d;
}

/* The storm of sleeping queries is one group by its normalised text; the
 * lock waits a tree with the holder first; the session idle in a
 * transaction is counted as such. */
static void test_storm_and_tree(void **state)
{
	(void)state;
	struct database_data *d = storm();
	assert_int_equal(d->total, 10);
	assert_int_equal(d->active, 9);
	assert_int_equal(d->idle_in_transaction, 1);
	assert_int_equal(d->waiting, 2);
	const struct db_group *g = database_storm(d);
	assert_non_null(g);
	assert_int_equal(g->count, 5);
	assert_string_equal(g->query, "select sleep(?), ?");
	assert_true(g->group[0] == 't' && strlen(g->group) == 17);
	assert_true(g->longest_s > 12 && g->longest_s < 13);
	/* the tree: 10 holds the row, 12 waits for it, 15 for both */
	assert_true(d->nblocking >= 3);
	assert_int_equal(d->blocking[0].pid, 10);
	assert_int_equal(d->blocking[0].depth, 0);
	assert_int_equal(d->blocking[0].blocks, 2);
	const struct db_query *w = database_query(d, 15);
	assert_non_null(w);
	assert_int_equal(w->nblocked_by, 2);
	assert_true(w->waiting);
	assert_string_equal(w->wait_event, "Updating");
	assert_non_null(w->database); /* no USE (DB NULL): "", never NULL (the cancel dialog reads it) */
	assert_string_equal(w->database, "");
	const struct db_query *idle = database_query(d, 11);
	assert_non_null(idle);
	assert_string_equal(idle->state, "idle in transaction");
	assert_true(idle->xact_s > 12);
	assert_true(idle->duration_s < 0);
	assert_null(idle->query_start); /* no query to name */
	assert_null(database_privilege_note(d));
	database_data_free(d);
}

/* The identity: the server's start and the query id, as digits only. */
static void test_identity_stamps(void **state)
{
	(void)state;
	struct database_data *d = storm();
	const struct db_query *q = database_query(d, 4);
	assert_non_null(q);
	assert_string_equal(q->session_start, BOOT);
	assert_string_equal(q->query_start, "3");
	char *id = database_identity(q);
	assert_string_equal(id, "4@" BOOT "@3");
	int pid;
	char *s, *qs;
	assert_int_equal(database_identity_parse(id, &pid, &s, &qs), 0);
	assert_int_equal(pid, 4);
	assert_string_equal(s, BOOT);
	assert_string_equal(qs, "3");
	free(s);
	free(qs);
	free(id);
	assert_true(q->started_ms > 1796681800000LL);
	database_data_free(d);

	/* MySQL: no query id, no KILL QUERY ID: no identity, nothing to act on */
	struct mysql_server my = server_full;
	my.mariadb = false;
	d = database_data_new();
	row_server = &my;
	load("activity-storm.tsv", MY_NCOLS, session_row, d);
	assert_null(database_query(d, 4)->session_start);
	database_data_free(d);
}

/* Control bytes in the statement text reach no model string. */
static void test_hostile_text(void **state)
{
	(void)state;
	struct database_data *d = storm();
	const struct db_query *h = database_query(d, 14);
	assert_non_null(h);
	for (const char *s = h->query_full; *s != '\0'; s++)
		assert_true((unsigned char)*s >= 0x20 && *s != 0x7f);
	assert_non_null(strstr(h->query, "x^[[2Jy"));
	database_data_free(d);
}

/* A login without PROCESS sees its own sessions: the others are counted
 * from Threads_connected and the note names the grant. */
static void test_unprivileged(void **state)
{
	(void)state;
	struct mysql_server s = {.mariadb = true, .boot = BOOT};
	struct database_data *d = database_data_new();
	row_server = &s;
	load("activity-unprivileged.tsv", MY_NCOLS, session_row, d);
	assert_int_equal(d->total, 1);
	char *note = mysql_privilege_note(&s, "app@%", 12, false);
	assert_string_equal(note, "12 sessions of other users hidden: GRANT PROCESS ON *.* TO 'app'@'%'");
	free(note);
	s.process = true;
	note = mysql_privilege_note(&s, "watcher@10.0.0.%", 0, true);
	assert_string_equal(note,
	                    "other users' queries cannot be stopped by this login: GRANT CONNECTION ADMIN ON "
	                    "*.* TO 'watcher'@'10.0.0.%'");
	free(note);
	assert_null(mysql_privilege_note(&s, "watcher@%", 0, false));
	s.kill_admin = true;
	assert_null(mysql_privilege_note(&s, "root@%", 0, true));
	char *g = mysql_grantee("ev\x1b[31mil@%");
	assert_null(strchr(g, '\x1b'));
	free(g);
	database_data_free(d);
}

/* What the refresh asks for follows what the server and the login have. */
static void test_activity_sql(void **state)
{
	(void)state;
	char *sql = mysql_activity_sql(&server_full);
	assert_non_null(strstr(sql, "p.TIME_MS / 1000"));
	assert_non_null(strstr(sql, "information_schema.INNODB_LOCK_WAITS"));
	assert_non_null(strstr(sql, "p.QUERY_ID FROM information_schema.PROCESSLIST p LEFT JOIN"));
	free(sql);
	struct mysql_server my = {.process = true};
	sql = mysql_activity_sql(&my);
	assert_non_null(strstr(sql, "performance_schema.data_lock_waits"));
	assert_non_null(strstr(sql, "performance_schema.global_status"));
	assert_null(strstr(sql, "TIME_MS"));
	free(sql);
	struct mysql_server bare = {.mariadb = true};
	sql = mysql_activity_sql(&bare);
	assert_null(strstr(sql, "INNODB")); /* PROCESS only */
	free(sql);
	struct mysql_server ps = {.mariadb = true, .process = true, .digests = true};
	sql = mysql_activity_sql(&ps);
	assert_non_null(strstr(sql, "events_statements_current"));
	free(sql);
}

/* Each statement re-checks the session (id, the server's start) and, for a
 * cancel, its query (the query id) where it kills; nothing but digits from
 * outside goes in. */
static void test_kill_statements(void **state)
{
	(void)state;
	struct db_target t[] = {{4, BOOT, "3"}, {11, BOOT, NULL}};
	char *s = mysql_signal_sql(t, 2, false);
	assert_non_null(strstr(
	    s, "WHERE ID = 4 AND QUERY_ID = 3) AND (SELECT ABS(UNIX_TIMESTAMP() - VARIABLE_VALUE - " BOOT
	       ") <= 2 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'Uptime') THEN "
	       "SET r = 1; KILL QUERY ID 3; END IF; SELECT 4, r; END;\n"));
	assert_non_null(strstr(s, "WHERE ID = 11) AND"));
	assert_non_null(strstr(s, "KILL QUERY 11; END IF; SELECT 11, r; END;"));
	free(s);
	s = mysql_signal_sql(t, 1, true);
	assert_non_null(strstr(s, "WHERE ID = 4) AND"));
	assert_non_null(strstr(s, "KILL CONNECTION 4; END IF;"));
	assert_null(strstr(s, "QUERY_ID"));
	free(s);
	const char *bad[] = {"1; KILL 1", "", "12a", "123456789012345678901", "-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct db_target b[] = {{4, (char *)bad[i], NULL}};
		assert_null(mysql_signal_sql(b, 1, true));
		struct db_target c[] = {{4, BOOT, (char *)bad[i]}};
		assert_null(mysql_signal_sql(c, 1, false));
	}
	struct db_target z[] = {{0, BOOT, NULL}};
	assert_null(mysql_signal_sql(z, 1, true));
	s = mysql_lookup_sql(t, 2);
	assert_non_null(
	    strstr(s, ", QUERY_ID, COMMAND FROM information_schema.PROCESSLIST WHERE ID IN (4, 11)"));
	free(s);
	assert_true(mysql_valid_id("42", NULL));
	assert_false(mysql_valid_id("0", NULL));
	assert_false(mysql_valid_id("4294967296", NULL));
	assert_false(mysql_valid_id("4 OR 1", NULL));
}

static struct dbrows *rows2(const char *a, const char *b)
{
	struct dbrows *r = dbrows_new(2);
	const char *v[] = {a, b};
	dbrows_add(r, v, NULL);
	return r;
}

/* Each compound statement answers its row, then an empty OK. */
static void test_fates_and_running(void **state)
{
	(void)state;
	struct dbrows *res[] = {rows2("4", "1"), dbrows_new(0),   rows2("5", "0"),
	                        dbrows_new(0),   rows2("6", "2"), dbrows_new(0)};
	enum db_fate f[3];
	assert_int_equal(mysql_fates(res, 6, 3, f), 0);
	assert_int_equal(f[0], DB_FATE_SENT);
	assert_int_equal(f[1], DB_FATE_ENDED);
	assert_int_equal(f[2], DB_FATE_REFUSED);
	assert_int_equal(mysql_fates(res, 6, 2, f), -1);
	assert_int_equal(mysql_fates(res, 4, 3, f), -1);
	for (size_t i = 0; i < 6; i++)
		dbrows_free(res[i]);

	struct db_target t = {4, BOOT, "3"};
	const char *same[] = {"4", "1796681801", "3", "Query"};
	assert_true(mysql_target_running(&t, false, same));
	const char *newer[] = {"4", BOOT, "9", "Query"};
	assert_false(mysql_target_running(&t, false, newer));
	assert_true(mysql_target_running(&t, true, newer));
	const char *slept[] = {"4", BOOT, "3", "Sleep"};
	assert_false(mysql_target_running(&t, false, slept));
	const char *restarted[] = {"4", "1796685400", "3", "Query"};
	assert_false(mysql_target_running(&t, true, restarted));
	assert_true(mysql_same_boot(BOOT, "1796681798"));
	assert_false(mysql_same_boot(BOOT, "1796681797"));
	assert_false(mysql_same_boot(BOOT, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm_and_tree),    cmocka_unit_test(test_identity_stamps),
	    cmocka_unit_test(test_hostile_text),      cmocka_unit_test(test_unprivileged),
	    cmocka_unit_test(test_activity_sql),      cmocka_unit_test(test_kill_statements),
	    cmocka_unit_test(test_fates_and_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
