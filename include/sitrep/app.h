/* app: the wiring. One libuv loop owns every source, timer, child and the TUI.
 * core/app.c creates the sources from the config, schedules refreshes with a
 * little jitter, runs --once, and shuts everything down cleanly. */
#ifndef SITREP_APP_H
#define SITREP_APP_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "sitrep/config.h"
#include "sitrep/source.h"

struct tui;
struct http;

struct app_options {
	const char *config_path; /* -c */
	const char *theme;       /* --theme, NULL: config's */
	double refresh_seconds;  /* --refresh, 0: config's */
	bool read_only;          /* --read-only or SITREP_READ_ONLY=1 */
	bool once, json;
};

struct app {
	uv_loop_t *loop;
	struct config cfg;
	struct app_options opt;
	bool read_only;          /* effective: option, env or config */
	struct source *sources;  /* one per pane, same order as cfg.panes */
	size_t nsources;
	struct tui *tui;         /* NULL under --once */
	struct http *http;       /* the one HTTP client (core/http.c) */
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t once_timer;
	uint64_t once_deadline;  /* --once gives up on sources still silent then */
	bool quitting;
	int exit_code;
};

/* Creates every source from cfg (init only). 0, or -1 with err set. */
int app_create_sources(struct app *app, struct config_error *err);
/* Runs the dashboard until quit; returns the exit code. */
int app_run_dashboard(struct app *app);
/* Fetches every pane once and prints; returns 0 when all OK, 1 otherwise. */
int app_run_once(struct app *app);
/* The one HTTP client, created on first use: a dashboard without HTTP
 * sources never initialises curl and its TLS library (about 8 MiB of pages).
 * NULL under --check-config or once quitting. */
struct http *app_http(struct app *app);
/* Called by source.c when a snapshot changed: marks the pane dirty. */
void app_source_changed(struct app *app, struct source *src);
/* Begins a clean shutdown: stops sources, the TUI and signals; uv_run returns. */
void app_quit(struct app *app, int code);
/* Frees the sources and the config (after the loop has drained). */
void app_free(struct app *app);

#endif
