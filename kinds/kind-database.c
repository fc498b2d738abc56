/* kind-database: the database kind's table. The model (database.h) is what
 * every database source publishes (postgres, mysql): sessions by state, the queries longest
 * first, the same query grouped, the blocking tree and tps. This file builds
 * the derived parts (groups, tree, counts) from the list of queries, so every
 * source of this kind groups and orders the same way; it also normalises
 * query text for servers without a query id or digest. JSON follows schema version 1;
 * the compatible additions are listed in docs/json-output.md. The verbs,
 * cancel and terminate, are written once, here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* Normalising reads at most this much of a query (the server's
 * track_activity_query_size is 1 KiB by default). */
#define DATABASE_NORMALISE_MAX (64 * 1024)

struct database_data *database_data_new(void)
{
	struct database_data *d = xcalloc(1, sizeof(*d));
	d->tps = NAN;
	d->oldest_xact_s = -1;
	return d;
}

void database_data_free(void *data)
{
	struct database_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nqueries; i++) {
		struct db_query *q = &d->queries[i];
		free(q->user);
		free(q->application);
		free(q->client);
		free(q->database);
		free(q->state);
		free(q->wait_event);
		free(q->query);
		free(q->query_full);
		free(q->group);
		free(q->blocked_by);
		free(q->session_start);
		free(q->query_start);
	}
	free(d->queries);
	for (size_t i = 0; i < d->ngroups; i++) {
		free(d->groups[i].group);
		free(d->groups[i].query);
		free(d->groups[i].pids);
		free(d->groups[i].plan);
	}
	free(d->groups);
	for (size_t i = 0; i < d->nblocking; i++)
		free(d->blocking[i].blocked_by);
	free(d->blocking);
	free(d->role);
	free(d->privilege);
	free(d->deploy);
	free(d);
}

void database_duration(double s, char *buf, size_t cap)
{
	if (!(s >= 0) || !isfinite(s)) {
		snprintf(buf, cap, "-");
		return;
	}
	double ms = s * 1000.0;
	util_age(ms < 1e18 ? (uint64_t)ms : (uint64_t)1e18, buf,
	         cap); /* a server's nonsense stays a number */
}

/* --- identities ----------------------------------------------------------- */

/* n digits at *p, moving past them. */
static bool database_digits(const char **p, int n)
{
	for (int i = 0; i < n; i++, (*p)++)
		if (**p < '0' || **p > '9')
			return false;
	return true;
}

bool database_valid_timestamp(const char *t)
{
	if (t == NULL || strlen(t) > 40)
		return false;
	const char *p = t;
	if (!database_digits(&p, 4) || *p++ != '-' || !database_digits(&p, 2) || *p++ != '-' ||
	    !database_digits(&p, 2) || *p++ != ' ' || !database_digits(&p, 2) || *p++ != ':' ||
	    !database_digits(&p, 2) || *p++ != ':' || !database_digits(&p, 2))
		return false;
	if (*p == '.') {
		p++;
		int n = 0;
		while (*p >= '0' && *p <= '9' && n < 6)
			p++, n++;
		if (n == 0)
			return false;
	}
	if (*p != '+' && *p != '-')
		return false;
	p++;
	if (!database_digits(&p, 2))
		return false;
	for (int part = 0; part < 2 && *p == ':'; part++) {
		p++;
		if (!database_digits(&p, 2))
			return false;
	}
	return *p == '\0';
}

bool database_valid_stamp(const char *t)
{
	if (database_valid_timestamp(t))
		return true;
	size_t n = t != NULL ? strlen(t) : 0;
	if (n == 0 || n > 20)
		return false;
	return strspn(t, "0123456789") == n;
}

char *database_identity_format(int pid, const char *session_start, const char *query_start)
{
	if (pid <= 0 || !database_valid_stamp(session_start) ||
	    (query_start != NULL && !database_valid_stamp(query_start)))
		return NULL;
	return xasprintf("%d@%s@%s", pid, session_start, query_start != NULL ? query_start : "");
}

char *database_identity(const struct db_query *q)
{
	return database_identity_format(q->pid, q->session_start, q->query_start);
}

int database_identity_parse(const char *text, int *pid, char **session_start, char **query_start)
{
	*session_start = *query_start = NULL;
	const char *a = text != NULL ? strchr(text, '@') : NULL;
	const char *b = a != NULL ? strchr(a + 1, '@') : NULL;
	if (b == NULL || a == text || a - text > 10)
		return -1;
	long v = 0;
	for (const char *p = text; p < a; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	char *bs = xstrndup(a + 1, (size_t)(b - a - 1));
	char *qs = b[1] != '\0' ? xstrdup(b + 1) : NULL;
	if (v <= 0 || v > INT32_MAX || !database_valid_stamp(bs) ||
	    (qs != NULL && !database_valid_stamp(qs))) {
		free(bs);
		free(qs);
		return -1;
	}
	*pid = (int)v;
	*session_start = bs;
	*query_start = qs;
	return 0;
}

/* --- normalisation: what makes two queries "the same query" ----------- */

static bool database_ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c >= 0x80;
}

static void database_space(struct util_buf *o)
{
	if (o->len > 0 && o->s[o->len - 1] != ' ')
		util_buf_add(o, " ", 1);
}

/* A literal becomes "?"; a list of them in parentheses ("IN (?, ?, ?)")
 * becomes one, so lists of any length are the same query. */
static void database_literal(struct util_buf *o, int depth)
{
	size_t l = o->len;
	if (depth <= 0) {
		util_buf_add(o, "?", 1);
		return;
	}
	while (l > 0 && o->s[l - 1] == ' ')
		l--;
	if (l > 0 && o->s[l - 1] == ',') {
		size_t k = l - 1;
		while (k > 0 && o->s[k - 1] == ' ')
			k--;
		if (k > 0 && o->s[k - 1] == '?') {
			o->len = k;
			o->s[k] = '\0';
			return;
		}
	}
	util_buf_add(o, "?", 1);
}

/* The length of a dollar-quote tag "$tag$" at s (0 when none). */
static size_t database_dollar_tag(const char *s, size_t n)
{
	size_t i = 1;
	if (i < n && s[i] >= '0' && s[i] <= '9')
		return 0; /* $1 is a parameter */
	while (i < n && database_ident_char((unsigned char)s[i]))
		i++;
	return i < n && s[i] == '$' ? i + 1 : 0;
}

char *database_normalise(const char *q, size_t len)
{
	struct util_buf o = {0};
	util_buf_add(&o, "", 0);
	if (len > DATABASE_NORMALISE_MAX)
		len = DATABASE_NORMALISE_MAX;
	size_t i = 0;
	int depth = 0; /* parentheses */
	while (i < len) {
		unsigned char c = (unsigned char)q[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			database_space(&o);
			i++;
		} else if (c == '-' && i + 1 < len && q[i + 1] == '-') {
			while (i < len && q[i] != '\n')
				i++;
			database_space(&o);
		} else if (c == '/' && i + 1 < len && q[i + 1] == '*') {
			int nest = 0;
			while (i < len) {
				if (q[i] == '/' && i + 1 < len && q[i + 1] == '*') {
					nest++;
					i += 2;
				} else if (q[i] == '*' && i + 1 < len && q[i + 1] == '/') {
					i += 2;
					if (--nest == 0)
						break;
				} else {
					i++;
				}
			}
			database_space(&o);
		} else if (c == '\'') {
			/* E'..', B'..', X'..' and U&'..': the prefix goes with the literal. */
			bool backslash = false;
			size_t l = o.len;
			if (l > 0 && strchr("EeBbXx", o.s[l - 1]) != NULL &&
			    (l == 1 || !database_ident_char((unsigned char)o.s[l - 2]))) {
				backslash = o.s[l - 1] == 'E' || o.s[l - 1] == 'e';
				o.s[--o.len] = '\0';
			} else if (l >= 2 && o.s[l - 1] == '&' && (o.s[l - 2] == 'U' || o.s[l - 2] == 'u') &&
			           (l == 2 || !database_ident_char((unsigned char)o.s[l - 3]))) {
				o.len -= 2;
				o.s[o.len] = '\0';
			}
			i++;
			while (i < len) {
				if (backslash && q[i] == '\\' && i + 1 < len) {
					i += 2;
				} else if (q[i] == '\'') {
					if (i + 1 < len && q[i + 1] == '\'') {
						i += 2;
					} else {
						i++;
						break;
					}
				} else {
					i++;
				}
			}
			database_literal(&o, depth);
		} else if (c == '$') {
			size_t tag = database_dollar_tag(q + i, len - i);
			if (tag > 0) {
				const char *t = q + i;
				i += tag;
				while (i < len &&
				       !(q[i] == '$' && len - i >= tag && memcmp(q + i, t, tag) == 0))
					i++;
				i = i < len ? i + tag : len;
				database_literal(&o, depth);
			} else if (i + 1 < len && q[i + 1] >= '0' && q[i + 1] <= '9') {
				i++;
				while (i < len && q[i] >= '0' && q[i] <= '9')
					i++;
				database_literal(&o, depth);
			} else {
				util_buf_add(&o, "$", 1);
				i++;
			}
		} else if (c == '"') {
			size_t start = i++;
			while (i < len) {
				if (q[i] == '"') {
					if (i + 1 < len && q[i + 1] == '"') {
						i += 2;
						continue;
					}
					i++;
					break;
				}
				i++;
			}
			util_buf_add(&o, q + start, i - start);
		} else if (c >= '0' && c <= '9' &&
		           (o.len == 0 || !database_ident_char((unsigned char)o.s[o.len - 1]))) {
			while (i < len && ((q[i] >= '0' && q[i] <= '9') || q[i] == '.' || q[i] == '_'))
				i++;
			if (i < len && (q[i] == 'e' || q[i] == 'E')) {
				size_t j = i + 1;
				if (j < len && (q[j] == '+' || q[j] == '-'))
					j++;
				if (j < len && q[j] >= '0' && q[j] <= '9') {
					i = j;
					while (i < len && q[i] >= '0' && q[i] <= '9')
						i++;
				}
			}
			database_literal(&o, depth);
		} else if (database_ident_char(c)) {
			size_t start = i;
			while (i < len && database_ident_char((unsigned char)q[i]))
				i++;
			util_buf_add(&o, q + start, i - start);
		} else {
			depth += c == '(' ? 1 : c == ')' ? -1 : 0;
			util_buf_add(&o, q + i, 1);
			i++;
		}
	}
	while (o.len > 0 && o.s[o.len - 1] == ' ')
		o.s[--o.len] = '\0';
	return o.s;
}

void database_text_group(const char *normalised, char *buf, size_t cap)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)normalised; *p != '\0'; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(buf, cap, "t%016llx", (unsigned long long)h);
}

/* --- building groups, the tree and counts ------------------------------ */

static int database_query_cmp(const void *pa, const void *pb)
{
	const struct db_query *a = pa, *b = pb;
	if (a->duration_s != b->duration_s)
		return a->duration_s > b->duration_s ? -1 : 1;
	return a->pid - b->pid;
}

static int database_group_cmp(const void *pa, const void *pb)
{
	const struct db_group *a = pa, *b = pb;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->longest_s != b->longest_s)
		return a->longest_s > b->longest_s ? -1 : 1;
	return strcmp(a->group, b->group);
}

const struct db_query *database_query(const struct database_data *d, int pid)
{
	for (size_t i = 0; d != NULL && i < d->nqueries; i++)
		if (d->queries[i].pid == pid)
			return &d->queries[i];
	return NULL;
}

const struct db_group *database_group(const struct database_data *d, const char *key)
{
	for (size_t i = 0; d != NULL && key != NULL && i < d->ngroups; i++)
		if (strcmp(d->groups[i].group, key) == 0)
			return &d->groups[i];
	return NULL;
}

const struct db_group *database_storm(const struct database_data *d)
{
	if (d == NULL || d->ngroups == 0 || d->storm_min == 0 || d->groups[0].count < d->storm_min)
		return NULL;
	return &d->groups[0];
}

static bool database_is_active(const struct db_query *q)
{
	return q->state != NULL && strcmp(q->state, "active") == 0;
}

static void database_build_groups(struct database_data *d)
{
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		if (!database_is_active(q) || q->group == NULL || q->group[0] == '\0')
			continue;
		struct db_group *g = (struct db_group *)database_group(d, q->group);
		if (g == NULL) {
			d->groups = xrealloc(d->groups, (d->ngroups + 1) * sizeof(*d->groups));
			g = &d->groups[d->ngroups++];
			memset(g, 0, sizeof(*g));
			g->group = xstrdup(q->group);
			/* the one-line text: its whitespace (a line break, a tab) was
			 * collapsed before the sanitizer made such bytes visible */
			const char *text = q->query != NULL ? q->query : q->query_full;
			char *n = database_normalise(text, strlen(text));
			g->query = sanitize_str(n);
			free(n);
			g->longest_s = -1;
		}
		g->count++;
		g->pids = xrealloc(g->pids, (g->npids + 1) * sizeof(*g->pids));
		g->pids[g->npids++] = q->pid; /* queries are longest first */
		if (q->duration_s > g->longest_s)
			g->longest_s = q->duration_s;
		if (q->started_ms != 0 && (g->first_started_ms == 0 || q->started_ms < g->first_started_ms))
			g->first_started_ms = q->started_ms;
		if (d->deploy != NULL && q->started_ms >= d->deploy_ms)
			g->after_deploy++;
	}
	if (d->ngroups > 1)
		qsort(d->groups, d->ngroups, sizeof(*d->groups), database_group_cmp);
}

static bool database_blocks(const struct db_query *q, int pid)
{
	for (size_t i = 0; i < q->nblocked_by; i++)
		if (q->blocked_by[i] == pid)
			return true;
	return false;
}

struct database_tree {
	struct database_data *d;
	int *seen;
	size_t nseen;
};

static bool database_tree_seen(const struct database_tree *t, int pid)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (t->seen[i] == pid)
			return true;
	return false;
}

/* Appends pid and, depth first, those waiting behind it; returns how many
 * were appended after it. */
static size_t database_tree_add(struct database_tree *t, int pid, int depth)
{
	struct database_data *d = t->d;
	t->seen = xrealloc(t->seen, (t->nseen + 1) * sizeof(*t->seen));
	t->seen[t->nseen++] = pid;
	size_t at = d->nblocking;
	d->blocking = xrealloc(d->blocking, (d->nblocking + 1) * sizeof(*d->blocking));
	struct db_block *b = &d->blocking[d->nblocking++];
	memset(b, 0, sizeof(*b));
	b->pid = pid;
	b->depth = depth;
	const struct db_query *self = database_query(d, pid);
	if (self != NULL && self->nblocked_by > 0 && depth > 0) {
		b->blocked_by = xcalloc(self->nblocked_by, sizeof(int));
		memcpy(b->blocked_by, self->blocked_by, self->nblocked_by * sizeof(int));
		b->nblocked_by = self->nblocked_by;
	}
	size_t below = 0;
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		if (database_blocks(q, pid) && !database_tree_seen(t, q->pid))
			below += 1 + database_tree_add(t, q->pid, depth + 1);
	}
	d->blocking[at].blocks = below;
	return below;
}

static void database_build_tree(struct database_data *d)
{
	struct database_tree t = {.d = d};
	/* Roots: sessions that block someone and wait for no one. */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < d->nqueries; i++) {
			for (size_t j = 0; j < d->queries[i].nblocked_by; j++) {
				int pid = d->queries[i].blocked_by[j];
				const struct db_query *root = database_query(d, pid);
				/* the second pass takes what is left: cycles, or blockers hidden from us */
				bool waits = root != NULL && root->nblocked_by > 0;
				if (database_tree_seen(&t, pid) || (pass == 0 && waits))
					continue;
				database_tree_add(&t, pid, 0);
			}
		}
	}
	free(t.seen);
}

void database_build(struct database_data *d)
{
	if (d->nqueries > 1)
		qsort(d->queries, d->nqueries, sizeof(*d->queries), database_query_cmp);
	d->active = d->idle_in_transaction = d->waiting = 0;
	d->oldest_xact_s = -1;
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		if (database_is_active(q))
			d->active++;
		else if (q->state != NULL && strncmp(q->state, "idle in transaction", 19) == 0)
			d->idle_in_transaction++;
		if (q->waiting)
			d->waiting++;
		if (q->xact_s > d->oldest_xact_s)
			d->oldest_xact_s = q->xact_s;
	}
	database_build_groups(d);
	database_build_tree(d);
}

/* --- --once output ------------------------------------------------------ */

/* What the login cannot see (other roles' queries) or do is said once, as
 * the engine's note naming the grant, never shown as data. Caller frees;
 * NULL: none. */
char *database_privilege_note(const struct database_data *d)
{
	if (d == NULL || d->privilege == NULL)
		return NULL;
	return xstrdup(d->privilege);
}

static void database_json_time(cJSON *o, const char *name, int64_t ms)
{
	if (ms <= 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	char when[32];
	util_rfc3339((time_t)(ms / 1000), when, sizeof(when));
	cJSON_AddStringToObject(o, name, when);
}

static void database_json_num(cJSON *o, const char *name, double v)
{
	if (v >= 0 && isfinite(v))
		cJSON_AddNumberToObject(o, name, round(v * 1000.0) / 1000.0);
	else
		cJSON_AddNullToObject(o, name);
}

static cJSON *database_json_pids(const int *pids, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(pids[i]));
	return a;
}

static cJSON *kind_database_json(const void *data)
{
	const struct database_data *d = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *s = cJSON_AddObjectToObject(o, "sessions");
	cJSON_AddNumberToObject(s, "active", d != NULL ? (double)d->active : 0);
	cJSON_AddNumberToObject(s, "idle_in_transaction", d != NULL ? (double)d->idle_in_transaction : 0);
	cJSON_AddNumberToObject(s, "waiting", d != NULL ? (double)d->waiting : 0);
	cJSON_AddNumberToObject(s, "total", d != NULL ? (double)d->total : 0);
	cJSON_AddNumberToObject(s, "hidden", d != NULL ? (double)d->hidden : 0);
	database_json_num(s, "oldest_xact_s", d != NULL ? d->oldest_xact_s : -1);
	if (d != NULL && isfinite(d->tps))
		cJSON_AddNumberToObject(o, "tps", round(d->tps * 10.0) / 10.0);
	else
		cJSON_AddNullToObject(o, "tps");
	cJSON *qs = cJSON_AddArrayToObject(o, "queries");
	for (size_t i = 0; d != NULL && i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "pid", q->pid);
		cJSON_AddStringToObject(j, "user", q->user);
		cJSON_AddStringToObject(j, "application", q->application);
		cJSON_AddStringToObject(j, "client", q->client);
		cJSON_AddStringToObject(j, "state", q->state);
		if (q->wait_event[0] != '\0')
			cJSON_AddStringToObject(j, "wait_event", q->wait_event);
		else
			cJSON_AddNullToObject(j, "wait_event");
		database_json_num(j, "duration_s", q->duration_s);
		cJSON_AddStringToObject(j, "query", q->query_full);
		if (q->group != NULL && q->group[0] != '\0')
			cJSON_AddStringToObject(j, "group", q->group);
		else
			cJSON_AddNullToObject(j, "group");
		database_json_num(j, "xact_s", q->xact_s);
		database_json_time(j, "started_at", q->started_ms);
		/* exact, as the server wrote them: `sitrep do cancel PID --backend-start` takes them */
		if (q->session_start != NULL)
			cJSON_AddStringToObject(j, "backend_start", q->session_start);
		else
			cJSON_AddNullToObject(j, "backend_start");
		if (q->query_start != NULL)
			cJSON_AddStringToObject(j, "query_start", q->query_start);
		else
			cJSON_AddNullToObject(j, "query_start");
		cJSON_AddItemToObject(j, "blocked_by", database_json_pids(q->blocked_by, q->nblocked_by));
		cJSON_AddItemToArray(qs, j);
	}
	cJSON *gs = cJSON_AddArrayToObject(o, "groups");
	for (size_t i = 0; d != NULL && i < d->ngroups; i++) {
		const struct db_group *g = &d->groups[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "group", g->group);
		cJSON_AddStringToObject(j, "query", g->query);
		cJSON_AddNumberToObject(j, "count", (double)g->count);
		database_json_num(j, "longest_s", g->longest_s);
		database_json_time(j, "first_started", g->first_started_ms);
		cJSON_AddItemToObject(j, "pids", database_json_pids(g->pids, g->npids));
		if (d->deploy != NULL)
			cJSON_AddNumberToObject(j, "after_deploy", (double)g->after_deploy);
		else
			cJSON_AddNullToObject(j, "after_deploy");
		cJSON_AddBoolToObject(j, "storm", d->storm_min > 0 && g->count >= d->storm_min);
		cJSON_AddItemToArray(gs, j);
	}
	cJSON *bs = cJSON_AddArrayToObject(o, "blocking");
	for (size_t i = 0; d != NULL && i < d->nblocking; i++) {
		const struct db_block *b = &d->blocking[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "pid", b->pid);
		cJSON_AddItemToObject(j, "blocked_by", database_json_pids(b->blocked_by, b->nblocked_by));
		cJSON_AddNumberToObject(j, "depth", b->depth);
		cJSON_AddNumberToObject(j, "blocks", (double)b->blocks);
		cJSON_AddItemToArray(bs, j);
	}
	if (d != NULL && d->deploy != NULL) {
		cJSON *dep = cJSON_AddObjectToObject(o, "deploy");
		cJSON_AddStringToObject(dep, "id", d->deploy);
		database_json_time(dep, "time", d->deploy_ms);
	}
	if (d != NULL && d->engine != NULL)
		cJSON_AddStringToObject(o, "engine", d->engine);
	if (d != NULL && d->server_version > 0)
		cJSON_AddNumberToObject(o, "server_version", d->server_version);
	if (d != NULL && d->role != NULL)
		cJSON_AddStringToObject(o, "role", d->role);
	if (d != NULL && d->storm_min > 0)
		cJSON_AddNumberToObject(o, "storm_count", (double)d->storm_min);
	char *note = database_privilege_note(d);
	if (note != NULL)
		cJSON_AddStringToObject(o, "note", note);
	else
		cJSON_AddNullToObject(o, "note");
	free(note);
	return o;
}

/* pids as a new int array of *n, at most DATABASE_JSON_PIDS_MAX. */
#define DATABASE_JSON_PIDS_MAX 100000
static int *database_from_pids(const cJSON *o, const char *key, size_t *n)
{
	const cJSON *arr = kindjson_array(o, key), *v;
	size_t len = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	*n = 0;
	if (len == 0)
		return NULL;
	if (len > DATABASE_JSON_PIDS_MAX)
		len = DATABASE_JSON_PIDS_MAX;
	int *out = xcalloc(len, sizeof(int));
	cJSON_ArrayForEach(v, arr)
	{
		if (*n < len && cJSON_IsNumber(v))
			out[(*n)++] = (int)v->valuedouble;
	}
	return out;
}

/* The one-line form of a query from its full text as sent (sanitized: a
 * line break arrives as "^J", a CR as "^M"): every run of white space and
 * breaks one space, as the source's own one-line form has it. */
static char *database_one_line(const char *text)
{
	char *out = xstrdup(text);
	size_t n = 0;
	bool space = false;
	for (const char *p = text; *p != '\0'; p++) {
		bool brk = p[0] == '^' && (p[1] == 'J' || p[1] == 'M');
		bool ws = brk || *p == ' ';
		if (brk)
			p++;
		if (ws && (space || n == 0))
			continue;
		out[n++] = ws ? ' ' : *p;
		space = ws;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

static void *kind_database_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	struct database_data *d = database_data_new();
	const cJSON *s = kindjson_object(json, "sessions"), *j;
	d->active = (size_t)kindjson_num(s, "active", 0);
	d->idle_in_transaction = (size_t)kindjson_num(s, "idle_in_transaction", 0);
	d->waiting = (size_t)kindjson_num(s, "waiting", 0);
	d->total = (size_t)kindjson_num(s, "total", 0);
	d->hidden = (size_t)kindjson_num(s, "hidden", 0);
	d->oldest_xact_s = kindjson_num(s, "oldest_xact_s", -1);
	d->tps = kindjson_num(json, "tps", NAN);
	d->server_version = (int)kindjson_num(json, "server_version", 0);
	d->role = kindjson_str(json, "role", NULL);
	d->privilege = kindjson_str(json, "note", NULL);
	/* engine is static text in the model: only the engines sitrep knows */
	static const char *const engines[] = {"postgresql", "mariadb", "mysql"};
	const cJSON *engine = cJSON_GetObjectItemCaseSensitive(json, "engine");
	for (size_t i = 0; cJSON_IsString(engine) && i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engine->valuestring, engines[i]) == 0)
			d->engine = engines[i];
	d->storm_min = (size_t)kindjson_num(json, "storm_count", 0);
	const cJSON *arr = kindjson_array(json, "queries");
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->queries = n > 0 ? xcalloc(n, sizeof(*d->queries)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct db_query *q = &d->queries[d->nqueries++];
		q->pid = (int)kindjson_num(j, "pid", 0);
		q->user = kindjson_str(j, "user", "");
		q->application = kindjson_str(j, "application", "");
		q->client = kindjson_str(j, "client", "");
		q->database = xstrdup(""); /* not in the JSON: unknown */
		q->state = kindjson_str(j, "state", "");
		q->wait_event = kindjson_str(j, "wait_event", "");
		q->query_full = kindjson_str(j, "query", "");
		q->query = database_one_line(q->query_full);
		q->group = kindjson_str(j, "group", "");
		q->duration_s = kindjson_num(j, "duration_s", -1);
		q->xact_s = kindjson_num(j, "xact_s", -1);
		q->started_ms = kindjson_time(j, "started_at") * 1000;
		q->session_start = kindjson_str(j, "backend_start", NULL);
		q->query_start = kindjson_str(j, "query_start", NULL);
		q->blocked_by = database_from_pids(j, "blocked_by", &q->nblocked_by);
		q->waiting = q->nblocked_by > 0;
	}
	arr = kindjson_array(json, "groups");
	n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->groups = n > 0 ? xcalloc(n, sizeof(*d->groups)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct db_group *g = &d->groups[d->ngroups++];
		g->group = kindjson_str(j, "group", "");
		g->query = kindjson_str(j, "query", "");
		g->count = (size_t)kindjson_num(j, "count", 0);
		g->longest_s = kindjson_num(j, "longest_s", -1);
		g->first_started_ms = kindjson_time(j, "first_started") * 1000;
		g->pids = database_from_pids(j, "pids", &g->npids);
		g->after_deploy = (size_t)kindjson_num(j, "after_deploy", 0);
	}
	arr = kindjson_array(json, "blocking");
	n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->blocking = n > 0 ? xcalloc(n, sizeof(*d->blocking)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct db_block *b = &d->blocking[d->nblocking++];
		b->pid = (int)kindjson_num(j, "pid", 0);
		b->blocked_by = database_from_pids(j, "blocked_by", &b->nblocked_by);
		b->depth = (int)kindjson_num(j, "depth", 0);
		b->blocks = (size_t)kindjson_num(j, "blocks", 0);
	}
	const cJSON *dep = kindjson_object(json, "deploy");
	if (dep != NULL) {
		d->deploy = kindjson_str(dep, "id", "");
		d->deploy_ms = kindjson_time(dep, "time") * 1000;
	}
	return d;
}

/* "×40, longest 3m, all started after deploy r42" (caller frees). */
static char *database_group_words(const struct database_data *d, const struct db_group *g)
{
	char longest[16];
	database_duration(g->longest_s, longest, sizeof(longest));
	if (d->deploy == NULL || g->after_deploy == 0)
		return xasprintf("×%zu, longest %s", g->count, longest);
	if (g->after_deploy == g->count)
		return xasprintf("×%zu, longest %s, all started after deploy %s", g->count, longest,
		                 d->deploy);
	return xasprintf("×%zu, longest %s, %zu started after deploy %s", g->count, longest, g->after_deploy,
	                 d->deploy);
}

static void kind_database_print(const void *data, FILE *out)
{
	const struct database_data *d = data;
	char oldest[16], tps[24] = "-";
	database_duration(d->oldest_xact_s, oldest, sizeof(oldest));
	if (isfinite(d->tps))
		snprintf(tps, sizeof(tps), "%.1f", d->tps);
	fprintf(out,
	        "  sessions: %zu active, %zu idle in transaction, %zu waiting, %zu total; oldest transaction "
	        "%s; %s tps\n",
	        d->active, d->idle_in_transaction, d->waiting, d->total, oldest, tps);
	char *note = database_privilege_note(d);
	if (note != NULL)
		fprintf(out, "  note: %s\n", note);
	free(note);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct db_group *g = &d->groups[i];
		if (g->count < 2)
			continue;
		char *w = database_group_words(d, g);
		fprintf(out, "  group %s %s: %s\n", g->group, w, g->query);
		free(w);
	}
	for (size_t i = 0; i < d->nblocking; i++) {
		const struct db_block *b = &d->blocking[i];
		const struct db_query *q = database_query(d, b->pid);
		fprintf(out, "  %*s%s pid %d%s%s\n", b->depth * 2, "",
		        b->depth == 0 ? "blocker" : "└ waits:", b->pid, q != NULL ? " " : "",
		        q != NULL ? q->query : "");
	}
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct db_query *q = &d->queries[i];
		char dur[16];
		database_duration(q->duration_s, dur, sizeof(dur));
		fprintf(out, "  %7d %-12s %-20s %5s %s%s%s\n", q->pid, q->user, q->state, dur,
		        q->wait_event[0] != '\0' ? q->wait_event : "", q->wait_event[0] != '\0' ? " " : "",
		        q->query);
	}
}

/* A storm starts when a group reaches storm_min and ends when it falls
 * below; each is one event, keyed by the group. */
static void kind_database_diff(struct source *src, const void *old, const void *now)
{
	const struct database_data *o = old, *n = now;
	size_t min = n != NULL ? n->storm_min : o != NULL ? o->storm_min : 0;
	if (min == 0)
		return;
	for (size_t i = 0; n != NULL && i < n->ngroups; i++) {
		const struct db_group *g = &n->groups[i];
		const struct db_group *before = database_group(o, g->group);
		if (g->count < min || (before != NULL && before->count >= min))
			continue;
		char *w = database_group_words(n, g);
		app_state(src->app, src, "status", EVENT_CRIT, "query storm", g->group, "query storm: %s: %s",
		          w, g->query);
		free(w);
	}
	for (size_t i = 0; o != NULL && i < o->ngroups; i++) {
		const struct db_group *g = &o->groups[i];
		const struct db_group *after = database_group(n, g->group);
		if (g->count < min || (after != NULL && after->count >= min))
			continue;
		app_state(src->app, src, "status", EVENT_OK, "query storm", g->group,
		          "query storm over (%zu now): %s", after != NULL ? after->count : 0, g->query);
	}
}

static char *kind_database_hint(const void *data)
{
	const struct database_data *d = data;
	const struct db_group *g = database_storm(d);
	if (g != NULL) {
		char longest[16];
		database_duration(g->longest_s, longest, sizeof(longest));
		if (d->deploy != NULL && g->after_deploy == g->count)
			return xasprintf("×%zu same query, longest %s, after deploy %s", g->count, longest,
			                 d->deploy);
		return xasprintf("×%zu same query, longest %s", g->count, longest);
	}
	for (size_t i = 0; d != NULL && i < d->nblocking; i++)
		if (d->blocking[i].depth == 0 && d->blocking[i].blocks > 0)
			return xasprintf("pid %d blocks %zu session%s", d->blocking[i].pid,
			                 d->blocking[i].blocks, d->blocking[i].blocks == 1 ? "" : "s");
	return NULL;
}

/* A storm is crit; a session blocking others is warn. */
static enum level kind_database_level(const void *data)
{
	const struct database_data *d = data;
	if (database_storm(d) != NULL)
		return LEVEL_CRIT;
	for (size_t i = 0; d != NULL && i < d->nblocking; i++)
		if (d->blocking[i].depth == 0 && d->blocking[i].blocks > 0)
			return LEVEL_WARN;
	return LEVEL_OK;
}

/* --- verbs ---------------------------------------------------------------- */

static bool kind_database_is_pid(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* `sitrep do cancel PID [--backend-start TS [--query-start TS]] | --group
 * QUERYID [--terminate]`. A bare PID is looked up when the action is
 * prepared (the confirmation shows the session found); with --backend-start
 * (as `--once --json` gives it) the session is named exactly and nothing
 * else can match. */
static int kind_database_cancel_parse(struct action *a, const struct verb_args *args, char *err, size_t cap)
{
	bool terminate = verb_args_get(args, "--terminate") != NULL;
	const char *group = verb_args_get(args, "--group"), *pid = verb_args_get(args, "PID");
	const char *bstart = verb_args_get(args, "--backend-start"),
	           *qstart = verb_args_get(args, "--query-start");
	if (pid != NULL && !kind_database_is_pid(pid)) {
		char *shown = sanitize_str(pid);
		snprintf(err, cap, "unexpected '%s' (a PID, or --group QUERYID)", shown);
		free(shown);
		return -1;
	}
	if ((pid == NULL) == (group == NULL)) {
		snprintf(err, cap, "one PID or --group QUERYID");
		return -1;
	}
	if ((bstart != NULL || qstart != NULL) && (pid == NULL || bstart == NULL)) {
		snprintf(err, cap, "--backend-start names the session of a PID (--query-start goes with it)");
		return -1;
	}
	char *identity = NULL;
	if (bstart != NULL) {
		identity = database_identity_format(atoi(pid), bstart, qstart);
		if (identity == NULL) {
			snprintf(err, cap,
			         "--backend-start and --query-start take the server's timestamps as "
			         "`--once --json` shows them (2024-05-01 12:34:56.123456+00)");
			return -1;
		}
	}
	free(a->target);
	a->target = xstrdup(pid != NULL ? pid : group);
	if (group != NULL)
		action_add_param(a, "group", group);
	else
		action_select(a, identity != NULL ? identity : pid);
	free(identity);
	if (terminate)
		action_set_verb(a, &kind_database_terminate);
	return 0;
}

/* One session in words: "pid 4242 (session started ..., query started ...)". */
static char *kind_database_session_words(const char *selection, bool terminate)
{
	int pid;
	char *bs, *qs;
	if (database_identity_parse(selection, &pid, &bs, &qs) != 0) {
		char *shown = sanitize_str(selection);
		char *out = xasprintf("backend pid %s", shown);
		free(shown);
		return out;
	}
	char *out;
	if (!database_valid_timestamp(bs)) /* MariaDB: the server's start (s) and the query id */
		out = qs != NULL && !terminate
		          ? xasprintf("connection %d (query id %s, server started at %s)", pid, qs, bs)
		          : xasprintf("connection %d (server started at %s)", pid, bs);
	else if (qs != NULL && !terminate)
		out = xasprintf("backend pid %d (session started %s, query started %s)", pid, bs, qs);
	else
		out = xasprintf("backend pid %d (session started %s)", pid, bs);
	free(bs);
	free(qs);
	return out;
}

/* Appends "a, b" distinct values (at most 3, then "+N more") to *out. */
static void kind_database_distinct(char **out, const char *label, const char *const *vals, size_t n)
{
	char *list = xstrdup("");
	size_t shown = 0, more = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = vals[i] == NULL || vals[i][0] == '\0';
		for (size_t j = 0; j < i && !seen; j++)
			seen = vals[j] != NULL && strcmp(vals[j], vals[i]) == 0;
		if (seen)
			continue;
		if (shown == 3) {
			more++;
			continue;
		}
		char *next = xasprintf("%s%s%s", list, shown > 0 ? ", " : "", vals[i]);
		free(list);
		list = next;
		shown++;
	}
	if (shown > 0) {
		char *next = more > 0 ? xasprintf("%s · %s%s %s, +%zu more", *out, label,
		                                  shown + more > 1 ? "s" : "", list, more)
		                      : xasprintf("%s · %s%s %s", *out, label, shown > 1 ? "s" : "", list);
		free(*out);
		*out = next;
	}
	free(list);
}

/* What the sessions chosen run, from the pane's model: the query text
 * (normalised for a group, whole for one session), then how many, their
 * users, databases and how long they have run. NULL when the model does not
 * have them (`sitrep do` before a refresh). Caller frees. */
static char *kind_database_what_runs(const struct action *a, const char *group)
{
	const struct database_data *d =
	    a->src != NULL && a->src->snap.kind == &kind_database ? a->src->snap.data : NULL;
	if (d == NULL || a->nselection == 0)
		return NULL;
	const char **users = xcalloc(a->nselection, sizeof(*users));
	const char **dbs = xcalloc(a->nselection, sizeof(*dbs));
	double lo = -1, hi = -1;
	const struct db_query *one = NULL;
	size_t found = 0;
	for (size_t i = 0; i < a->nselection; i++) {
		int pid;
		char *bs, *qs;
		if (database_identity_parse(a->selection[i], &pid, &bs, &qs) != 0)
			continue;
		free(bs);
		free(qs);
		const struct db_query *q = database_query(d, pid);
		if (q == NULL)
			continue;
		one = q;
		users[found] = q->user;
		dbs[found++] = q->database;
		if (q->duration_s >= 0 && (lo < 0 || q->duration_s < lo))
			lo = q->duration_s;
		if (q->duration_s > hi)
			hi = q->duration_s;
	}
	char *out = NULL;
	if (found > 0) {
		const struct db_group *g = group != NULL ? database_group(d, group) : NULL;
		const char *text = g != NULL ? g->query : found == 1 ? one->query_full : one->query;
		out = xasprintf("  %s\n  %zu session%s", text, found, found == 1 ? "" : "s");
		kind_database_distinct(&out, "user", users, found);
		kind_database_distinct(&out, "database", dbs, found);
		char a1[16], a2[16];
		database_duration(lo, a1, sizeof(a1));
		database_duration(hi, a2, sizeof(a2));
		char *next = lo < 0                ? xstrdup(out)
		             : strcmp(a1, a2) == 0 ? xasprintf("%s · running %s", out, a2)
		                                   : xasprintf("%s · running %s to %s", out, a1, a2);
		free(out);
		out = next;
	}
	free(users);
	free(dbs);
	return out;
}

static char *kind_database_describe(const struct action *a, const char *what, bool terminate)
{
	const char *group = action_param(a, "group");
	char *runs = kind_database_what_runs(a, group);
	if (group != NULL && runs != NULL) {
		char *out = xasprintf("%s %zu %s of one query group:\n%s\nSessions that start later are not "
		                      "touched. The statements, one per session:",
		                      what, a->nselection, terminate ? "sessions" : "queries", runs);
		free(runs);
		return out;
	}
	if (runs != NULL) {
		char *sessions = xstrdup("");
		for (size_t i = 0; i < a->nselection; i++) {
			char *s = kind_database_session_words(a->selection[i], terminate);
			char *next = xasprintf("%s%s%s", sessions, i > 0 ? ", " : "", s);
			free(sessions);
			free(s);
			sessions = next;
		}
		char *out = xasprintf("%s %s:\n%s\n%s\nThe statement:", what,
		                      terminate ? "this session" : "this query", runs, sessions);
		free(sessions);
		free(runs);
		return out;
	}
	if (group != NULL) {
		char *g = sanitize_str(group);
		char *out = a->nselection > 0
		                ? xasprintf("%s the %zu session%s of query group %s listed below (sessions "
		                            "that start later are not touched)",
		                            what, a->nselection, a->nselection == 1 ? "" : "s", g)
		                : xasprintf("%s every session running query group %s", what, g);
		free(g);
		return out;
	}
	char *out = xasprintf("%s", what);
	for (size_t i = 0; i < a->nselection; i++) {
		char *s = kind_database_session_words(a->selection[i], terminate);
		char *next = xasprintf("%s%s %s", out,
		                       i > 0       ? ","
		                       : terminate ? " session"
		                                   : " the query of",
		                       s);
		free(out);
		free(s);
		out = next;
	}
	return out;
}

static char *kind_database_cancel_describe(const struct action *a)
{
	return kind_database_describe(a, "cancel", false);
}

static char *kind_database_terminate_describe(const struct action *a)
{
	return kind_database_describe(a, "terminate (disconnect)", true);
}

static const struct verb_arg kind_database_cancel_args[] = {
    {.name = "PID", .group = 1, .required = true, .help = "the backend whose query is cancelled"},
    {.name = "--group", .value = "QUERYID", .group = 1, .help = "every query of this group"},
    {.name = "--terminate", .help = "end the session, not only its query"},
    {.name = "--backend-start", .value = "TS", .help = "the session's start, as --once --json shows it"},
    {.name = "--query-start", .value = "TS", .help = "the query's start (with --backend-start)"},
};

const struct verb kind_database_cancel = {
    .name = "cancel",
    .key = "c",
    .help = "cancel the selected query (or group)",
    .args = kind_database_cancel_args,
    .nargs = ARRAY_LEN(kind_database_cancel_args),
    .confirm = VERB_CONFIRM_Y,
    .noun = "query",
    .nouns = "queries",
    .cli = true,
    .parse = kind_database_cancel_parse,
    .describe = kind_database_cancel_describe,
};

const struct verb kind_database_terminate = {
    .name = "terminate",
    .key = "K",
    .help = "terminate the selected session (type its pid)",
    .confirm = VERB_CONFIRM_TYPED,
    .noun = "session",
    .nouns = "sessions",
    .cli = false, /* `sitrep do cancel --terminate` */
    .describe = kind_database_terminate_describe,
};

static const struct verb *const kind_database_verbs[] = {&kind_database_cancel, &kind_database_terminate};

const struct kind_ops kind_database = {
    .name = "database",
    .hint_rank = 30,
    .free = database_data_free,
    .to_json = kind_database_json,
    .from_json = kind_database_from_json,
    .print = kind_database_print,
    .diff = kind_database_diff,
    .hint = kind_database_hint,
    .level = kind_database_level,
    .verbs = kind_database_verbs,
    .nverbs = ARRAY_LEN(kind_database_verbs),
};
