/* snapshot: the state a pane shows, derived honestly from what the source
 * last managed to do and how long ago. */
#include <stdlib.h>

#include "sitrep/core/kind.h"
#include "sitrep/core/snapshot.h"

enum pane_state snapshot_state(const struct snapshot *snap, uint64_t now_ms, uint64_t stale_after_ms)
{
	if (snap->data == NULL || snap->updated_ms == 0)
		return snap->error != NULL ? PANE_ERROR : PANE_INIT;
	if (snap->error != NULL)
		return PANE_STALE;
	/* a source that silently stopped delivering is as stale as one that failed */
	if (stale_after_ms != 0 && now_ms > snap->updated_ms + stale_after_ms)
		return PANE_STALE;
	return PANE_OK;
}

const char *snapshot_state_name(enum pane_state state)
{
	switch (state) {
	case PANE_INIT: return "init";
	case PANE_OK: return "ok";
	case PANE_STALE: return "stale";
	case PANE_ERROR: return "error";
	}
	return "?";
}

void snapshot_clear(struct snapshot *snap)
{
	if (snap->data != NULL && snap->kind != NULL && snap->kind->free != NULL)
		snap->kind->free(snap->data);
	free(snap->error);
	free(snap->note);
	free(snap->warning);
	*snap = (struct snapshot){0};
}
