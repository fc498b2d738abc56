/* fuzz-mysql: what the mysql source reads from outside: rows of
 * information_schema.PROCESSLIST from any client's session (user, host,
 * statement text: tab-separated fields, NULL for SQL NULL, one row a line, as
 * tests/data/mysql/ holds them) and, after a line "--", InnoDB's lock-wait
 * edges (waiting id, blocking id), built into the model and its JSON; a
 * first line "!" reads them as a login without PROCESS on MySQL. Then the
 * action builders: each session's identity into the KILL statements and the
 * verification's reading of its own rows. Invariants: no control byte
 * reaches a model string, the tree lists each id once, an identity reads
 * back as written, and the statements are one compound statement per
 * target, whose only literal is 'Uptime' (nothing from outside but digits). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/mysql-parse.h"
#include "fuzz.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"

static void fuzz_mysql_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static void fuzz_mysql_statements(const struct db_target *t, size_t n)
{
	for (int terminate = 0; terminate < 2; terminate++) {
		char *sql = mysql_signal_sql(t, n, terminate != 0);
		if (sql == NULL)
			abort(); /* every target came from a valid identity */
		size_t lines = 1, begins = 0, quotes = 0;
		for (const char *p = sql; *p != '\0'; p++) {
			lines += *p == '\n';
			quotes += *p == '\'';
			begins += strncmp(p, "BEGIN NOT ATOMIC", 16) == 0;
		}
		if (lines != n || begins != n || quotes != 2 * n || strstr(sql, "--") != NULL ||
		    strstr(sql, "/*") != NULL || strchr(sql, '#') != NULL)
			abort();
		free(sql);
		/* the verification reads a row naming the target as running it */
		for (size_t i = 0; i < n; i++) {
			char id[16];
			snprintf(id, sizeof(id), "%d", t[i].pid);
			const char *row[] = {id, t[i].session, t[i].query, "Query"};
			if (!mysql_target_running(&t[i], terminate != 0, row))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct mysql_server s = {.mariadb = true, .process = true, .boot = "1796681800"};
	if (text[0] == '!')
		s = (struct mysql_server){.boot = "1796681800"};
	struct database_data *d = database_data_new();
	d->storm_min = 2;
	bool edges = false;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "--") == 0) {
			edges = true;
			continue;
		}
		const char *v[MY_NCOLS] = {0};
		char *f = line;
		for (int c = 0; c < MY_NCOLS && f != NULL; c++) {
			char *tab = strchr(f, '\t');
			if (tab != NULL)
				*tab = '\0';
			v[c] = strcmp(f, "NULL") == 0 ? NULL : f;
			f = tab != NULL ? tab + 1 : NULL;
		}
		if (edges)
			(void)mysql_parse_edge(d, v[0], v[1]);
		else
			(void)mysql_parse_session(d, v, &s);
	}
	database_build(d);
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		fuzz_mysql_inert(q->user);
		fuzz_mysql_inert(q->application);
		fuzz_mysql_inert(q->client);
		fuzz_mysql_inert(q->query);
		fuzz_mysql_inert(q->query_full);
		fuzz_mysql_inert(q->state);
		fuzz_mysql_inert(q->wait_event);
		fuzz_mysql_inert(q->group);
	}
	for (size_t i = 0; i < d->ngroups; i++)
		fuzz_mysql_inert(d->groups[i].query);
	struct db_target *t = xcalloc(d->nqueries + 1, sizeof(*t));
	size_t nt = 0;
	for (size_t i = 0; i < d->nqueries; i++) {
		char *id = database_identity(&d->queries[i]);
		if (id == NULL)
			continue;
		int pid;
		char *ss, *qs;
		if (database_identity_parse(id, &pid, &ss, &qs) != 0)
			abort();
		char *back = database_identity_format(pid, ss, qs);
		if (back == NULL || strcmp(back, id) != 0)
			abort();
		free(back);
		free(ss);
		free(qs);
		free(id);
		t[nt++] = (struct db_target){d->queries[i].pid, d->queries[i].session_start,
		                             d->queries[i].query_start};
	}
	if (nt > 0)
		fuzz_mysql_statements(t, nt);
	free(t);
	for (size_t i = 0; i < d->nblocking; i++)
		for (size_t j = i + 1; j < d->nblocking; j++)
			if (d->blocking[i].pid == d->blocking[j].pid)
				abort();
	char *note = mysql_privilege_note(&s, d->nqueries > 0 ? d->queries[0].user : "", d->hidden, true);
	if (note != NULL)
		fuzz_mysql_inert(note);
	free(note);
	cJSON *j = kind_database.to_json(d);
	char *out = cJSON_PrintUnformatted(j);
	free(out);
	cJSON_Delete(j);
	char *hint = kind_database.hint(d);
	free(hint);
	database_data_free(d);
	free(text);
	return 0;
}
