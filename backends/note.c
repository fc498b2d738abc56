/* note: a source that only shows configured text. The built-in default uses
 * it for panes that need the user to say where the data is (CDN, deploys);
 * users can use it for a runbook pointer. It never fails and never fetches. */
#include <stdlib.h>

#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"

static int note_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	char *text;
	if (config_get_string(ctx, node, "text", true, NULL, &text) < 0)
		return -1;
	src->data = text;
	return 0;
}

static int note_start(struct source *src)
{
	source_set_note(src, src->data);
	src->done_once = true;
	return 0;
}

static void note_destroy(struct source *src)
{
	free(src->data);
	src->data = NULL;
}

const struct source_ops source_note = {
	.name = "note",
	.kind = NULL,
	.init = note_init,
	.start = note_start,
	.destroy = note_destroy,
};
