/* kind-backups: the backups model (backups.h), its judging, the comparison
 * with the deploy marks, its --once output, the events a change means and
 * its verbs, backup (B) and verify (V), written once; and the reverse of
 * the --once JSON (from_json), which observers and replays draw from.
 *
 * JSON follows schema version 1 ({ sets: [ { name, verdict, reason, newest,
 * previous, since_deploy, at_risk } ] }); "source", "where", "error",
 * "count", "verified", "restore" and the extra members of newest/previous,
 * since_deploy and at_risk are compatible additions (docs/json-output.md).
 *
 * Events: a verdict that changes is an EVENT_STATE (subject: the
 * set's name), and so is a deploy with no backup since the deploy before it
 * (subject "<set> before <deploy>"), so the timeline records the deploy that
 * went out unprotected once, and the hint puts it among the causes. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

#define BACKUPS_TEXT_MAX 512

const char *backups_verdict_name(enum backups_verdict v)
{
	return v == BACKUPS_CRIT ? "crit" : v == BACKUPS_WARN ? "warn" : "ok";
}

void backups_set_text(char **field, const char *raw)
{
	free(*field);
	*field = sanitize(raw != NULL ? raw : "", raw != NULL ? strlen(raw) : 0, BACKUPS_TEXT_MAX);
}

struct backups_data *backups_data_new(size_t n)
{
	struct backups_data *d = xcalloc(1, sizeof(*d));
	d->sets = n > 0 ? xcalloc(n, sizeof(*d->sets)) : NULL;
	d->nsets = n;
	for (size_t i = 0; i < n; i++) {
		d->sets[i].max_age_s = BACKUPS_MAX_AGE_DEFAULT_S;
		d->sets[i].max_shrink = BACKUPS_MAX_SHRINK_DEFAULT;
		d->sets[i].risk.wal_bytes = -1;
		d->sets[i].risk.seconds = -1;
	}
	return d;
}

void backups_backup_clear(struct backup *b)
{
	free(b->type);
	free(b->format);
	free(b->label);
	free(b->raw);
	free(b->problem);
	free(b->stop_lsn);
	free(b->wal_start);
	free(b->wal_stop);
	memset(b, 0, sizeof(*b));
}

static void backups_risk_clear(struct backups_risk *r)
{
	free(r->error);
	free(r->last_archived_wal);
	free(r->last_failed_wal);
	free(r->current_lsn);
	free(r->restore_point);
	memset(r, 0, sizeof(*r));
	r->wal_bytes = -1;
	r->seconds = -1;
}

static void backups_deploy_clear(struct backups_deploy *d)
{
	free(d->deploy);
	free(d->previous);
	free(d->backup);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

static void backups_set_clear(struct backup_set *s)
{
	{
		for (size_t k = 0; k < s->nbackups; k++)
			backups_backup_clear(&s->backups[k]);
		free(s->backups);
		free(s->name);
		free(s->source);
		free(s->where);
		free(s->reason);
		free(s->error);
		free(s->verify_result);
		free(s->running);
		for (size_t k = 0; s->restore != NULL && s->restore[k] != NULL; k++)
			free(s->restore[k]);
		free(s->restore);
		backups_deploy_clear(&s->deploy);
		backups_risk_clear(&s->risk);
	}
	memset(s, 0, sizeof(*s));
}

void backups_set_free(struct backup_set *set)
{
	if (set == NULL)
		return;
	backups_set_clear(set);
	free(set);
}

void backups_data_free(void *data)
{
	struct backups_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nsets; i++)
		backups_set_clear(&d->sets[i]);
	free(d->sets);
	free(d);
}

struct backup *backups_add(struct backup_set *set)
{
	set->backups = xrealloc(set->backups, (set->nbackups + 1) * sizeof(*set->backups));
	struct backup *b = &set->backups[set->nbackups++];
	memset(b, 0, sizeof(*b));
	b->size = -1;
	b->stored = -1;
	b->type = xstrdup("");
	b->format = xstrdup("");
	b->label = xstrdup("");
	b->raw = xstrdup("");
	b->complete = true;
	return b;
}

static int backups_cmp(const void *pa, const void *pb)
{
	const struct backup *a = pa, *b = pb;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	if (a->nanos != b->nanos)
		return a->nanos > b->nanos ? -1 : 1;
	return -strcmp(a->label, b->label);
}

void backups_sort(struct backup_set *set)
{
	if (set->nbackups > 1)
		qsort(set->backups, set->nbackups, sizeof(*set->backups), backups_cmp);
}

const struct backup *backups_newest(const struct backup_set *set)
{
	return set != NULL && set->nbackups > 0 ? &set->backups[0] : NULL;
}

const struct backup *backups_previous(const struct backup_set *set)
{
	return set != NULL && set->nbackups > 1 ? &set->backups[1] : NULL;
}

/* "14 min", "3 h", "2 d", "40 s": a span for a sentence. */
static void backups_span(int64_t s, char *buf, size_t cap)
{
	if (s < 0)
		s = -s;
	if (s < 120)
		snprintf(buf, cap, "%" PRId64 " s", s);
	else if (s < 2 * 3600)
		snprintf(buf, cap, "%" PRId64 " min", s / 60);
	else if (s < 3 * 86400)
		snprintf(buf, cap, "%" PRId64 " h", s / 3600);
	else
		snprintf(buf, cap, "%" PRId64 " d", s / 86400);
}

static void backups_bytes(int64_t n, char *buf, size_t cap)
{
	if (n < 0)
		snprintf(buf, cap, "?");
	else
		util_bytes((double)n, buf, cap);
}

void backups_judge(struct backup_set *set, int64_t now)
{
	free(set->reason);
	set->reason = NULL;
	set->verdict = BACKUPS_OK;
	const struct backup *n = backups_newest(set), *p = backups_previous(set);
	const struct backup *good = NULL;
	for (size_t i = 0; i < set->nbackups && good == NULL; i++)
		if (set->backups[i].complete)
			good = &set->backups[i];
	char a[32], b[32], lim[32];
	if (set->error != NULL) {
		set->verdict = BACKUPS_CRIT;
		set->reason = xstrdup(set->error);
		return;
	}
	if (n == NULL) {
		set->verdict = BACKUPS_CRIT;
		set->reason = xasprintf("no backup found in %s", set->where != NULL ? set->where : "the set");
		return;
	}
	if (!n->complete) {
		set->verdict = BACKUPS_CRIT;
		set->reason = xasprintf("newest backup %s is not usable: %s", n->label,
		                        n->problem != NULL ? n->problem : "incomplete");
		return;
	}
	if (set->risk.known && set->risk.failing) {
		set->verdict = BACKUPS_CRIT;
		set->reason = xasprintf("WAL archiving is failing (%" PRId64 " failures, last on %s)",
		                        set->risk.failed_count,
		                        set->risk.last_failed_wal != NULL ? set->risk.last_failed_wal : "?");
		return;
	}
	int64_t age = now - good->time;
	util_duration(set->max_age_s, lim, sizeof(lim));
	backups_span(age, a, sizeof(a));
	if (set->max_age_s > 0 && (double)age > 2 * set->max_age_s) {
		set->verdict = BACKUPS_CRIT;
		set->reason = xasprintf("no backup within 2 x max_age (%s): the newest is %s old", lim, a);
		return;
	}
	if (set->max_age_s > 0 && (double)age > set->max_age_s) {
		set->verdict = BACKUPS_WARN;
		set->reason = xasprintf("newest backup is %s old (max_age %s)", a, lim);
		return;
	}
	if (p != NULL && p->complete && n->size >= 0 && p->size > 0 &&
	    (double)n->size < (double)p->size * (1.0 - set->max_shrink)) {
		backups_bytes(n->size, a, sizeof(a));
		backups_bytes(p->size, b, sizeof(b));
		set->verdict = BACKUPS_WARN;
		set->reason = xasprintf("newest backup is %.0f %% smaller than the one before (%s, was %s)",
		                        100.0 * (1.0 - (double)n->size / (double)p->size), a, b);
	}
}

void backups_against_deploys(struct backup_set *set, const struct marks *m)
{
	backups_deploy_clear(&set->deploy);
	const struct mark *latest = marks_latest(m);
	if (latest == NULL)
		return;
	struct backups_deploy *d = &set->deploy;
	d->known = true;
	d->deploy = xstrdup(latest->id);
	d->time = latest->time_ms / 1000;
	/* the deploy before it: the newest mark older than the latest */
	const struct mark *prev = NULL;
	for (size_t i = 0; i < marks_count(m); i++) {
		const struct mark *k = marks_at(m, i);
		if (k->time_ms < latest->time_ms && (prev == NULL || k->time_ms > prev->time_ms))
			prev = k;
	}
	if (prev != NULL) {
		d->previous = xstrdup(prev->id);
		d->previous_time = prev->time_ms / 1000;
	}
	/* A backup protects this deploy when it was taken since the deploy
	 * before it: one from before r2 says nothing of what r2 wrote. The
	 * newest such backup taken before the deploy is the one to name; else
	 * one taken after it (B pressed once the deploy was out). */
	const struct backup *before = NULL, *after = NULL;
	for (size_t i = 0; i < set->nbackups; i++) {
		const struct backup *b = &set->backups[i];
		if (!b->complete || (prev != NULL && b->time <= d->previous_time))
			continue;
		if (b->time <= d->time) {
			if (before == NULL || b->time > before->time)
				before = b;
		} else if (after == NULL || b->time < after->time) {
			after = b;
		}
	}
	const struct backup *b = before != NULL ? before : after;
	char span[32];
	if (b != NULL) {
		d->covered = true;
		d->seconds_before = d->time - b->time;
		d->backup = xstrdup(b->label);
		backups_span(d->seconds_before, span, sizeof(span));
		d->text = xasprintf("newest backup %s %s %s \u2713", span, b == before ? "before" : "after",
		                    d->deploy);
		return;
	}
	d->text = xasprintf("no backup since %s \u2717", d->deploy);
}

void backups_risk_text(const struct backups_risk *r, char *buf, size_t cap)
{
	if (r == NULL || !r->known || (r->wal_bytes < 0 && r->seconds < 0)) {
		if (cap > 0)
			buf[0] = '\0';
		return;
	}
	char bytes[32] = "? of", span[32] = "?";
	if (r->wal_bytes >= 0) {
		/* decimal units, as people say them: "230 MB WAL" */
		double v = (double)r->wal_bytes;
		if (v >= 1e9)
			snprintf(bytes, sizeof(bytes), "%.1f GB", v / 1e9);
		else if (v >= 1e6)
			snprintf(bytes, sizeof(bytes), "%.0f MB", v / 1e6);
		else if (v >= 1e3)
			snprintf(bytes, sizeof(bytes), "%.0f kB", v / 1e3);
		else
			snprintf(bytes, sizeof(bytes), "%.0f B", v);
	}
	if (r->seconds >= 0)
		backups_span(r->seconds, span, sizeof(span));
	snprintf(buf, cap, "%s WAL, %s", bytes, span);
}

int64_t backups_parse_lsn(const char *text)
{
	if (text == NULL)
		return -1;
	char *end;
	unsigned long long hi = strtoull(text, &end, 16);
	if (end == text || *end != '/' || hi > 0xffffffffULL)
		return -1;
	const char *lo_s = end + 1;
	unsigned long long lo = strtoull(lo_s, &end, 16);
	if (end == lo_s || *end != '\0' || lo > 0xffffffffULL || text[0] == '-' || lo_s[0] == '-')
		return -1;
	return (int64_t)((hi << 32) | lo);
}

/* ---- --once ---- */

static cJSON *kind_backups_backup_json(const struct backup *b)
{
	if (b == NULL)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	char when[32];
	util_rfc3339((time_t)b->time, when, sizeof(when));
	cJSON_AddStringToObject(o, "time", when);
	if (b->size >= 0)
		cJSON_AddNumberToObject(o, "size", (double)b->size);
	else
		cJSON_AddNullToObject(o, "size");
	cJSON_AddStringToObject(o, "type", b->type);
	char *path = sanitize_str(b->raw);
	cJSON_AddStringToObject(o, "path", path);
	free(path);
	cJSON_AddStringToObject(o, "label", b->label);
	if (b->format[0] != '\0')
		cJSON_AddStringToObject(o, "format", b->format);
	cJSON_AddBoolToObject(o, "complete", b->complete);
	if (b->problem != NULL)
		cJSON_AddStringToObject(o, "problem", b->problem);
	if (b->stored >= 0)
		cJSON_AddNumberToObject(o, "stored", (double)b->stored);
	if (b->start > 0) {
		util_rfc3339((time_t)b->start, when, sizeof(when));
		cJSON_AddStringToObject(o, "start", when);
	}
	if (b->stop_lsn != NULL)
		cJSON_AddStringToObject(o, "stop_lsn", b->stop_lsn);
	return o;
}

static cJSON *kind_backups_json(const void *data)
{
	const struct backups_data *d = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "sets");
	for (size_t i = 0; d != NULL && i < d->nsets; i++) {
		const struct backup_set *s = &d->sets[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", s->name != NULL ? s->name : "");
		cJSON_AddStringToObject(j, "source", s->source != NULL ? s->source : "");
		cJSON_AddStringToObject(j, "where", s->where != NULL ? s->where : "");
		cJSON_AddStringToObject(j, "verdict", backups_verdict_name(s->verdict));
		if (s->reason != NULL)
			cJSON_AddStringToObject(j, "reason", s->reason);
		else
			cJSON_AddNullToObject(j, "reason");
		if (s->error != NULL)
			cJSON_AddStringToObject(j, "error", s->error);
		cJSON_AddNumberToObject(j, "count",
		                        (double)(s->found > s->nbackups ? s->found : s->nbackups));
		cJSON_AddItemToObject(j, "newest", kind_backups_backup_json(backups_newest(s)));
		cJSON_AddItemToObject(j, "previous", kind_backups_backup_json(backups_previous(s)));
		if (s->deploy.known) {
			cJSON *dj = cJSON_AddObjectToObject(j, "since_deploy");
			cJSON_AddStringToObject(dj, "deploy", s->deploy.deploy);
			if (s->deploy.covered)
				cJSON_AddNumberToObject(dj, "seconds_before",
				                        (double)s->deploy.seconds_before);
			else
				cJSON_AddNullToObject(dj, "seconds_before");
			cJSON_AddBoolToObject(dj, "ok", s->deploy.covered);
			if (s->deploy.previous != NULL)
				cJSON_AddStringToObject(dj, "previous_deploy", s->deploy.previous);
			cJSON_AddStringToObject(dj, "text", s->deploy.text);
		} else {
			cJSON_AddNullToObject(j, "since_deploy");
		}
		if (s->risk.known || s->risk.error != NULL) {
			cJSON *rj = cJSON_AddObjectToObject(j, "at_risk");
			if (s->risk.wal_bytes >= 0)
				cJSON_AddNumberToObject(rj, "wal_bytes", (double)s->risk.wal_bytes);
			else
				cJSON_AddNullToObject(rj, "wal_bytes");
			if (s->risk.seconds >= 0)
				cJSON_AddNumberToObject(rj, "seconds", (double)s->risk.seconds);
			else
				cJSON_AddNullToObject(rj, "seconds");
			if (s->risk.error != NULL)
				cJSON_AddStringToObject(rj, "error", s->risk.error);
			cJSON_AddBoolToObject(rj, "archiving", s->risk.archiving);
			cJSON_AddBoolToObject(rj, "archiver_failing", s->risk.failing);
			cJSON_AddNumberToObject(rj, "archived_count", (double)s->risk.archived_count);
			cJSON_AddNumberToObject(rj, "failed_count", (double)s->risk.failed_count);
			if (s->risk.last_failed_wal != NULL)
				cJSON_AddStringToObject(rj, "last_failed_wal", s->risk.last_failed_wal);
			if (s->risk.last_archived_wal != NULL)
				cJSON_AddStringToObject(rj, "last_archived_wal", s->risk.last_archived_wal);
			if (s->risk.restore_point != NULL)
				cJSON_AddStringToObject(rj, "restore_point", s->risk.restore_point);
		} else {
			cJSON_AddNullToObject(j, "at_risk");
		}
		if (s->verify_result != NULL)
			cJSON_AddStringToObject(j, "verified", s->verify_result);
		if (s->running != NULL)
			cJSON_AddStringToObject(j, "running", s->running);
		cJSON *rs = cJSON_AddArrayToObject(j, "restore");
		for (size_t k = 0; s->restore != NULL && s->restore[k] != NULL; k++)
			cJSON_AddItemToArray(rs, cJSON_CreateString(s->restore[k]));
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

/* ---- from_json: the reverse, for observers and replays ---- */

/* A whole number member as int64 (a size, a count, seconds); def when
 * absent, null, not a number or outside int64 (a cast of 1e300 is UB). */
static int64_t kind_backups_int(const cJSON *o, const char *key, int64_t def)
{
	double v = kindjson_num(o, key, NAN);
	return v >= -9.0e18 && v <= 9.0e18 ? (int64_t)v : def;
}

/* The string member key as a new string, NULL when absent or not a string. */
static char *kind_backups_opt(const cJSON *o, const char *key)
{
	return kindjson_str(o, key, NULL);
}

/* One backup from newest/previous into a new slot of set; nothing when j is
 * not an object (null: there is none). Returns whether one was added. */
static bool kind_backups_backup_from(struct backup_set *set, const cJSON *j)
{
	if (!cJSON_IsObject(j))
		return false;
	struct backup *b = backups_add(set);
	b->time = kindjson_time(j, "time");
	b->start = kindjson_time(j, "start");
	b->size = kind_backups_int(j, "size", -1);
	b->stored = kind_backups_int(j, "stored", -1);
	if (b->size < 0)
		b->size = -1;
	if (b->stored < 0)
		b->stored = -1;
	free(b->type);
	b->type = kindjson_str(j, "type", "");
	free(b->format);
	b->format = kindjson_str(j, "format", "");
	free(b->label);
	b->label = kindjson_str(j, "label", "");
	/* the observer never acts on a backup: its identity is the shown path */
	free(b->raw);
	b->raw = kindjson_str(j, "path", "");
	/* a backup whose state is not said is not called usable */
	b->complete = kindjson_bool(j, "complete", false);
	b->problem = kind_backups_opt(j, "problem");
	b->stop_lsn = kind_backups_opt(j, "stop_lsn");
	return true;
}

static enum backups_verdict kind_backups_verdict_from(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "verdict");
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return BACKUPS_CRIT;
	if (strcmp(v->valuestring, "ok") == 0)
		return BACKUPS_OK;
	if (strcmp(v->valuestring, "warn") == 0)
		return BACKUPS_WARN;
	/* "crit", and any word the driver never writes: not called fine */
	return BACKUPS_CRIT;
}

static void kind_backups_deploy_from(struct backups_deploy *d, const cJSON *j)
{
	if (j == NULL)
		return;
	d->known = true;
	d->deploy = kindjson_str(j, "deploy", "");
	d->covered = kindjson_bool(j, "ok", false);
	d->seconds_before = d->covered ? kind_backups_int(j, "seconds_before", 0) : 0;
	d->previous = kind_backups_opt(j, "previous_deploy");
	d->text = kindjson_str(j, "text", "");
}

static void kind_backups_risk_from(struct backups_risk *r, const cJSON *j)
{
	if (j == NULL)
		return;
	r->error = kind_backups_opt(j, "error");
	r->wal_bytes = kind_backups_int(j, "wal_bytes", -1);
	r->seconds = kind_backups_int(j, "seconds", -1);
	if (r->wal_bytes < 0)
		r->wal_bytes = -1;
	if (r->seconds < 0)
		r->seconds = -1;
	/* to_json writes at_risk when the database answered or said why not:
	 * without an error it answered; with one, when a figure came too */
	r->known = r->error == NULL || r->wal_bytes >= 0 || r->seconds >= 0;
	r->archiving = kindjson_bool(j, "archiving", false);
	r->failing = kindjson_bool(j, "archiver_failing", false);
	r->archived_count = kind_backups_int(j, "archived_count", 0);
	r->failed_count = kind_backups_int(j, "failed_count", 0);
	r->last_failed_wal = kind_backups_opt(j, "last_failed_wal");
	r->last_archived_wal = kind_backups_opt(j, "last_archived_wal");
	r->restore_point = kind_backups_opt(j, "restore_point");
}

/* The restore commands: the string entries, NULL-terminated; NULL none. */
static char **kind_backups_restore_from(const cJSON *o)
{
	const cJSON *arr = kindjson_array(o, "restore"), *v;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0, k = 0;
	if (n == 0)
		return NULL;
	char **out = xcalloc(n + 1, sizeof(*out));
	cJSON_ArrayForEach(v, arr)
	{
		if (k < n && cJSON_IsString(v) && v->valuestring != NULL)
			out[k++] = sanitize(v->valuestring, strlen(v->valuestring), KINDJSON_STR_MAX);
	}
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The model from what kind_backups_json wrote. A set carries its newest and
 * previous backups only (the JSON has no more), so an observer's pane lists
 * those two; everything its header and details draw comes back. */
static void *kind_backups_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	const cJSON *arr = kindjson_array(json, "sets"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0, i = 0;
	struct backups_data *d = backups_data_new(n);
	cJSON_ArrayForEach(j, arr)
	{
		if (i == n || !cJSON_IsObject(j))
			continue;
		struct backup_set *s = &d->sets[i++];
		s->name = kindjson_str(j, "name", "");
		s->source = kindjson_str(j, "source", "");
		s->where = kindjson_str(j, "where", "");
		s->verdict = kind_backups_verdict_from(j);
		s->reason = kind_backups_opt(j, "reason");
		s->error = kind_backups_opt(j, "error");
		/* a previous without a newest is not a set to_json writes */
		if (kind_backups_backup_from(s, cJSON_GetObjectItemCaseSensitive(j, "newest")))
			kind_backups_backup_from(s, cJSON_GetObjectItemCaseSensitive(j, "previous"));
		int64_t count = kind_backups_int(j, "count", 0);
		s->found = count > 0 && (uint64_t)count <= SIZE_MAX ? (size_t)count : 0;
		kind_backups_deploy_from(&s->deploy, kindjson_object(j, "since_deploy"));
		kind_backups_risk_from(&s->risk, kindjson_object(j, "at_risk"));
		s->verify_result = kind_backups_opt(j, "verified");
		s->verified = s->verify_result != NULL;
		s->running = kind_backups_opt(j, "running");
		s->restore = kind_backups_restore_from(j);
	}
	d->nsets = i; /* sets past i were skipped (not objects): they hold nothing */
	return d;
}

static void kind_backups_print_backup(const char *what, const struct backup *b, int64_t now, FILE *out)
{
	if (b == NULL) {
		fprintf(out, "    %-8s none\n", what);
		return;
	}
	char age[32], size[32], when[32];
	backups_span(now - b->time, age, sizeof(age));
	backups_bytes(b->size, size, sizeof(size));
	util_rfc3339((time_t)b->time, when, sizeof(when));
	fprintf(out, "    %-8s %s (%s ago)  %s  %s  %s%s%s\n", what, when, age, size, b->type, b->label,
	        b->complete ? "" : "  NOT USABLE: ",
	        b->complete ? "" : (b->problem != NULL ? b->problem : "incomplete"));
}

static void kind_backups_print(const void *data, FILE *out)
{
	const struct backups_data *d = data;
	int64_t now = (int64_t)time(NULL);
	if (d->nsets == 0)
		fprintf(out, "  no backup sets\n");
	for (size_t i = 0; i < d->nsets; i++) {
		const struct backup_set *s = &d->sets[i];
		fprintf(out, "  %-4s %s (%s %s)%s%s\n", backups_verdict_name(s->verdict), s->name, s->source,
		        s->where, s->reason != NULL ? ": " : "", s->reason != NULL ? s->reason : "");
		kind_backups_print_backup("newest", backups_newest(s), now, out);
		kind_backups_print_backup("previous", backups_previous(s), now, out);
		if (s->deploy.known)
			fprintf(out, "    deploy   %s\n", s->deploy.text);
		char risk[64];
		backups_risk_text(&s->risk, risk, sizeof(risk));
		if (risk[0] != '\0')
			fprintf(out, "    at risk: %s%s%s\n", risk,
			        s->risk.restore_point != NULL ? "; archive allows " : "",
			        s->risk.restore_point != NULL ? s->risk.restore_point : "");
		else if (s->risk.error != NULL)
			fprintf(out, "    at risk: unknown (%s)\n", s->risk.error);
		if (s->verify_result != NULL)
			fprintf(out, "    verified %s\n", s->verify_result);
		if (s->running != NULL)
			fprintf(out, "    running  %s\n", s->running);
	}
}

/* ---- events and the status line ---- */

static const struct backup_set *kind_backups_find(const struct backups_data *d, const char *name)
{
	for (size_t i = 0; d != NULL && i < d->nsets; i++)
		if (util_str_same(d->sets[i].name, name))
			return &d->sets[i];
	return NULL;
}

static void kind_backups_diff(struct source *src, const void *old, const void *now)
{
	const struct backups_data *o = old, *n = now;
	for (size_t i = 0; n != NULL && i < n->nsets; i++) {
		const struct backup_set *s = &n->sets[i];
		const struct backup_set *before = kind_backups_find(o, s->name);
		/* a verdict seen at start is news when it is not ok (the incident
		 * begins with it); a change is news either way */
		if ((before == NULL && s->verdict != BACKUPS_OK) ||
		    (before != NULL && before->verdict != s->verdict)) {
			char *key = xasprintf("backups:%s", s->name);
			enum event_level lv = s->verdict == BACKUPS_CRIT   ? EVENT_CRIT
			                      : s->verdict == BACKUPS_WARN ? EVENT_WARN
			                                                   : EVENT_OK;
			app_state(src->app, src, lv == EVENT_OK ? "backup_ok" : "backup_bad", lv, s->name,
			          key, "backup set %s %s%s%s", s->name, backups_verdict_name(s->verdict),
			          s->reason != NULL ? ": " : "", s->reason != NULL ? s->reason : "");
			free(key);
		}
		/* a deploy that went out with no backup since the one before it */
		if (s->deploy.known && !s->deploy.covered &&
		    (before == NULL || !before->deploy.known || before->deploy.covered ||
		     !util_str_same(before->deploy.deploy, s->deploy.deploy))) {
			char *subject = xasprintf("%s before %s", s->name, s->deploy.deploy);
			char *key = xasprintf("backups-deploy:%s:%s", s->name, s->deploy.deploy);
			if (s->deploy.previous != NULL)
				app_state(src->app, src, "deploy_unbacked", EVENT_WARN, subject, key,
				          "%s deployed with no backup of %s since %s", s->deploy.deploy,
				          s->name, s->deploy.previous);
			else
				app_state(src->app, src, "deploy_unbacked", EVENT_WARN, subject, key,
				          "%s deployed with no backup of %s before it", s->deploy.deploy,
				          s->name);
			free(key);
			free(subject);
		} else if (s->deploy.known && s->deploy.covered && before != NULL && before->deploy.known &&
		           !before->deploy.covered &&
		           util_str_same(before->deploy.deploy, s->deploy.deploy)) {
			char *subject = xasprintf("%s before %s", s->name, s->deploy.deploy);
			char *key = xasprintf("backups-deploy:%s:%s", s->name, s->deploy.deploy);
			app_state(src->app, src, "deploy_backed", EVENT_OK, subject, key, "%s: %s", s->name,
			          s->deploy.text);
			free(key);
			free(subject);
		}
	}
}

static char *kind_backups_hint(const void *data)
{
	const struct backups_data *d = data;
	const struct backup_set *worst = NULL, *uncovered = NULL;
	for (size_t i = 0; d != NULL && i < d->nsets; i++) {
		const struct backup_set *s = &d->sets[i];
		if (s->verdict != BACKUPS_OK && (worst == NULL || s->verdict > worst->verdict))
			worst = s;
		if (uncovered == NULL && s->deploy.known && !s->deploy.covered)
			uncovered = s;
	}
	if (worst != NULL && uncovered != NULL)
		return xasprintf("backups %s %s: %s; no backup since %s", worst->name,
		                 backups_verdict_name(worst->verdict), worst->reason,
		                 uncovered->deploy.deploy);
	if (worst != NULL)
		return xasprintf("backups %s %s: %s", worst->name, backups_verdict_name(worst->verdict),
		                 worst->reason);
	if (uncovered != NULL)
		return xasprintf("no backup since %s (%s)", uncovered->deploy.deploy, uncovered->name);
	return NULL;
}

/* The pane's health: the worst set's verdict, and at least warn while a
 * deploy has no backup since it (the title must not say "ok" beside "no
 * backup since r3"). */
static enum level kind_backups_level(const void *data)
{
	const struct backups_data *d = data;
	enum level l = LEVEL_OK;
	for (size_t i = 0; d != NULL && i < d->nsets; i++) {
		const struct backup_set *s = &d->sets[i];
		enum level v = s->verdict == BACKUPS_CRIT   ? LEVEL_CRIT
		               : s->verdict == BACKUPS_WARN ? LEVEL_WARN
		                                            : LEVEL_OK;
		if (v < LEVEL_WARN && s->deploy.known && !s->deploy.covered)
			v = LEVEL_WARN;
		if (v > l)
			l = v;
	}
	return l;
}

/* ---- verbs ---- */

static char *kind_backups_backup_describe(const struct action *a)
{
	char *t = sanitize_str(a->target);
	char *out = xasprintf("take a backup of %s now with its configured command", t);
	free(t);
	return out;
}

static char *kind_backups_verify_describe(const struct action *a)
{
	char *t = sanitize_str(a->target);
	char *out =
	    xasprintf("restore the newest backup of %s into a scratch target, check it, remove it", t);
	free(t);
	return out;
}

const struct verb kind_backups_backup = {
    .name = "backup",
    .key = "B",
    .help = "take a backup now with the set's command (done when it shows, with its size)",
    .confirm = VERB_CONFIRM_Y,
    .cli = true,
    .describe = kind_backups_backup_describe,
};

const struct verb kind_backups_verify = {
    .name = "verify",
    .key = "V",
    .help = "restore the newest backup into a scratch target, check it, remove it",
    .confirm = VERB_CONFIRM_Y,
    .cli = true,
    .describe = kind_backups_verify_describe,
};

static const struct verb *const kind_backups_verbs[] = {&kind_backups_backup, &kind_backups_verify};

const struct kind_ops kind_backups = {
    .name = "backups",
    .hint_rank = 55,
    .free = backups_data_free,
    .to_json = kind_backups_json,
    .from_json = kind_backups_from_json,
    .print = kind_backups_print,
    .diff = kind_backups_diff,
    .hint = kind_backups_hint,
    .level = kind_backups_level,
    .verbs = kind_backups_verbs,
    .nverbs = ARRAY_LEN(kind_backups_verbs),
};
