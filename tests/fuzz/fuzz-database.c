/* fuzz-database: what the postgres source reads from outside: query text
 * from any client (normalised to group it, drawn on one line) and the rows
 * of pg_stat_activity (tab-separated fields, \N for NULL, one row a line,
 * as tests/data/postgres/ holds them), built into the model and its JSON.
 * The action builders too: a session's identity (the input itself, and
 * each session's of the model) into the statements a cancel or terminate
 * sends. Invariants: normalising is idempotent on its own output's group, no
 * control byte reaches a model string, the tree lists each pid once, an
 * identity reads back as written, and the statements are one per target,
 * each a single statement with only its quoted timestamps as literals. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/postgres-parse.h"
#include "fuzz.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"

static void fuzz_database_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

/* One line per target, each one statement: nothing outside text came
 * through but timestamps, so no quote, comment or ';' of its own. */
static void fuzz_database_statements(const struct db_target *t, size_t n)
{
	for (int terminate = 0; terminate < 2; terminate++) {
		char *sql = postgres_signal_sql(t, n, terminate != 0);
		if (sql == NULL)
			abort(); /* every target came from a valid identity */
		size_t lines = 1, semis = 0, quotes = 0;
		for (const char *p = sql; *p != '\0'; p++) {
			lines += *p == '\n';
			semis += *p == ';';
			quotes += *p == '\'';
			if (*p == ';' && p[1] != '\n' && p[1] != '\0')
				abort();
		}
		if (lines != n || semis != n || quotes > 4 * n || strstr(sql, "--") != NULL ||
		    strstr(sql, "/*") != NULL)
			abort();
		free(sql);
	}
}

static void fuzz_database_identity(const char *text)
{
	int pid;
	char *bs, *qs;
	if (database_identity_parse(text, &pid, &bs, &qs) != 0)
		return;
	char *back = database_identity_format(pid, bs, qs);
	if (back == NULL || strcmp(back, text) != 0)
		abort();
	/* PostgreSQL's statements take its timestamps (digits are MariaDB's) */
	struct db_target t = {pid, bs, qs};
	if (database_valid_timestamp(bs) && (qs == NULL || database_valid_timestamp(qs)))
		fuzz_database_statements(&t, 1);
	free(back);
	free(bs);
	free(qs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *n = database_normalise(in, size);
	char *again = database_normalise(n, strlen(n));
	char a[24], b[24];
	database_text_group(n, a, sizeof(a));
	database_text_group(again, b, sizeof(b));
	if (strlen(a) != 17)
		abort();
	free(again);
	free(n);

	char *text = xstrndup(in, size);
	fuzz_database_identity(text);
	struct database_data *d = database_data_new();
	d->storm_min = 2;
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
		(void)postgres_parse_session(d, v, (size & 1) != 0);
	}
	database_build(d);
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		fuzz_database_inert(q->user);
		fuzz_database_inert(q->application);
		fuzz_database_inert(q->query);
		fuzz_database_inert(q->state);
		fuzz_database_inert(q->wait_event);
	}
	for (size_t i = 0; i < d->ngroups; i++)
		fuzz_database_inert(d->groups[i].query);
	struct db_target *t = xcalloc(d->nqueries + 1, sizeof(*t));
	size_t nt = 0;
	for (size_t i = 0; i < d->nqueries; i++) {
		char *id = database_identity(&d->queries[i]);
		if (id == NULL)
			continue;
		fuzz_database_identity(id);
		free(id);
		t[nt++] = (struct db_target){d->queries[i].pid, d->queries[i].session_start,
		                             d->queries[i].query_start};
	}
	if (nt > 0)
		fuzz_database_statements(t, nt);
	free(t);
	for (size_t i = 0; i < d->nblocking; i++)
		for (size_t j = i + 1; j < d->nblocking; j++)
			if (d->blocking[i].pid == d->blocking[j].pid)
				abort();
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
