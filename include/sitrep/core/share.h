/* share: the driver's end of the share stream (stream.h). It subscribes to
 * the app's bus and turns every pane publish and event into one record,
 * serialized once and handed by reference to every observer on the Unix
 * socket (sitrep --share, sitrep serve) and to the recording in the state
 * dir (recording.h). Observers only read: the first line they write must
 * be a hello, anything after it closes them, and nothing they send reaches
 * anything else. A slow observer never slows the driver: each has a queue
 * of at most SHARE_QUEUE_MAX bytes; past it the observer skips to the
 * newest state (and is told); one that has read nothing for
 * SHARE_STALL_MS is dropped. */
#ifndef SITREP_SHARE_H
#define SITREP_SHARE_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct share;

#define SHARE_QUEUE_MAX     (1u << 20) /* bytes queued for one observer */
#define SHARE_STALL_MS      30000      /* an observer reading nothing this long is dropped */
#define SHARE_HELLO_MS      10000      /* the hello must come within this */
#define SHARE_OBSERVERS_MAX 512
#define SHARE_SNDBUF        (64 * 1024) /* the kernel's part of one observer's queue */

struct share_options {
	bool socket;       /* listen (--share, "share": true, serve) */
	const char *path;  /* the socket; NULL: share_default_path */
	const char *group; /* "share_group": the socket is 0660 with this group; NULL: 0600 */
	bool record;       /* record the stream into the state dir */
};

/* $XDG_RUNTIME_DIR/sitrep/share.sock, else STATE_DIR/share.sock. Caller frees. */
char *share_default_path(const char *state_dir);
/* Starts the stream of app (subscribes to its bus; the socket listens).
 * NULL with a sentence in err when the socket cannot be made (its dir
 * refused, another sitrep already shares there, the group unknown). */
struct share *share_open(struct app *app, const struct share_options *opt, char *err, size_t cap);
/* Says bye to every observer and closes the handles (memory freed in the
 * close callbacks); sh may be NULL. */
void share_close(struct share *sh);
/* Observers attached now (hello received). */
int share_watching(const struct share *sh);
/* The socket's path (for messages), NULL when not listening. */
const char *share_socket_path(const struct share *sh);

/* What `sitrep serve` hands to app_run_dashboard: no terminal at all. */
extern const struct app_frontend share_headless;

#endif
