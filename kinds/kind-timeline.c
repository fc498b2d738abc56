/* kind-timeline: the timeline as a pane kind. Its data is a copy of the
 * newest entries of the store (core/timeline.c), published by the "events"
 * source; --once JSON is { "entries": [ { time, type, level, pane, who,
 * subject, text } ] }, newest first. The kind has no verbs: the timeline is
 * read, not acted on. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/kind.h"
#include "sitrep/kinds/kindjson.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

static char *kind_timeline_dup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

struct timeline_data *timeline_data_copy(const struct timeline *tl, size_t max)
{
	struct timeline_data *d = xcalloc(1, sizeof(*d));
	size_t n = timeline_count(tl);
	d->n = n < max ? n : max;
	d->entries = xcalloc(d->n + 1, sizeof(*d->entries));
	for (size_t i = 0; i < d->n; i++) {
		const struct timeline_entry *e = timeline_entry(tl, n - 1 - i);
		struct timeline_entry *c = &d->entries[i];
		c->time_ms = e->time_ms;
		c->seq = e->seq;
		c->type = kind_timeline_dup(e->type);
		c->level = kind_timeline_dup(e->level);
		c->pane = kind_timeline_dup(e->pane);
		c->who = kind_timeline_dup(e->who);
		c->subject = kind_timeline_dup(e->subject);
		c->text = kind_timeline_dup(e->text);
		c->what = e->what != NULL ? xstrdup(e->what) : NULL;
		c->once = e->once;
	}
	return d;
}

void timeline_data_free(void *data)
{
	struct timeline_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		timeline_entry_clear(&d->entries[i]);
	free(d->entries);
	free(d);
}

static cJSON *kind_timeline_json(const void *data)
{
	const struct timeline_data *d = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "entries");
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		const struct timeline_entry *e = &d->entries[i];
		cJSON *j = cJSON_CreateObject();
		char when[32];
		util_rfc3339((time_t)(e->time_ms / 1000), when, sizeof(when));
		cJSON_AddStringToObject(j, "time", when);
		cJSON_AddStringToObject(j, "type", e->type);
		cJSON_AddStringToObject(j, "level", e->level);
		cJSON_AddStringToObject(j, "pane", e->pane);
		cJSON_AddStringToObject(j, "who", e->who);
		cJSON_AddStringToObject(j, "subject", e->subject);
		cJSON_AddStringToObject(j, "text", e->text);
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

static void *kind_timeline_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	struct timeline_data *d = xcalloc(1, sizeof(*d));
	const cJSON *arr = kindjson_array(json, "entries"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->entries = xcalloc(n + 1, sizeof(*d->entries));
	cJSON_ArrayForEach(j, arr)
	{
		struct timeline_entry *e = &d->entries[d->n];
		e->time_ms = kindjson_time(j, "time") * 1000;
		e->seq = n - d->n; /* newest first */
		e->type = kindjson_str(j, "type", "");
		e->level = kindjson_str(j, "level", "");
		e->pane = kindjson_str(j, "pane", "");
		e->who = kindjson_str(j, "who", "");
		e->subject = kindjson_str(j, "subject", "");
		e->text = kindjson_str(j, "text", "");
		d->n++;
	}
	return d;
}

static void kind_timeline_print(const void *data, FILE *out)
{
	const struct timeline_data *d = data;
	if (d->n == 0)
		fprintf(out, "  nothing recorded yet\n");
	for (size_t i = 0; i < d->n; i++) {
		char *line = timeline_entry_text(&d->entries[i]);
		fprintf(out, "  %s\n", line);
		free(line);
	}
}

const struct kind_ops kind_timeline = {
    .name = "timeline",
    .default_source = "events",
    .free = timeline_data_free,
    .to_json = kind_timeline_json,
    .from_json = kind_timeline_from_json,
    .print = kind_timeline_print,
};
