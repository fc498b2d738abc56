/* events: the source of a timeline pane. It reads the app's timeline store
 * (core/timeline.c), which is the bus's record of the incident: on each
 * refresh it publishes a fresh copy of the newest entries when the store's
 * generation moved since the last copy, else the same data again (fresh, not
 * stale). No subscription of its own: the store is the subscriber. When the
 * store could not read or write its files, the pane carries the reason as a
 * warning.
 *
 *   { "id": "story", "kind": "timeline" }            ("source": "events" is implied)
 *   "max_entries": 200                                how many the pane keeps (10..1000) */
#include <stdlib.h>

#include "sitrep/core/app.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

struct events_source {
	size_t max;
	uint64_t copied_gen; /* the store's generation of the last copy */
	bool copied;
};

static int events_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	double max;
	if (config_get_number(ctx, node, "max_entries", false, 200, 10, TIMELINE_KEEP, &max) < 0)
		return -1;
	struct events_source *es = xcalloc(1, sizeof(*es));
	es->max = (size_t)max;
	src->data = es;
	return 0;
}

static void events_refresh(struct source *src)
{
	struct events_source *es = src->data;
	const struct timeline *tl = src->app != NULL ? src->app->timeline : NULL;
	/* State files that were refused or could not be written: the pane says
	 * so beside what it still shows (a warning, not an error: the entries in
	 * memory are still right, and a failing pane would be an event itself). */
	source_set_warning(src, timeline_state_error(tl, NULL));
	uint64_t gen = timeline_generation(tl);
	if (es->copied && gen == es->copied_gen) {
		/* nothing new: keep the same data, but it is not stale */
		source_publish(src, src->snap.data);
		return;
	}
	es->copied = true;
	es->copied_gen = gen;
	source_publish(src, timeline_data_copy(tl, es->max));
}

static void events_destroy(struct source *src)
{
	free(src->data);
	src->data = NULL;
}

const struct source_ops source_events = {
    .name = "events",
    .kind = "timeline",
    .init = events_init,
    .refresh = events_refresh,
    .destroy = events_destroy,
};
