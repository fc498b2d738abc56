/* postgres-explain: see postgres-explain.h. The statement is built from the
 * session's text as the server has it (pg_stat_activity.query, unsanitized:
 * it goes back to the server, never to the screen); what comes back is
 * sanitized like every outside text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/postgres-explain.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define POSTGRES_PLANS_MAX 16
#define POSTGRES_PLAN_MAX  (16u << 10)

/* Skips spaces and comments (-- to the line's end, nested block comments). */
static const char *postgres_explain_skip(const char *p)
{
	for (;;) {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 0;
			while (*p != '\0') {
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/') {
					p += 2;
					if (--depth == 0)
						break;
				} else
					p++;
			}
		} else {
			return p;
		}
	}
}

/* Whether text holds a ';' outside quotes, identifiers, dollar quotes and
 * comments, other than at its end: a second statement. The server would
 * refuse it too (one statement per extended-protocol query); this says why
 * in words and sends nothing. */
static bool postgres_explain_has_second(const char *q)
{
	const char *p = q;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			char c = *p++;
			while (*p != '\0' && !(*p == c && p[1] != c))
				p += *p == c ? 2 : 1;
			if (*p != '\0')
				p++;
		} else if (*p == '$') {
			const char *t = p + 1;
			while (isalnum((unsigned char)*t) || *t == '_')
				t++;
			if (*t != '$') {
				p++;
				continue;
			}
			size_t n = (size_t)(t - p) + 1;
			const char *end;
			for (end = t + 1; *end != '\0' && strncmp(end, p, n) != 0; end++)
				;
			p = *end != '\0' ? end + n : end;
		} else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
			p = postgres_explain_skip(p);
		} else if (*p == ';') {
			return *postgres_explain_skip(p + 1) != '\0';
		} else {
			p++;
		}
	}
	return false;
}

char *postgres_explain_sql(const char *query, char *err, size_t cap)
{
	const char *p = postgres_explain_skip(query != NULL ? query : "");
	static const char *const reads[] = {"select", "with", "values", "table"};
	bool read = false;
	for (size_t i = 0; i < ARRAY_LEN(reads); i++) {
		size_t n = strlen(reads[i]);
		if (strncasecmp(p, reads[i], n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_')
			read = true;
	}
	if (!read) {
		snprintf(err, cap, "not a read statement (SELECT, WITH, VALUES, TABLE): not explained");
		return NULL;
	}
	if (postgres_explain_has_second(p)) {
		snprintf(err, cap, "the text holds a second statement: not explained");
		return NULL;
	}
	/* a trailing ';' would end the EXPLAIN: dropped */
	size_t len = strlen(p);
	while (len > 0 && (isspace((unsigned char)p[len - 1]) || p[len - 1] == ';'))
		len--;
	return xasprintf("EXPLAIN (ANALYZE false, COSTS true, FORMAT TEXT) %.*s", (int)len, p);
}

char *postgres_explain_text(const struct dbrows *r)
{
	struct util_buf b = {0};
	util_buf_add(&b, "", 0);
	for (size_t i = 0; r != NULL && i < r->nrows && b.len < POSTGRES_PLAN_MAX; i++) {
		const char *cell = dbrows_get(r, i, 0);
		char *line = sanitize_str(cell != NULL ? cell : "");
		if (i > 0)
			util_buf_add(&b, "\n", 1);
		util_buf_add(&b, line, strlen(line));
		free(line);
	}
	return b.s;
}

struct postgres_plans {
	char *group[POSTGRES_PLANS_MAX];
	char *text[POSTGRES_PLANS_MAX]; /* NULL: asked, no answer yet */
	size_t next;                    /* the slot the next new group takes */
};

struct postgres_plans *postgres_plans_new(void)
{
	return xcalloc(1, sizeof(struct postgres_plans));
}

void postgres_plans_free(struct postgres_plans *p)
{
	for (size_t i = 0; p != NULL && i < POSTGRES_PLANS_MAX; i++) {
		free(p->group[i]);
		free(p->text[i]);
	}
	free(p);
}

static int postgres_plans_find(const struct postgres_plans *p, const char *group)
{
	for (int i = 0; i < POSTGRES_PLANS_MAX; i++)
		if (p->group[i] != NULL && strcmp(p->group[i], group) == 0)
			return i;
	return -1;
}

bool postgres_plans_want(struct postgres_plans *p, const char *group)
{
	if (postgres_plans_find(p, group) >= 0)
		return false;
	size_t i = p->next;
	p->next = (p->next + 1) % POSTGRES_PLANS_MAX;
	free(p->group[i]);
	free(p->text[i]);
	p->group[i] = xstrdup(group);
	p->text[i] = NULL;
	return true;
}

void postgres_plans_set(struct postgres_plans *p, const char *group, char *text)
{
	int i = postgres_plans_find(p, group);
	if (i < 0) {
		free(text);
		return;
	}
	free(p->text[i]);
	p->text[i] = text;
}

const char *postgres_plans_get(const struct postgres_plans *p, const char *group)
{
	int i = postgres_plans_find(p, group);
	if (i < 0)
		return NULL;
	return p->text[i] != NULL ? p->text[i] : "waiting for the server";
}
