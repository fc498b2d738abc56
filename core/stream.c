/* stream: the share stream's records (see stream.h and docs/stream.md).
 * Writing reuses what --once --json writes for a pane; reading is the one
 * parser every observer, replay and the fuzz target go through, and trusts
 * nothing: the bytes may come from a broken driver, a truncated recording
 * or anybody who can write to the observer's ssh session. */
#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sitrep-build.h"
#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/stream.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

/* How many timeline entries a state carries (the observer's `t` view). */
#define STREAM_STATE_EVENTS 200

static const char *const stream_type_names[STREAM_TYPE_COUNT] = {
    [STREAM_HELLO] = "hello", [STREAM_STATE] = "state",         [STREAM_PANE] = "pane",
    [STREAM_EVENT] = "event", [STREAM_HEARTBEAT] = "heartbeat", [STREAM_SKIPPED] = "skipped",
    [STREAM_BYE] = "bye",
};

const char *stream_type_name(enum stream_type t)
{
	return t < STREAM_TYPE_COUNT ? stream_type_names[t] : "?";
}

cJSON *stream_envelope(enum stream_type t, uint64_t seq, int64_t time_ms)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "stream", STREAM_VERSION);
	cJSON_AddStringToObject(o, "type", stream_type_name(t));
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddNumberToObject(o, "time", (double)time_ms);
	return o;
}

/* A monotonic time of this process as wall-clock ms (0 stays 0). */
static double stream_wall_of(const struct app *app, uint64_t mono_ms)
{
	if (mono_ms == 0)
		return 0;
	uint64_t now = app->loop != NULL ? uv_now(app->loop) : util_mono_ms();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double wall = (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000);
	return wall - (double)(now > mono_ms ? now - mono_ms : 0);
}

cJSON *stream_pane(const struct app *app, const struct source *src)
{
	cJSON *o = app_pane_json(app, src);
	cJSON_AddNumberToObject(o, "index", src->index);
	cJSON_AddStringToObject(o, "title", src->cfg->title != NULL ? src->cfg->title : src->cfg->id);
	cJSON_AddNumberToObject(o, "refresh_ms", (double)src->refresh_ms);
	/* ages to the ms: updated_at has whole seconds */
	cJSON_AddNumberToObject(o, "updated_ms", stream_wall_of(app, src->snap.updated_ms));
	cJSON_AddNumberToObject(o, "error_since", stream_wall_of(app, src->snap.error_ms));
	/* no data yet (or a note pane): the observer keeps none either */
	cJSON_AddBoolToObject(o, "has_data", src->snap.data != NULL);
	/* whether the source polls: an observer ages the data the same way */
	cJSON_AddBoolToObject(o, "polls", src->ops != NULL && src->ops->refresh != NULL);
	return o;
}

cJSON *stream_event_json(const struct event *ev)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", event_type_name(ev->type));
	cJSON_AddStringToObject(o, "level", event_level_name(ev->level));
	cJSON_AddNumberToObject(o, "time", (double)ev->time_ms);
	cJSON_AddStringToObject(o, "pane", ev->pane != NULL ? ev->pane : "");
	cJSON_AddNumberToObject(o, "pane_index", ev->pane_index);
	cJSON_AddStringToObject(o, "subject", ev->subject != NULL ? ev->subject : "");
	cJSON_AddStringToObject(o, "text", ev->text != NULL ? ev->text : "");
	if (ev->key != NULL)
		cJSON_AddStringToObject(o, "key", ev->key);
	/* a state change: the publisher's word for it, and whether it is an
	 * occurrence rather than a state that lasts */
	if (ev->name != NULL)
		cJSON_AddStringToObject(o, "name", ev->name);
	if (ev->once)
		cJSON_AddBoolToObject(o, "once", true);
	return o;
}

/* Who drives: the login and the host, as an observer's badge names them. */
static cJSON *stream_driver(void)
{
	cJSON *o = cJSON_CreateObject();
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw != NULL ? pw->pw_name : getenv("USER");
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	char *u = sanitize(user != NULL ? user : "?", strlen(user != NULL ? user : "?"), 64);
	char *h = sanitize(host, strlen(host), 128);
	cJSON_AddStringToObject(o, "user", u);
	cJSON_AddStringToObject(o, "host", h);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "version", SITREP_VERSION);
	free(u);
	free(h);
	return o;
}

cJSON *stream_state(const struct app *app, uint64_t seq, int64_t time_ms, int watching)
{
	cJSON *o = stream_envelope(STREAM_STATE, seq, time_ms);
	cJSON_AddItemToObject(o, "driver", stream_driver());
	cJSON_AddBoolToObject(o, "read_only", app->read_only);
	cJSON_AddNumberToObject(o, "watching", watching);
	cJSON *panes = cJSON_AddArrayToObject(o, "panes");
	for (size_t i = 0; i < app->nsources; i++)
		if (app->sources[i].cfg != NULL && app->sources[i].snap.kind != NULL)
			cJSON_AddItemToArray(panes, stream_pane(app, &app->sources[i]));
	cJSON *marks = cJSON_AddArrayToObject(o, "marks");
	const struct marks *m = marks_of(app);
	for (size_t i = 0; i < marks_count(m); i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "time", (double)marks_at(m, i)->time_ms);
		cJSON_AddStringToObject(j, "id", marks_at(m, i)->id);
		cJSON_AddItemToArray(marks, j);
	}
	/* the newest entries of the timeline, oldest first, as events */
	cJSON *events = cJSON_AddArrayToObject(o, "events");
	size_t n = timeline_count(app->timeline);
	for (size_t i = n > STREAM_STATE_EVENTS ? n - STREAM_STATE_EVENTS : 0; i < n; i++) {
		const struct timeline_entry *e = timeline_entry(app->timeline, i);
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "type", e->type);
		cJSON_AddStringToObject(j, "level", e->level);
		cJSON_AddNumberToObject(j, "time", (double)e->time_ms);
		cJSON_AddStringToObject(j, "pane", e->pane);
		cJSON_AddStringToObject(j, "who", e->who);
		cJSON_AddStringToObject(j, "subject", e->subject);
		cJSON_AddStringToObject(j, "text", e->text);
		cJSON_AddItemToArray(events, j);
	}
	return o;
}

char *stream_line(const cJSON *record, size_t *len)
{
	char *text = cJSON_PrintUnformatted(record);
	if (text == NULL)
		return NULL;
	size_t n = strlen(text);
	if (n + 1 > STREAM_RECORD_MAX) {
		free(text);
		return NULL;
	}
	text = xrealloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	*len = n + 1;
	return text;
}

/* ---- reading ---- */

static int stream_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int stream_fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sanitize_vprintf(cap > 0 ? cap - 1 : 0, fmt, ap);
	va_end(ap);
	snprintf(err, cap, "%s", msg);
	free(msg);
	return -1;
}

/* Members every record of a type must have, and their cJSON types. */
static int stream_check(const cJSON *root, enum stream_type t, char *err, size_t cap)
{
	static const struct {
		enum stream_type type;
		const char *member;
		int json; /* cJSON_Array, cJSON_Object, ... */
	} need[] = {
	    {STREAM_STATE, "panes", cJSON_Array},
	    {STREAM_STATE, "driver", cJSON_Object},
	    {STREAM_PANE, "pane", cJSON_Object},
	    {STREAM_EVENT, "event", cJSON_Object},
	};
	for (size_t i = 0; i < ARRAY_LEN(need); i++) {
		if (need[i].type != t)
			continue;
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, need[i].member);
		if (v == NULL || (v->type & 0xff) != need[i].json)
			return stream_fail(err, cap, "a %s record without its \"%s\"", stream_type_name(t),
			                   need[i].member);
	}
	if (t == STREAM_STATE) {
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(root, "panes"))
		{
			if (!cJSON_IsObject(p))
				return stream_fail(err, cap,
				                   "a state record with a pane that is not an object");
		}
	}
	return 0;
}

int stream_parse(const char *line, size_t len, struct stream_record *rec, char *err, size_t cap)
{
	*rec = (struct stream_record){0};
	if (len > STREAM_RECORD_MAX)
		return stream_fail(err, cap, "a record of %zu bytes (at most %u)", len, STREAM_RECORD_MAX);
	cJSON *root = cJSON_ParseWithLength(line, len);
	if (root == NULL)
		return stream_fail(err, cap, "a record that is not JSON");
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return stream_fail(err, cap, "a record that is not a JSON object");
	}
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "stream");
	if (!cJSON_IsNumber(v)) {
		cJSON_Delete(root);
		return stream_fail(err, cap, "not a sitrep stream (no \"stream\" version)");
	}
	if (v->valuedouble != STREAM_VERSION) {
		double got = v->valuedouble;
		cJSON_Delete(root);
		if (got > 0 && got < 1e6)
			return stream_fail(
			    err, cap, "the driver speaks stream version %.0f; this sitrep reads version %d",
			    got, STREAM_VERSION);
		return stream_fail(err, cap, "not a sitrep stream (version is not a version)");
	}
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
	int t = -1;
	for (int i = 0; cJSON_IsString(type) && i < STREAM_TYPE_COUNT; i++)
		if (strcmp(type->valuestring, stream_type_names[i]) == 0)
			t = i;
	if (t < 0) {
		char *shown = cJSON_IsString(type)
		                  ? sanitize(type->valuestring, strlen(type->valuestring), 40)
		                  : xstrdup("(none)");
		stream_fail(err, cap, "a record of unknown type %s", shown);
		free(shown);
		cJSON_Delete(root);
		return -1;
	}
	if (stream_check(root, (enum stream_type)t, err, cap) < 0) {
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
	const cJSON *tm = cJSON_GetObjectItemCaseSensitive(root, "time");
	rec->root = root;
	rec->type = (enum stream_type)t;
	rec->seq = cJSON_IsNumber(seq) && seq->valuedouble > 0 && seq->valuedouble < 9e15
	               ? (uint64_t)seq->valuedouble
	               : 0;
	rec->time_ms = cJSON_IsNumber(tm) && tm->valuedouble > 0 && tm->valuedouble < 9e15
	                   ? (int64_t)tm->valuedouble
	                   : 0;
	return 0;
}

void stream_record_clear(struct stream_record *rec)
{
	cJSON_Delete(rec->root);
	*rec = (struct stream_record){0};
}

int stream_reader_feed(struct stream_reader *r, const char *data, size_t len, stream_line_cb cb, void *arg,
                       char *err, size_t cap)
{
	size_t max = r->max > 0 ? r->max : STREAM_RECORD_MAX;
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl != NULL ? (size_t)(nl - data) : len;
		if (r->len + take > max) {
			if (max % (1u << 20) == 0)
				return stream_fail(err, cap, "a record over %zu MiB", max >> 20);
			return stream_fail(err, cap, "a record over %zu bytes", max);
		}
		if (r->len + take + 1 > r->cap) {
			size_t want = r->cap > 0 ? r->cap : 4096;
			while (want < r->len + take + 1)
				want *= 2;
			r->buf = xrealloc(r->buf, want);
			r->cap = want;
		}
		memcpy(r->buf + r->len, data, take);
		r->len += take;
		r->buf[r->len] = '\0';
		if (nl == NULL)
			return 0;
		data += take + 1;
		len -= take + 1;
		size_t n = r->len;
		r->len = 0;
		int rc = cb(r->buf, n, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int stream_reader_end(const struct stream_reader *r, char *err, size_t cap)
{
	if (r->len > 0)
		return stream_fail(err, cap, "a record cut short (%zu bytes)", r->len);
	return 0;
}

void stream_reader_clear(struct stream_reader *r)
{
	free(r->buf);
	*r = (struct stream_reader){.max = r->max};
}
