/* source: the lookup in the table of sources and the publish/fail path every source takes
 * into its snapshot. Publishing only updates the snapshot and marks the pane
 * dirty; drawing happens later, once per loop pass. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* The build's table of sources lives with the backends (backends/sources.c);
 * main.c hands it over before any config is read, so core names no backend. */
static const struct source_ops *const *source_table;
static size_t source_table_len;

void source_use_table(const struct source_ops *const *table, size_t n)
{
	source_table = table;
	source_table_len = n;
}

const struct source_ops *source_find(const char *name)
{
	for (size_t i = 0; i < source_table_len; i++)
		if (strcmp(source_table[i]->name, name) == 0)
			return source_table[i];
	return NULL;
}

const struct source_ops *source_at(size_t i)
{
	return i < source_table_len ? source_table[i] : NULL;
}

const char *source_names(void)
{
	static char names[512];
	names[0] = '\0';
	for (size_t i = 0; i < source_table_len; i++) {
		if (source_table[i]->kind == NULL)
			continue; /* the note source is not for configs */
		if (names[0] != '\0')
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, source_table[i]->name, sizeof(names) - strlen(names) - 1);
	}
	return names[0] != '\0' ? names : "none";
}

static uint64_t source_now(const struct source *src)
{
	return src->loop != NULL ? uv_now(src->loop) : util_mono_ms();
}

static void source_changed(struct source *src)
{
	src->snap.generation++;
	if (src->app != NULL)
		app_source_changed(src->app, src);
}

void source_publish(struct source *src, void *data)
{
	struct snapshot *snap = &src->snap;
	/* What the change means (a threshold crossed, an alert firing) is
	 * published before the old data goes. */
	if (snap->kind != NULL && snap->kind->diff != NULL && snap->data != data && src->app != NULL)
		snap->kind->diff(src, snap->data, data);
	if (snap->error != NULL && src->app != NULL)
		app_state(src->app, src, "pane_recovered", EVENT_OK, src->cfg->id, NULL, "%s works again",
		          src->cfg->source);
	if (snap->data != NULL && snap->data != data && snap->kind != NULL)
		snap->kind->free(snap->data);
	snap->data = data;
	free(snap->error);
	snap->error = NULL;
	snap->error_ms = 0;
	snap->updated_ms = source_now(src);
	if (snap->updated_ms == 0)
		snap->updated_ms = 1;
	snap->updated_wall = time(NULL);
	src->in_flight = false;
	src->done_once = true;
	source_changed(src);
}

void source_publish_preview(struct source *src, void *data)
{
	bool in_flight = src->in_flight, done = src->done_once;
	source_publish(src, data);
	src->in_flight = in_flight;
	src->done_once = done;
}

void source_fail(struct source *src, const char *fmt, ...)
{
	struct snapshot *snap = &src->snap;
	va_list ap;
	va_start(ap, fmt);
	char *msg = sanitize_vprintf(400, fmt, ap);
	va_end(ap);
	/* An unchanged error keeps its start time: the age shows how long it lasts. */
	if (snap->error == NULL || strcmp(snap->error, msg) != 0) {
		if (snap->error == NULL) {
			snap->error_ms = source_now(src);
			/* the pane is named with the event: the text is the error alone */
			app_state(src->app, src, "pane_failed", EVENT_WARN, src->cfg->id, NULL, "%s", msg);
		}
		free(snap->error);
		snap->error = msg;
	} else {
		free(msg);
	}
	src->in_flight = false;
	src->done_once = true;
	source_changed(src);
}

static void source_set_text(struct source *src, char **slot, const char *text)
{
	if (text == NULL && *slot == NULL)
		return;
	if (text != NULL && *slot != NULL && strcmp(text, *slot) == 0)
		return;
	free(*slot);
	*slot = sanitize_str(text);
	source_changed(src);
}

void source_set_note(struct source *src, const char *text)
{
	source_set_text(src, &src->snap.note, text);
}

void source_set_warning(struct source *src, const char *text)
{
	source_set_text(src, &src->snap.warning, text);
}

void source_set_view_cells(struct source *src, int cells)
{
	src->view_cells = cells > 0 ? cells : 0;
}

void source_refresh_now(struct source *src)
{
	if (src->ops->refresh == NULL || src->in_flight)
		return;
	src->in_flight = true;
	src->ops->refresh(src);
}
