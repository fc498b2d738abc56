/* snapshot: what a pane draws. A source fills it; a pane only reads it. Data
 * freshness is explicit: INIT (nothing yet), OK, STALE (the data shown is the
 * last good one: the latest refresh failed or is overdue), ERROR (failed and
 * there is no good data to show). */
#ifndef SITREP_SNAPSHOT_H
#define SITREP_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum pane_state { PANE_INIT, PANE_OK, PANE_STALE, PANE_ERROR };

struct kind_ops;

struct snapshot {
	const struct kind_ops *kind; /* how to free / print data */
	void *data;                  /* kind data, owned; NULL until the first publish */
	char *error;                 /* sanitized, owned; NULL when the last refresh worked */
	char *note;                  /* sanitized, owned: "not configured ..." and the like */
	char *warning;               /* sanitized, owned: a badge such as "TLS verify off" */
	uint64_t updated_ms;         /* monotonic time of the last good data, 0 = never */
	time_t updated_wall;         /* wall-clock time of the same, for display */
	uint64_t error_ms;           /* monotonic time the current error began */
	uint64_t generation;         /* bumped on every change; panes skip redraws with it */
};

/* The state to show now: OK data older than stale_after_ms counts as STALE. */
enum pane_state snapshot_state(const struct snapshot *snap, uint64_t now_ms,
			       uint64_t stale_after_ms);
const char *snapshot_state_name(enum pane_state state); /* "ok", "stale", ... */
void snapshot_clear(struct snapshot *snap);

#endif
