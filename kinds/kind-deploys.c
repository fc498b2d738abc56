/* kind-deploys: the deploys model (deploys.h), its --once output, the
 * events a change means and its verbs, restart and rollback, written once.
 *
 * JSON follows schema version 1 ({ current, deploys: [ { id, time, author,
 * message, status, current } ] }); "revision", "branch" and "bad" are
 * compatible additions (docs/json-output.md).
 *
 * diff publishes EVENT_DEPLOY when `current` moves while sitrep runs (a
 * new release, a rollback; a release still being built is not a deploy
 * until it is current); the history found by the first look is not
 * an event (the timeline would replay old deploys on every start) but goes
 * to the graphs' markers (marks.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

/* Outside texts are cut here: a commit subject is one line for people. */
#define DEPLOYS_TEXT_MAX 512

struct deploys_data *deploys_data_new(void)
{
	return xcalloc(1, sizeof(struct deploys_data));
}

void deploys_entry_clear(struct deploy *p)
{
	free(p->id);
	free(p->author);
	free(p->message);
	free(p->status);
	free(p->revision);
	free(p->branch);
	free(p->version);
	memset(p, 0, sizeof(*p));
}

void deploys_data_free(void *data)
{
	struct deploys_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		deploys_entry_clear(&d->deploys[i]);
	free(d->deploys);
	free(d->current);
	free(d->path);
	free(d);
}

void deploys_set(char **field, const char *raw, size_t len)
{
	if (raw == NULL)
		raw = "";
	if (len == (size_t)-1)
		len = strlen(raw);
	/* one line: a message's body stays behind */
	const char *nl = memchr(raw, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - raw);
	while (len > 0 && (raw[len - 1] == '\r' || raw[len - 1] == ' ' || raw[len - 1] == '\t'))
		len--;
	free(*field);
	*field = sanitize(raw, len, DEPLOYS_TEXT_MAX);
}

struct deploy *deploys_add(struct deploys_data *d, const char *id)
{
	d->deploys = xrealloc(d->deploys, (d->n + 1) * sizeof(*d->deploys));
	struct deploy *p = &d->deploys[d->n++];
	memset(p, 0, sizeof(*p));
	deploys_set(&p->id, id, (size_t)-1);
	/* a cut, trimmed or escaped id is a display form, not the backend's name */
	p->id_altered = id != NULL && strcmp(p->id, id) != 0;
	p->author = xstrdup("");
	p->message = xstrdup("");
	p->status = xstrdup("");
	p->revision = xstrdup("");
	p->branch = xstrdup("");
	p->version = xstrdup("");
	return p;
}

struct deploy *deploys_find(const struct deploys_data *d, const char *id)
{
	for (size_t i = 0; d != NULL && id != NULL && i < d->n; i++)
		if (strcmp(d->deploys[i].id, id) == 0)
			return &d->deploys[i];
	return NULL;
}

void deploys_set_current(struct deploys_data *d, const char *id)
{
	free(d->current);
	d->current = NULL;
	for (size_t i = 0; i < d->n; i++) {
		d->deploys[i].current = id != NULL && strcmp(d->deploys[i].id, id) == 0;
		if (d->deploys[i].current)
			d->current = xstrdup(d->deploys[i].id);
	}
}

int deploys_name_cmp(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la]))
				la++;
			while (isdigit((unsigned char)b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c != 0)
				return c;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a == *b ? 0 : *a == '\0' ? -1 : 1;
}

static int deploys_cmp_name(const void *pa, const void *pb)
{
	const struct deploy *a = pa, *b = pb;
	return -deploys_name_cmp(a->id, b->id);
}

static int deploys_cmp_time(const void *pa, const void *pb)
{
	const struct deploy *a = pa, *b = pb;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return -deploys_name_cmp(a->id, b->id);
}

void deploys_sort(struct deploys_data *d, bool by_name)
{
	if (d->n > 1)
		qsort(d->deploys, d->n, sizeof(*d->deploys), by_name ? deploys_cmp_name : deploys_cmp_time);
}

const char *deploys_not_target(const struct deploy *p)
{
	if (p->id[0] == '\0')
		return "it has no name";
	/* A tag or release called "--force" must never reach an argv as an option. */
	if (p->id[0] == '-')
		return "its name begins with '-'";
	if (p->id_altered)
		return "its name holds characters that cannot be shown as they are";
	return NULL;
}

const struct deploy *deploys_previous_good(const struct deploys_data *d)
{
	size_t i = 0;
	while (i < d->n && !d->deploys[i].current)
		i++;
	for (i++; i < d->n; i++)
		if (!d->deploys[i].bad && deploys_not_target(&d->deploys[i]) == NULL)
			return &d->deploys[i];
	return NULL;
}

/* ---- parsers of outside text ---- */

static bool deploys_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int deploys_num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int64_t deploys_parse_time(const char *text, size_t len)
{
	char buf[64];
	while (len > 0 && isspace((unsigned char)*text))
		text++, len--;
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, text, len);
	buf[len] = '\0';
	struct tm tm = {0};
	if (len == 14 && deploys_digits(buf, 14)) {
		/* Capistrano's release names: UTC YYYYMMDDHHMMSS */
		tm.tm_year = deploys_num(buf, 4) - 1900;
		tm.tm_mon = deploys_num(buf + 4, 2) - 1;
		tm.tm_mday = deploys_num(buf + 6, 2);
		tm.tm_hour = deploys_num(buf + 8, 2);
		tm.tm_min = deploys_num(buf + 10, 2);
		tm.tm_sec = deploys_num(buf + 12, 2);
		if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
			return 0;
		return (int64_t)timegm(&tm);
	}
	if (len <= 11 && deploys_digits(buf, len)) {
		long long v = strtoll(buf, NULL, 10);
		return v > 0 ? (int64_t)v : 0;
	}
	/* YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM| +HHMM] */
	if (len < 19 || !deploys_digits(buf, 4) || buf[4] != '-' || !deploys_digits(buf + 5, 2) ||
	    buf[7] != '-' || !deploys_digits(buf + 8, 2) || (buf[10] != 'T' && buf[10] != ' ') ||
	    !deploys_digits(buf + 11, 2) || buf[13] != ':' || !deploys_digits(buf + 14, 2) ||
	    buf[16] != ':' || !deploys_digits(buf + 17, 2))
		return 0;
	tm.tm_year = deploys_num(buf, 4) - 1900;
	tm.tm_mon = deploys_num(buf + 5, 2) - 1;
	tm.tm_mday = deploys_num(buf + 8, 2);
	tm.tm_hour = deploys_num(buf + 11, 2);
	tm.tm_min = deploys_num(buf + 14, 2);
	tm.tm_sec = deploys_num(buf + 17, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return 0;
	const char *p = buf + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == ' ')
		p++;
	int64_t off = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		if (!deploys_digits(p, 2))
			return 0;
		int h = deploys_num(p, 2), m = 0;
		p += 2;
		if (*p == ':')
			p++;
		if (deploys_digits(p, 2)) {
			m = deploys_num(p, 2);
			p += 2;
		}
		if (h > 23 || m > 59)
			return 0;
		off = sign * (int64_t)(h * 3600 + m * 60);
	}
	/* git prints " +0200 UTC"-free times; anything else left is not a time */
	while (*p == ' ')
		p++;
	if (*p != '\0' && strcmp(p, "UTC") != 0)
		return 0;
	return (int64_t)timegm(&tm) - off;
}

/* The word after needle in line (up to a space), or NULL. */
static const char *deploys_word_after(const char *line, const char *needle, size_t *wlen)
{
	const char *p = strstr(line, needle);
	if (p == NULL)
		return NULL;
	p += strlen(needle);
	size_t n = strcspn(p, " \t()");
	if (n == 0)
		return NULL;
	*wlen = n;
	return p;
}

size_t deploys_parse_revisions_log(struct deploys_data *d, const char *text, size_t len)
{
	size_t understood = 0;
	const char *end = text + len;
	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && n < 2048 && memchr(p, '\0', n) == NULL) {
			char *line = xstrndup(p, n);
			size_t rl, wl;
			const char *rel = deploys_word_after(line, "deployed as release ", &rl);
			if (rel != NULL) {
				char *id = xstrndup(rel, rl);
				struct deploy *dep = deploys_find(d, id);
				free(id);
				const char *w;
				if (dep != NULL && (w = deploys_word_after(line, "Branch ", &wl)) != NULL)
					deploys_set(&dep->branch, w, wl);
				if (dep != NULL && (w = deploys_word_after(line, "(at ", &wl)) != NULL)
					deploys_set(&dep->revision, w, wl);
				if (dep != NULL && (w = deploys_word_after(line, " by ", &wl)) != NULL)
					deploys_set(&dep->author, w, wl);
				understood++;
			} else if ((rel = deploys_word_after(line, " rolled back to release ", &rl)) !=
			           NULL) {
				understood++; /* a rollback names no new release */
			}
			free(line);
		}
		p += n + 1;
	}
	return understood;
}

size_t deploys_parse_releases_log(struct deploys_data *d, const char *text, size_t len)
{
	size_t understood = 0;
	const char *end = text + len;
	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		cJSON *o = n > 0 ? cJSON_ParseWithLength(p, n) : NULL;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "release_name");
		char numbuf[32];
		const char *id = NULL;
		if (cJSON_IsString(name) && name->valuestring != NULL) {
			id = name->valuestring;
		} else if (cJSON_IsNumber(name) && name->valuedouble >= 0 && name->valuedouble < 1e15) {
			snprintf(numbuf, sizeof(numbuf), "%.0f", name->valuedouble);
			id = numbuf;
		}
		struct deploy *dep = id != NULL ? deploys_find(d, id) : NULL;
		if (dep != NULL) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "created_at");
			if (cJSON_IsString(v) && v->valuestring != NULL) {
				int64_t t = deploys_parse_time(v->valuestring, strlen(v->valuestring));
				if (t > 0)
					dep->time = t;
			}
			v = cJSON_GetObjectItemCaseSensitive(o, "user");
			if (cJSON_IsString(v) && v->valuestring != NULL)
				deploys_set(&dep->author, v->valuestring, (size_t)-1);
			v = cJSON_GetObjectItemCaseSensitive(o, "target");
			if (cJSON_IsString(v) && v->valuestring != NULL)
				deploys_set(&dep->branch, v->valuestring, (size_t)-1);
		}
		if (id != NULL)
			understood++;
		cJSON_Delete(o);
		p += n + 1;
	}
	return understood;
}

/* ---- the kind's table ---- */

static cJSON *kind_deploys_json(const void *data)
{
	const struct deploys_data *d = data;
	cJSON *o = cJSON_CreateObject();
	if (d != NULL && d->current != NULL)
		cJSON_AddStringToObject(o, "current", d->current);
	else
		cJSON_AddNullToObject(o, "current");
	cJSON *arr = cJSON_AddArrayToObject(o, "deploys");
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		const struct deploy *p = &d->deploys[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", p->id);
		if (p->time > 0) {
			char when[32];
			util_rfc3339((time_t)p->time, when, sizeof(when));
			cJSON_AddStringToObject(j, "time", when);
		} else {
			cJSON_AddNullToObject(j, "time");
		}
		cJSON_AddStringToObject(j, "author", p->author);
		cJSON_AddStringToObject(j, "message", p->message);
		cJSON_AddStringToObject(j, "status", p->status);
		cJSON_AddBoolToObject(j, "current", p->current);
		cJSON_AddStringToObject(j, "revision", p->revision);
		cJSON_AddStringToObject(j, "branch", p->branch);
		cJSON_AddBoolToObject(j, "bad", p->bad);
		cJSON_AddStringToObject(j, "version", p->version);
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

static void *kind_deploys_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	struct deploys_data *d = deploys_data_new();
	d->current = kindjson_str(json, "current", NULL);
	const cJSON *arr = kindjson_array(json, "deploys"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->deploys = n > 0 ? xcalloc(n, sizeof(*d->deploys)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct deploy *p = &d->deploys[d->n++];
		p->id = kindjson_str(j, "id", "");
		p->time = kindjson_time(j, "time");
		p->author = kindjson_str(j, "author", "");
		p->message = kindjson_str(j, "message", "");
		p->status = kindjson_str(j, "status", "");
		p->current = kindjson_bool(j, "current", false);
		p->revision = kindjson_str(j, "revision", "");
		p->branch = kindjson_str(j, "branch", "");
		p->bad = kindjson_bool(j, "bad", false);
		p->version = kindjson_str(j, "version", "");
		/* shown, never a target: an observer does not act */
		p->id_altered = true;
	}
	return d;
}

static void kind_deploys_print(const void *data, FILE *out)
{
	const struct deploys_data *d = data;
	time_t now = time(NULL);
	if (d->n == 0)
		fprintf(out, "  no deploys found%s%s\n", d->path != NULL ? " in " : "",
		        d->path != NULL ? d->path : "");
	for (size_t i = 0; i < d->n; i++) {
		const struct deploy *p = &d->deploys[i];
		char age[16] = "-";
		if (p->time > 0)
			util_age(now > p->time ? (uint64_t)(now - p->time) * 1000 : 0, age, sizeof(age));
		fprintf(out, "  %s %-20s %5s  %-12s %-10s %s%s%s\n", p->current ? "*" : " ", p->id, age,
		        p->author[0] != '\0' ? p->author : "-", p->status[0] != '\0' ? p->status : "-",
		        p->message, p->revision[0] != '\0' && p->message[0] == '\0' ? p->revision : "",
		        p->bad ? "  [bad]" : "");
	}
}

/* One EVENT_DEPLOY, stamped with the deploy's own time: the logs pane's
 * "new since" and the graphs' markers need when it happened, not when we
 * noticed. */
static void kind_deploys_event(struct source *src, const struct deploy *p, int64_t time_ms, const char *what)
{
	if (src->app == NULL)
		return;
	char *text;
	if (strcmp(what, "deploy") == 0) {
		text = xasprintf("%s %s%s%s%s%s", what, p->id, p->author[0] != '\0' ? " by " : "", p->author,
		                 p->message[0] != '\0' ? ": " : "", p->message);
	} else {
		/* A switch to a release that was already there: its author did
		 * not do it. Who did is known when it was an action of ours (a
		 * rollback in the last ten minutes, in the timeline). */
		const char *by = timeline_action_by(src->app->timeline, src->cfg != NULL ? src->cfg->id : "",
		                                    "rollback", p->id, time_ms - 10 * 60 * 1000);
		if (by != NULL)
			text = xasprintf("%s %s (rollback by %s)", what, p->id, by);
		else
			text = xasprintf("%s %s (switched outside this sitrep)%s%s%s%s", what, p->id,
			                 p->author[0] != '\0' ? "; made by " : "", p->author,
			                 p->message[0] != '\0' ? ": " : "", p->message);
	}
	char *clean = sanitize(text, strlen(text), 400);
	struct event ev = {
	    .type = EVENT_DEPLOY,
	    .level = p->bad ? EVENT_WARN : EVENT_INFO,
	    .time_ms = time_ms,
	    .pane = src->cfg != NULL ? src->cfg->id : NULL,
	    .pane_index = src->index,
	    .subject = p->id,
	    .text = clean,
	    .key = p->id,
	};
	event_publish(&src->app->bus, &ev);
	free(clean);
	free(text);
}

static void kind_deploys_diff(struct source *src, const void *old, const void *now)
{
	const struct deploys_data *o = old, *n = now;
	if (n == NULL || src == NULL)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (o == NULL) {
		/* The history found at start: markers; and a current release made
		 * in the last ten minutes is the deploy the incident's story starts
		 * with (the timeline drops it when a restart sees it again). */
		for (size_t i = 0; i < n->n; i++)
			if (n->deploys[i].time > 0)
				marks_add(marks_of(src->app), n->deploys[i].time * 1000, n->deploys[i].id);
		const struct deploy *cur = n->current != NULL ? deploys_find(n, n->current) : NULL;
		if (cur != NULL && cur->time > 0 && cur->time * 1000 <= now_ms &&
		    now_ms - cur->time * 1000 <= 10 * 60 * 1000)
			kind_deploys_event(src, cur, cur->time * 1000, "deploy");
		return;
	}
	/* A deploy is `current` moving: a release directory being built, or a
	 * pipeline entry still running, is not one until it is current. */
	if (n->current == NULL || (o->current != NULL && strcmp(o->current, n->current) == 0))
		return;
	const struct deploy *p = deploys_find(n, n->current);
	if (p == NULL)
		return;
	bool fresh = deploys_find(o, p->id) == NULL;
	/* A deploy first seen now carries its own time when it has a believable
	 * one; a switch to a release that was already there happened now. */
	int64_t t = now_ms;
	if (fresh && p->time > 0 && p->time * 1000 <= now_ms && now_ms - p->time * 1000 <= 10 * 60 * 1000)
		t = p->time * 1000;
	kind_deploys_event(src, p, t, fresh ? "deploy" : "now running");
}

static char *kind_deploys_hint(const void *data)
{
	const struct deploys_data *d = data;
	const struct deploy *cur = d != NULL ? deploys_find(d, d->current) : NULL;
	if (d != NULL && d->n > 0 && d->current == NULL)
		return xstrdup("no current release");
	if (cur != NULL && cur->bad)
		return xasprintf("current release %s is marked %s", cur->id,
		                 cur->status[0] != '\0' ? cur->status : "bad");
	return NULL;
}

/* The current release marked bad is crit; no current release is warn. */
static enum level kind_deploys_level(const void *data)
{
	const struct deploys_data *d = data;
	const struct deploy *cur = d != NULL ? deploys_find(d, d->current) : NULL;
	if (cur != NULL && cur->bad)
		return LEVEL_CRIT;
	return d != NULL && d->n > 0 && d->current == NULL ? LEVEL_WARN : LEVEL_OK;
}

/* `sitrep do rollback [RELEASE]`: the release before the current one by default. */
static int kind_deploys_rollback_parse(struct action *a, const struct verb_args *args, char *err, size_t cap)
{
	(void)err, (void)cap;
	const char *release = verb_args_get(args, "RELEASE");
	if (release != NULL) {
		free(a->target);
		a->target = xstrdup(release);
		action_select(a, release);
	}
	return 0;
}

static char *kind_deploys_restart_describe(const struct action *a)
{
	(void)a;
	return xstrdup("restart the service");
}

static char *kind_deploys_rollback_describe(const struct action *a)
{
	if (a->target[0] == '\0')
		return xstrdup("roll back to the release before the current one");
	char *t = sanitize_str(a->target);
	char *out = xasprintf("roll back to release %s", t);
	free(t);
	return out;
}

const struct verb kind_deploys_restart = {
    .name = "restart",
    .key = "r",
    .help = "restart the service",
    .confirm = VERB_CONFIRM_Y,
    .cli = true,
    .describe = kind_deploys_restart_describe,
};

static const struct verb_arg kind_deploys_rollback_args[] = {
    {.name = "RELEASE", .help = "the release to go back to (default: the one before the current)"},
};

const struct verb kind_deploys_rollback = {
    .name = "rollback",
    .key = "b",
    .help = "roll back the deploy (type the release to confirm)",
    .args = kind_deploys_rollback_args,
    .nargs = ARRAY_LEN(kind_deploys_rollback_args),
    .confirm = VERB_CONFIRM_TYPED,
    .cli = true,
    .parse = kind_deploys_rollback_parse,
    .describe = kind_deploys_rollback_describe,
};

static const struct verb *const kind_deploys_verbs[] = {&kind_deploys_restart, &kind_deploys_rollback};

const struct kind_ops kind_deploys = {
    .name = "deploys",
    .hint_rank = 10,
    .free = deploys_data_free,
    .to_json = kind_deploys_json,
    .from_json = kind_deploys_from_json,
    .print = kind_deploys_print,
    .diff = kind_deploys_diff,
    .hint = kind_deploys_hint,
    .level = kind_deploys_level,
    .verbs = kind_deploys_verbs,
    .nverbs = ARRAY_LEN(kind_deploys_verbs),
};
