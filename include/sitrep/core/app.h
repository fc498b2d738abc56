/* app: the wiring. One libuv loop owns every source, timer, child and the TUI.
 * core/app.c creates the sources from the config, schedules refreshes with a
 * little jitter, runs --once, and shuts everything down cleanly. */
#ifndef SITREP_APP_H
#define SITREP_APP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "sitrep/core/config.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/source.h"

struct http;
struct timeline;
struct marks;
struct share;
struct observe;
struct app;

/* The dashboard's front end, handed in by main.c: core never names the TUI.
 * It learns of changes from the event bus. */
struct app_frontend {
	/* Takes the terminal and registers its handles on app->loop; NULL, with
	 * a message on stderr, when the terminal cannot be used. */
	void *(*start)(struct app *app);
	/* Gives the terminal back; its handles close on the loop. */
	void (*stop)(void *ui);
};

struct app_options {
	const char *config_path; /* -c */
	const char *theme;       /* --theme, NULL: config's */
	double refresh_seconds;  /* --refresh, 0: config's */
	bool read_only;          /* --read-only or SITREP_READ_ONLY=1 */
	bool once, json;
	bool share;               /* --share */
	const char *share_socket; /* `serve --socket PATH` */
	int fail_on; /* --fail-on: an enum level (LEVEL_WARN, LEVEL_CRIT); 0: off */
};

struct app {
	uv_loop_t *loop;
	struct config cfg;
	struct app_options opt;
	bool read_only;          /* effective: option, env or config */
	struct source *sources;  /* one per pane, same order as cfg.panes */
	size_t nsources;
	const struct app_frontend *frontend;
	void *ui;                /* the front end's object; NULL under --once */
	struct event_bus bus;    /* sources and actions publish, the rest subscribes */
	struct timeline *timeline; /* the persisted store of events; NULL until started */
	struct marks *marks;     /* the deploys graphs mark (core/marks.c); NULL until started */
	struct action *actions;  /* actions in flight (core/action.c), for the quit path */
	struct http *http;       /* the one HTTP client (core/io/http.c) */
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t once_timer;
	uint64_t once_deadline;  /* --once gives up on sources still silent then */
	bool quitting;
	int exit_code;
	struct share *share; /* the stream's driver end (core/share.c); NULL: none */
	/* Set by `sitrep attach` and `sitrep replay` (core/observe.c): the panes
	 * draw a driver's stream; nothing here acts or records. */
	struct observe *observe;
};

/* Creates every source from cfg (init only). 0, or -1 with err set. */
int app_create_sources(struct app *app, struct config_error *err);
/* Runs the dashboard with front end fe until quit; returns the exit code. */
int app_run_dashboard(struct app *app, const struct app_frontend *fe);
/* The --once --json object of one pane (id, kind, source, state, error,
 * updated_at, note, warning, data); the share stream reuses it. */
cJSON *app_pane_json(const struct app *app, const struct source *src);
/* Fetches every pane once and prints; returns 0 when all OK, 1 otherwise. */
int app_run_once(struct app *app);
/* The one HTTP client, created on first use: a dashboard without HTTP
 * sources never initialises curl and its TLS library (about 8 MiB of pages).
 * NULL under --check-config or once quitting. */
struct http *app_http(struct app *app);
/* Called by source.c when a snapshot changed: publishes EVENT_DATA_CHANGED. */
void app_source_changed(struct app *app, struct source *src);
/* Publishes an EVENT_STATE about src's pane (pane id and index filled in):
 * subject, known by key (NULL: by its subject), is now at level, and name
 * is the kind's word for that state ("alert_firing", "asset_fresh"); text is
 * formatted and sanitized. A source under --check-config has no app: nothing
 * happens. */
void app_state(struct app *app, const struct source *src, const char *name, enum event_level level,
               const char *subject, const char *key, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* The same for an occurrence (a new error group, a spike): an EVENT_STATE
 * with once set, recorded each time and never "still open". */
void app_state_once(struct app *app, const struct source *src, const char *name, enum event_level level,
                    const char *subject, const char *key, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Begins a clean shutdown: stops sources, the TUI and signals; uv_run returns. */
void app_quit(struct app *app, int code);
/* Frees the sources and the config (after the loop has drained). */
void app_free(struct app *app);

#endif
