/* observe: the observer's end of the share stream. `sitrep attach` reads a
 * driver's stream (its socket, or `ssh -T host sitrep attach --stdio`) and
 * `sitrep replay` a recording; both rebuild every pane's snapshot with its
 * kind's from_json and hand an app to the same TUI the driver runs, so the
 * panes, themes and keys for looking are the driver's own. Nothing in an
 * observer acts: the app is read-only, the TUI refuses action keys before
 * the gate ("observer: actions belong to the driver"), no audit record or
 * timeline file is written, and the only byte ever sent is the hello. */
#ifndef SITREP_OBSERVE_H
#define SITREP_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct observe;

enum observe_via {
	OBSERVE_SOCKET, /* a Unix socket path */
	OBSERVE_SSH,    /* ssh -T [user@]host sitrep attach --stdio [SOCKET] */
	OBSERVE_REPLAY, /* a recording */
};

struct observe_target {
	enum observe_via via;
	const char *path;        /* socket or recording; NULL: the default */
	const char *ssh_dest;    /* [user@]host */
	const char *ssh_command; /* "ssh" unless SITREP_SSH says otherwise (tests) */
	int64_t at_ms;           /* replay: where to start (wall clock ms), 0: the start */
};

/* "ssh://[user@]host[/SOCKET]" into t (pointing into url, which is
 * modified). 0, or -1 with err: a destination or path that could pass for
 * an ssh option (leading '-'), control bytes, an empty host. */
int observe_parse_ssh_url(char *url, struct observe_target *t, char *err, size_t cap);

/* Connects (or reads the recording) and waits for the first whole state,
 * then fills app's config with its panes and creates their sources; app is
 * read-only and app->observe set. NULL with err (no driver there, a broken
 * or hostile stream, another version). */
struct observe *observe_open(struct app *app, const struct observe_target *t, char *err, size_t cap);
/* Registers the stream's handles on app->loop (before app_run_dashboard). */
void observe_start(struct observe *ob);
/* Closes the handles; called by app_quit. ob may be NULL. */
void observe_stop(struct observe *ob);
/* Frees (after the loop drained). */
void observe_free(struct observe *ob);
/* The status bar's badge: "WATCHING alice@db1 · 0.2 s behind", "WATCHING
 * alice@db1 · driver gone, reconnecting", "REPLAY 02:23:01 (-12 min)".
 * Copied into buf. */
const char *observe_badge(const struct observe *ob, char *buf, size_t cap);
/* A key the TUI did not use: replay's [ ] { } and Enter on the timeline.
 * True when used; msg (may be set to "") is for the status line. */
bool observe_key(struct observe *ob, int key, char *msg, size_t cap);
/* True for `sitrep replay` (ob may be NULL: a live dashboard). */
bool observe_replaying(const struct observe *ob);
/* Replay: Enter on a timeline row (of the pane at index `pane`: its time,
 * type and subject) moves the clock to the first moment the recording
 * shows that row, at or just after the row's time (a timeline pane
 * publishes at its next refresh). False when not a replay (the key keeps
 * its meaning: the row's detail); msg (may be set to "") for the status. */
bool observe_jump(struct observe *ob, int pane, int64_t time_ms, const char *type, const char *subject,
                  char *msg, size_t cap);
/* `e`: the observed timeline as Markdown, a new 0600 file in the
 * observer's own state dir. 0 with *path (caller frees), or -1 with msg. */
int observe_export(struct observe *ob, char **path, char *msg, size_t cap);

/* `sitrep attach --stdio [SOCKET]`: the relay ssh runs on the driver's host:
 * the socket's bytes to stdout, stdin's to the socket (the driver accepts
 * a hello and nothing more). Returns the exit code. */
int observe_relay(const char *path);

#endif
