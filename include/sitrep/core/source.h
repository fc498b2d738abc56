/* source: the interface every backend implements. A source parses its config,
 * fetches asynchronously on the app's libuv loop, and publishes plain C data
 * (never a cJSON tree) into its snapshot. It never touches the screen.
 *
 * Adding a source is one file in backends/ plus one line in the table in
 * backends/sources.c. */
#ifndef SITREP_SOURCE_H
#define SITREP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "sitrep/core/config.h"
#include "sitrep/core/snapshot.h"

struct source;
struct app;
struct action;

struct source_ops {
	const char *name; /* "procfs", "prometheus", ... as in the config's "source" */
	const char *kind; /* pane kind it feeds; NULL: any kind (the note source) */
	/* Reads the pane's options from node and allocates src->data. No I/O: also
	 * run by --check-config. Returns 0, or -1 with ctx->err set. */
	int (*init)(struct source *src, struct config_ctx *ctx, struct jnode *node);
	/* Optional: begins long-running work (followed files, child processes). */
	int (*start)(struct source *src);
	/* Optional: one poll. Must end in source_publish or source_fail, now or
	 * later; the core never calls it again while src->in_flight. */
	void (*refresh)(struct source *src);
	/* Optional: builds the request an action will send (kept in
	 * action->request) and says exactly what it is with action_set_effect
	 * (URL and body, or argv; secrets masked). Runs before the user confirms,
	 * so the dialog shows what act() will send. 0, or -1 with err. */
	int (*prepare)(struct source *src, struct action *action, char *err, size_t cap);
	/* Optional: runs an action for this source (after the action gate). */
	int (*act)(struct source *src, const struct action *action);
	/* Optional: begins closing libuv handles; the app runs the loop until
	 * they are closed, then calls destroy. */
	void (*stop)(struct source *src);
	/* Frees src->data. */
	void (*destroy)(struct source *src);
	/* It runs commands with the pane's "pass_env" (the secret variables
	 * they may see): the config reads that key for it and refuses it on a
	 * pane whose source runs none. */
	bool runs_commands;
	/* Where "pass_env" goes instead, when a pane of this source is the
	 * wrong place for it but another is right (the logs source: on the
	 * log input of type "command"); NULL: the generic error. */
	const char *pass_env_elsewhere;
};

struct source {
	const struct source_ops *ops;
	struct pane_config *cfg;
	struct app *app; /* NULL under --check-config */
	uv_loop_t *loop; /* NULL under --check-config */
	struct snapshot snap;
	void *data;          /* the source's private state */
	uint64_t refresh_ms; /* interval for refresh */
	uv_timer_t timer;    /* drives refresh; data = this source */
	bool in_flight;
	struct action *acting; /* the action in flight on this pane; the gate allows one */
	bool visible;          /* its pane is on screen; expensive reads may skip when false */
	bool done_once;        /* published or failed at least once (for --once) */
	int view_cells;        /* history cells its view shows per series (source_set_view_cells);
	                          0 before the first draw and under --once */
	int index;
	int view_rows; /* rows its pane has for a list that can grow (procfs' processes, zoomed);
	                  set by the pane; 0 before the first draw and under --once */
};

/* The table of every source: backends/sources.c has it, main.c (and tests
 * that load configs) hand it to core once, before any config is loaded. */
void source_use_table(const struct source_ops *const *table, size_t n);
const struct source_ops *source_find(const char *name);
/* "procfs, prometheus, ..." for error messages. */
const char *source_names(void);
/* The i-th source of the build's table (the note source included), NULL past
 * the end: for lists of one kind's sources and "did you mean". */
const struct source_ops *source_at(size_t i);

/* Publish new data: takes ownership of data (frees the previous data unless it is
 * the same pointer, for sources that update in place), clears the error, marks
 * the pane dirty. */
void source_publish(struct source *src, void *data);
/* Publish a first look while the refresh goes on (rates that need a second
 * sample are still missing): the pane draws it at once, but the refresh stays
 * in flight and --once keeps waiting for the real publish. Takes ownership. */
void source_publish_preview(struct source *src, void *data);
/* Record a failure: the message is sanitized; the last good data stays (STALE). */
void source_fail(struct source *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set an informational note, or NULL to clear it. */
void source_set_note(struct source *src, const char *text);
/* Set a warning badge, or NULL to clear it. */
void source_set_warning(struct source *src, const char *text);
/* The view says how many history points it shows per series, so a source
 * that can choose its resolution (prometheus' query_range step) fetches just
 * that many. Called by a pane when its width changes; no refresh is forced. */
void source_set_view_cells(struct source *src, int cells);
/* Ask for a refresh now (R key, or after an action); ignored while in flight. */
void source_refresh_now(struct source *src);

#endif
