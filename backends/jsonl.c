/* jsonl: the "jsonl" deploys source: a JSON-lines file a CI pipeline
 * appends to, one deploy per line ({"id", "time", "author", "message",
 * "status"}), followed like a log file (core/io/tail.c: rotation,
 * truncation and a file that appears later all survive). The newest entry
 * whose status is not a failure or still running is current; failed ones
 * are marked bad. A line that is not such an object is counted and
 * skipped, never fatal. No actions: the pipeline owns the deploys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/io/tail.h"
#include "sitrep/core/util.h"

/* Entries kept: the newest. */
#define DEPLOYLOG_MAX 500

struct jsonl_deploys {
	struct source *src;
	char *path;
	struct tail *tail;
	struct deploys_data *all; /* every entry read, in file order */
	bool ready;
	unsigned long skipped; /* lines that were not a deploy */
	char *trouble;         /* the path's error, NULL when readable */
};

static int jsonl_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct jsonl_deploys *dl = xcalloc(1, sizeof(*dl));
	src->data = dl;
	dl->src = src;
	dl->all = deploys_data_new();
	if (config_get_string(ctx, node, "path", true, NULL, &dl->path) != 0)
		return -1;
	if (dl->path[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "path"), "expected the path of the JSON-lines file");
	return 0;
}

static bool jsonl_failed(const char *status)
{
	static const char *const bad[] = {"failed",    "failure",  "error",  "errored",
	                                  "cancelled", "canceled", "aborted"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (strcasecmp(status, bad[i]) == 0)
			return true;
	return false;
}

static bool jsonl_unfinished(const char *status)
{
	return strcasecmp(status, "running") == 0 || strcasecmp(status, "pending") == 0 ||
	       strcasecmp(status, "started") == 0 || strcasecmp(status, "in_progress") == 0;
}

static const char *jsonl_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

/* One line into the model; false when it is not a deploy. */
static bool jsonl_parse_line(struct deploys_data *d, const char *line, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return false;
	}
	const cJSON *idv = cJSON_GetObjectItemCaseSensitive(o, "id");
	char num[32];
	const char *id = NULL;
	if (cJSON_IsString(idv) && idv->valuestring != NULL && idv->valuestring[0] != '\0')
		id = idv->valuestring;
	else if (cJSON_IsNumber(idv) && idv->valuedouble >= 0 && idv->valuedouble < 1e15)
		id = (snprintf(num, sizeof(num), "%.0f", idv->valuedouble), num);
	if (id == NULL) {
		cJSON_Delete(o);
		return false;
	}
	/* A later line about the same id (running, then success) updates it. */
	char *clean = NULL;
	deploys_set(&clean, id, (size_t)-1);
	struct deploy *p = deploys_find(d, clean);
	if (p == NULL)
		p = deploys_add(d, clean);
	/* the id kept is the sanitized one: say when it differs from the pipeline's */
	p->id_altered = p->id_altered || strcmp(clean, id) != 0;
	free(clean);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
	if (cJSON_IsString(t) && t->valuestring != NULL)
		p->time = deploys_parse_time(t->valuestring, strlen(t->valuestring));
	else if (cJSON_IsNumber(t) && t->valuedouble > 0 && t->valuedouble < 1e11)
		p->time = (int64_t)t->valuedouble;
	const char *s;
	if ((s = jsonl_str(o, "author")) != NULL)
		deploys_set(&p->author, s, (size_t)-1);
	if ((s = jsonl_str(o, "message")) != NULL)
		deploys_set(&p->message, s, (size_t)-1);
	if ((s = jsonl_str(o, "status")) != NULL)
		deploys_set(&p->status, s, (size_t)-1);
	if ((s = jsonl_str(o, "revision")) != NULL)
		deploys_set(&p->revision, s, (size_t)-1);
	if ((s = jsonl_str(o, "branch")) != NULL)
		deploys_set(&p->branch, s, (size_t)-1);
	p->bad = jsonl_failed(p->status);
	cJSON_Delete(o);
	return true;
}

/* A copy of the model for the snapshot: newest first, current marked. */
static struct deploys_data *jsonl_snapshot(const struct jsonl_deploys *dl)
{
	struct deploys_data *d = deploys_data_new();
	d->path = xstrdup(dl->path);
	size_t from = dl->all->n > DEPLOYLOG_MAX ? dl->all->n - DEPLOYLOG_MAX : 0;
	for (size_t i = from; i < dl->all->n; i++) {
		const struct deploy *s = &dl->all->deploys[i];
		struct deploy *p = deploys_add(d, "");
		free(p->id);
		p->id = xstrdup(s->id);
		p->time = s->time;
		deploys_set(&p->author, s->author, (size_t)-1);
		deploys_set(&p->message, s->message, (size_t)-1);
		deploys_set(&p->status, s->status, (size_t)-1);
		deploys_set(&p->revision, s->revision, (size_t)-1);
		deploys_set(&p->branch, s->branch, (size_t)-1);
		p->bad = s->bad;
		p->id_altered = s->id_altered;
	}
	deploys_sort(d, false);
	for (size_t i = 0; i < d->n; i++) {
		if (!d->deploys[i].bad && !jsonl_unfinished(d->deploys[i].status)) {
			deploys_set_current(d, d->deploys[i].id);
			break;
		}
	}
	return d;
}

static void jsonl_publish(struct jsonl_deploys *dl)
{
	if (dl->trouble != NULL && dl->all->n == 0) {
		source_fail(dl->src, "%s: %s", dl->path, dl->trouble);
		return;
	}
	source_publish(dl->src, jsonl_snapshot(dl));
	if (dl->skipped > 0) {
		char note[96];
		snprintf(note, sizeof(note), "%lu line%s skipped (not a deploy object)", dl->skipped,
		         dl->skipped == 1 ? "" : "s");
		source_set_note(dl->src, note);
	}
}

static void jsonl_on_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct jsonl_deploys *dl = ctx;
	if (len == 0)
		return;
	if (cut || !jsonl_parse_line(dl->all, line, len))
		dl->skipped++;
	if (dl->all->n > 2 * DEPLOYLOG_MAX) {
		/* the oldest half goes: a model of the newest entries stays */
		struct deploys_data *d = dl->all;
		size_t drop = d->n - DEPLOYLOG_MAX;
		for (size_t i = 0; i < drop; i++) {
			free(d->deploys[i].id);
			free(d->deploys[i].author);
			free(d->deploys[i].message);
			free(d->deploys[i].status);
			free(d->deploys[i].revision);
			free(d->deploys[i].branch);
		}
		memmove(d->deploys, d->deploys + drop, (d->n - drop) * sizeof(*d->deploys));
		d->n -= drop;
	}
	/* a pipeline appends rarely: each new line after the first read is news */
	if (dl->ready)
		jsonl_publish(dl);
}

static void jsonl_on_state(void *ctx, const char *error)
{
	struct jsonl_deploys *dl = ctx;
	free(dl->trouble);
	dl->trouble = error != NULL ? xstrdup(error) : NULL;
	if (dl->ready && error != NULL)
		source_set_note(dl->src, error);
}

static void jsonl_on_ready(void *ctx)
{
	struct jsonl_deploys *dl = ctx;
	dl->ready = true;
	jsonl_publish(dl);
}

static const struct tail_callbacks jsonl_callbacks = {
    .line = jsonl_on_line,
    .state = jsonl_on_state,
    .ready = jsonl_on_ready,
};

static int jsonl_start(struct source *src)
{
	struct jsonl_deploys *dl = src->data;
	struct tail_options o = {.path = dl->path, .from_start = true, .max_line = 64 * 1024};
	dl->tail = tail_new(src->loop, &o, &jsonl_callbacks, dl);
	return tail_start(dl->tail);
}

static void jsonl_stop(struct source *src)
{
	struct jsonl_deploys *dl = src->data;
	if (dl != NULL && dl->tail != NULL) {
		tail_close(dl->tail, NULL);
		dl->tail = NULL;
	}
}

static void jsonl_destroy(struct source *src)
{
	struct jsonl_deploys *dl = src->data;
	if (dl == NULL)
		return;
	jsonl_stop(src);
	deploys_data_free(dl->all);
	free(dl->trouble);
	free(dl->path);
	free(dl);
	src->data = NULL;
}

const struct source_ops source_jsonl = {
    .name = "jsonl",
    .kind = "deploys",
    .init = jsonl_init,
    .start = jsonl_start,
    .stop = jsonl_stop,
    .destroy = jsonl_destroy,
    .runs_commands = true,
};
