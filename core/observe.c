/* observe: the observer's end of the share stream (see observe.h). The
 * first state is read before the screen is taken (a wrong socket, a driver
 * of another version or a broken stream is a plain message and exit 1);
 * after that the stream is read on the loop, every record is parsed by
 * stream_parse and applied to the snapshots, and when it ends the badge
 * says "driver gone" and a timer tries again each second. A replay reads
 * the recording into memory once and rebuilds the dashboard at any time
 * from the whole state before it plus the panes published since. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/observe.h"
#include "sitrep/core/recording.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/share.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/stream.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

extern char **environ;

#define OBSERVE_FIRST_MS   15000 /* the first state must come within this */
#define OBSERVE_RETRY_MS   1000
#define OBSERVE_QUIET_MS   2500  /* no record this long: said on the badge */
#define OBSERVE_BROKEN_MS  5000  /* after a broken stream, the next try waits this */
#define OBSERVE_STEP_MS    10000 /* replay's [ and ] */
#define OBSERVE_REPLAY_MAX ((size_t)2 * RECORDING_ROTATE_BYTES + (1u << 20))

/* A record of a recording: where its line is and what it is. */
struct observe_rec {
	size_t off, len;
	int64_t time_ms;
	enum stream_type type;
	int pane; /* a pane record's index, else -1 */
};

struct observe {
	struct app *app;
	enum observe_via via;
	char *path;     /* socket or recording */
	char *ssh_dest; /* [user@]host */
	char *ssh_cmd;
	char *driver; /* "alice@db1" */
	char *export_dir;
	/* attach */
	int fd;     /* the stream while connecting (the socket, or ssh's stdout) */
	int ssh_in; /* ssh's stdin, kept open: closing it would end the session */
	pid_t ssh_pid;
	uv_pipe_t pipe;
	bool pipe_open, started, stopping;
	uv_timer_t timer;
	bool timer_open;
	struct stream_reader rd;
	bool connected, have_state;
	char gone[480]; /* why the stream ended, "" while it flows */
	int64_t last_rx_wall, lag_ms;
	bool reconnects;   /* after the first connection: ssh in batch mode, no terminal */
	uint64_t retry_ms; /* no new try before this (util_mono_ms) */
	uint64_t held_ms;  /* replay: the loop time the panes' ages were last held at */
	/* records read while waiting for the first state, applied after setup */
	struct stream_record first;
	struct stream_record *pending;
	size_t npending;
	/* replay */
	char *text;
	struct observe_rec *recs;
	size_t nrecs, broken;
	int64_t start_ms, end_ms, at_ms;
};

static int64_t observe_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int observe_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int observe_fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sanitize_vprintf(cap > 0 ? cap - 1 : 0, fmt, ap);
	va_end(ap);
	snprintf(err, cap, "%s", msg);
	free(msg);
	return -1;
}

/* ---- ssh:// ---- */

/* Nothing that ssh or a shell could take for more than a name. */
static bool observe_plain(const char *s, bool path)
{
	if (s == NULL || s[0] == '\0' || s[0] == '-')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (!path && (*p == ' ' || *p == '/' || *p == '\'' || *p == '"' || *p == '\\'))
			return false;
	}
	return true;
}

int observe_parse_ssh_url(char *url, struct observe_target *t, char *err, size_t cap)
{
	if (strncmp(url, "ssh://", 6) != 0)
		return observe_fail(err, cap, "not an ssh:// address");
	char *dest = url + 6, *slash = strchr(dest, '/');
	t->via = OBSERVE_SSH;
	t->path = NULL;
	if (slash != NULL) {
		/* ssh://host/run/user/1000/sitrep/share.sock: the path keeps its slash */
		size_t n = strlen(slash);
		memmove(slash + 1, slash, n + 1);
		*slash = '\0';
		t->path = slash + 1;
		if (!observe_plain(t->path, true) || t->path[1] == '\0')
			return observe_fail(err, cap, "ssh:// socket path \"%s\": not a plain path", t->path);
	}
	if (!observe_plain(dest, false))
		return observe_fail(err, cap, "ssh:// destination \"%s\": not a plain [user@]host", dest);
	char *at = strrchr(dest, '@');
	if (at != NULL && (at == dest || at[1] == '\0' || at[1] == '-'))
		return observe_fail(err, cap, "ssh:// destination \"%s\": not a plain [user@]host", dest);
	t->ssh_dest = dest;
	return 0;
}

/* s as one word for the remote shell: 'it'\''s'. Caller frees. */
static char *observe_quote(const char *s)
{
	struct util_buf b = {0};
	util_buf_add(&b, "'", 1);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'')
			util_buf_add(&b, "'\\''", 4);
		else
			util_buf_add(&b, p, 1);
	}
	util_buf_add(&b, "'", 1);
	return b.s;
}

/* Starts ssh -T [user@]host 'sitrep' attach --stdio ['SOCKET'] with pipes;
 * the destination comes after "--", so it is never an option. */
static int observe_spawn_ssh(struct observe *ob, char *err, size_t cap)
{
	const char *remote = getenv("SITREP_REMOTE");
	char *qremote = observe_quote(remote != NULL && remote[0] != '\0' ? remote : "sitrep");
	char *qpath = ob->path != NULL ? observe_quote(ob->path) : NULL;
	const char *argv[16];
	int n = 0;
	argv[n++] = ob->ssh_cmd;
	argv[n++] = "-T";
	if (ob->reconnects) {
		argv[n++] = "-o";
		argv[n++] = "BatchMode=yes";
	}
	argv[n++] = "--";
	argv[n++] = ob->ssh_dest;
	argv[n++] = qremote;
	argv[n++] = "attach";
	argv[n++] = "--stdio";
	if (qpath != NULL)
		argv[n++] = qpath;
	argv[n] = NULL;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return observe_fail(err, cap, "no pipe for ssh: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (ob->reconnects) /* the screen is ours by now: ssh's complaints must not draw on it */
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_t sa;
	posix_spawnattr_init(&sa);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int rc = posix_spawnp(&pid, ob->ssh_cmd, &fa, &sa, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	free(qremote);
	free(qpath);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return observe_fail(err, cap, "cannot run %s: %s", ob->ssh_cmd, strerror(rc));
	}
	ob->ssh_pid = pid;
	ob->ssh_in = in[1];
	ob->fd = out[0];
	return 0;
}

static void observe_reap(struct observe *ob)
{
	if (ob->ssh_in >= 0)
		close(ob->ssh_in);
	ob->ssh_in = -1;
	if (ob->ssh_pid > 0) {
		kill(ob->ssh_pid, SIGTERM);
		waitpid(ob->ssh_pid, NULL, 0);
	}
	ob->ssh_pid = 0;
}

/* ---- connecting ---- */

/* Who serves the socket, as the kernel says (SO_PEERCRED: the listener's
 * credentials when it called listen), checked before any record is read.
 * Our own uid or root is a driver we could have started. Another user's
 * driver (a "share_group" socket) is accepted only when the socket's
 * directory is that user's and nobody else may write in it: then nobody
 * but that user or root could have put a socket at the path we were given,
 * so the path names the driver. A socket planted where others may write
 * (/tmp, a group-writable dir, our own dir) by another user is refused. */
static int observe_check_peer(int fd, const char *path, char *err, size_t cap)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return observe_fail(err, cap, "%s: cannot tell who serves it: %s", path, strerror(errno));
	uid_t me = geteuid();
	if (cr.uid == me || cr.uid == 0)
		return 0;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir) {
		slash[1] = '\0';
	} else {
		*slash = '\0';
	}
	struct stat ds;
	bool theirs = stat(dir, &ds) == 0 && S_ISDIR(ds.st_mode) && ds.st_uid == cr.uid &&
	              (ds.st_mode & (S_IWGRP | S_IWOTH)) == 0;
	if (theirs) {
		free(dir);
		return 0;
	}
	const struct passwd *pw = getpwuid(cr.uid);
	char who[96], you[48];
	snprintf(who, sizeof(who), "uid %u%s%s%s", (unsigned)cr.uid, pw != NULL ? " (" : "",
	         pw != NULL ? pw->pw_name : "", pw != NULL ? ")" : "");
	snprintf(you, sizeof(you), me == 0 ? "you (root)" : "you (uid %u) or root", (unsigned)me);
	observe_fail(err, cap,
	             "%s is served by %s, not by %s, and its directory %s is not that user's alone: "
	             "refusing to read it",
	             path, who, you, dir);
	free(dir);
	return -1;
}

static int observe_connect_socket(struct observe *ob, char *err, size_t cap)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(ob->path) >= sizeof(sa.sun_path))
		return observe_fail(err, cap, "socket path %s is too long", ob->path);
	strcpy(sa.sun_path, ob->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return observe_fail(err, cap, "no socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return observe_fail(
			    err, cap, "no driver shares on %s (start one with sitrep --share)", ob->path);
		if (e == EACCES)
			return observe_fail(
			    err, cap,
			    "%s: permission denied (the socket's mode and group decide who may watch)",
			    ob->path);
		return observe_fail(err, cap, "%s: %s", ob->path, strerror(e));
	}
	if (observe_check_peer(fd, ob->path, err, cap) < 0) {
		close(fd);
		return -1;
	}
	ob->fd = fd;
	return 0;
}

/* Connects and says hello: the one thing an observer ever sends. */
static int observe_connect(struct observe *ob, char *err, size_t cap)
{
	ob->fd = -1;
	int rc =
	    ob->via == OBSERVE_SSH ? observe_spawn_ssh(ob, err, cap) : observe_connect_socket(ob, err, cap);
	if (rc < 0)
		return -1;
	cJSON *hello = stream_envelope(STREAM_HELLO, 1, observe_wall_ms());
	cJSON_AddStringToObject(hello, "client", "sitrep attach");
	size_t len;
	char *line = stream_line(hello, &len);
	cJSON_Delete(hello);
	int wfd = ob->via == OBSERVE_SSH ? ob->ssh_in : ob->fd;
	ssize_t w = write(wfd, line, len);
	free(line);
	if (w != (ssize_t)len) {
		close(ob->fd);
		ob->fd = -1;
		observe_reap(ob);
		return observe_fail(err, cap, "the driver did not take the hello");
	}
	stream_reader_clear(&ob->rd);
	return 0;
}

/* ---- applying records ---- */

/* A driver's wall-clock time as our monotonic time, seen from ref_wall. */
static uint64_t observe_mono_of(const struct observe *ob, double wall, int64_t ref_wall)
{
	if (!(wall > 0))
		return 0;
	uint64_t now = ob->app->loop != NULL ? uv_now(ob->app->loop) : util_mono_ms();
	double ago = (double)ref_wall - wall;
	if (ago < 0)
		ago = 0;
	uint64_t t = (double)now > ago ? now - (uint64_t)ago : 1;
	return t > 0 ? t : 1;
}

static void observe_apply_pane(struct observe *ob, const cJSON *p, int64_t ref_wall)
{
	struct app *app = ob->app;
	double index = kindjson_num(p, "index", -1);
	if (!(index >= 0) || index >= (double)app->nsources)
		return;
	struct source *src = &app->sources[(size_t)index];
	char *id = kindjson_str(p, "id", "");
	bool same = strcmp(id, src->cfg->id) == 0;
	free(id);
	if (!same)
		return;
	struct snapshot *snap = &src->snap;
	const cJSON *data = kindjson_object(p, "data");
	bool has = kindjson_bool(p, "has_data", true);
	void *model =
	    has && data != NULL && snap->kind->from_json != NULL ? snap->kind->from_json(data) : NULL;
	if (snap->data != NULL)
		snap->kind->free(snap->data);
	snap->data = model;
	free(snap->error);
	free(snap->note);
	free(snap->warning);
	snap->error = kindjson_str(p, "error", NULL);
	snap->note = kindjson_str(p, "note", NULL);
	snap->warning = kindjson_str(p, "warning", NULL);
	double updated = kindjson_num(p, "updated_ms", 0);
	snap->updated_ms = observe_mono_of(ob, updated, ref_wall);
	snap->updated_wall = (time_t)(updated / 1000);
	snap->error_ms =
	    snap->error != NULL ? observe_mono_of(ob, kindjson_num(p, "error_since", 0), ref_wall) : 0;
	if (snap->updated_ms == 0 && snap->data != NULL && snap->error == NULL)
		snap->updated_ms = 1;
	snap->generation++;
	src->done_once = true;
	if (app->loop != NULL)
		app_source_changed(app, src);
}

/* An event of the driver's bus, on ours: the status line's hint, the
 * timeline view and the deploy markers follow it. */
static void observe_apply_event(struct observe *ob, const cJSON *e)
{
	char *type = kindjson_str(e, "type", ""), *level = kindjson_str(e, "level", "info");
	int t = event_type_from_name(type), lv = event_level_from_name(level);
	free(type);
	free(level);
	if (t < 0 || t == EVENT_DATA_CHANGED)
		return;
	char *pane = kindjson_str(e, "pane", ""), *subject = kindjson_str(e, "subject", "");
	char *text = kindjson_str(e, "text", ""), *key = kindjson_str(e, "key", NULL);
	char *name = t == EVENT_STATE ? kindjson_str(e, "name", NULL) : NULL;
	double index = kindjson_num(e, "pane_index", -1);
	double when = kindjson_num(e, "time", 0);
	struct event ev = {
	    .type = (enum event_type)t,
	    .level = lv >= 0 ? (enum event_level)lv : EVENT_INFO,
	    .time_ms = when > 0 && when < 9e15 ? (int64_t)when : 0,
	    .pane = pane[0] != '\0' ? pane : NULL,
	    .pane_index = index >= 0 && index < (double)ob->app->nsources ? (int)index : -1,
	    .subject = subject,
	    .text = text,
	    .key = key,
	    .name = name,
	    .once = t == EVENT_STATE && kindjson_bool(e, "once", false),
	};
	event_publish(&ob->app->bus, &ev);
	free(name);
	free(pane);
	free(subject);
	free(text);
	free(key);
}

static void observe_driver_from(struct observe *ob, const cJSON *root)
{
	const cJSON *d = kindjson_object(root, "driver");
	char *user = kindjson_str(d, "user", "?"), *host = kindjson_str(d, "host", "?");
	free(ob->driver);
	ob->driver = xasprintf("%.40s@%.60s", user, host);
	free(user);
	free(host);
}

/* The panes of a state are the ones set up: same ids and kinds, in order. */
static bool observe_same_panes(const struct observe *ob, const cJSON *root)
{
	const cJSON *panes = kindjson_array(root, "panes"), *p;
	size_t i = 0;
	bool same = true;
	cJSON_ArrayForEach(p, panes)
	{
		char *id = kindjson_str(p, "id", ""), *kind = kindjson_str(p, "kind", "");
		same = same && i < ob->app->nsources && strcmp(id, ob->app->cfg.panes[i].id) == 0 &&
		       strcmp(kind, ob->app->cfg.panes[i].kind) == 0;
		free(id);
		free(kind);
		i++;
	}
	return same && i == ob->app->nsources;
}

static void observe_apply_state(struct observe *ob, const cJSON *root, int64_t ref_wall, bool events)
{
	if (!observe_same_panes(ob, root)) {
		snprintf(ob->gone, sizeof(ob->gone), "the driver's panes changed: quit and attach again");
		return;
	}
	observe_driver_from(ob, root);
	const cJSON *p;
	cJSON_ArrayForEach(p, kindjson_array(root, "panes"))
	{
		observe_apply_pane(ob, p, ref_wall);
	}
	cJSON_ArrayForEach(p, kindjson_array(root, "marks"))
	{
		char *id = kindjson_str(p, "id", "");
		double t = kindjson_num(p, "time", 0);
		if (t > 0 && t < 9e15)
			marks_add(marks_of(ob->app), (int64_t)t, id);
		free(id);
	}
	if (events) {
		cJSON_ArrayForEach(p, kindjson_array(root, "events"))
		{
			observe_apply_event(ob, p);
		}
	}
}

static void observe_apply(struct observe *ob, const struct stream_record *r, int64_t ref_wall)
{
	switch (r->type) {
	case STREAM_STATE: observe_apply_state(ob, r->root, ref_wall, !ob->have_state); break;
	case STREAM_PANE:
		observe_apply_pane(ob, cJSON_GetObjectItemCaseSensitive(r->root, "pane"), ref_wall);
		break;
	case STREAM_EVENT: observe_apply_event(ob, cJSON_GetObjectItemCaseSensitive(r->root, "event")); break;
	case STREAM_SKIPPED: snprintf(ob->gone, sizeof(ob->gone), "%s", ""); break;
	case STREAM_BYE: {
		char *why = kindjson_str(r->root, "reason", "the driver quit");
		snprintf(ob->gone, sizeof(ob->gone), "driver gone (%s)", why);
		free(why);
		break;
	}
	default: break;
	}
	if (r->type == STREAM_STATE)
		ob->have_state = true;
}

/* ---- setting up the observer's app from the first state ---- */

static const struct source_ops observe_polled;

/* The driver's source polls: our copy ages the same way (stale when two
 * refreshes went missing), but never fetches anything. */
static void observe_refresh(struct source *src)
{
	src->in_flight = false;
}

static const struct source_ops observe_polled = {.name = "observed", .refresh = observe_refresh};
static const struct source_ops observe_followed = {.name = "observed"};

static int observe_setup(struct observe *ob, const cJSON *root, char *err, size_t cap)
{
	struct app *app = ob->app;
	const cJSON *panes = kindjson_array(root, "panes"), *p;
	size_t n = panes != NULL ? (size_t)cJSON_GetArraySize(panes) : 0;
	if (n > 64)
		return observe_fail(err, cap, "a state with %zu panes (at most 64)", n);
	app->cfg.panes = xcalloc(n + 1, sizeof(*app->cfg.panes));
	app->sources = xcalloc(n + 1, sizeof(*app->sources));
	cJSON_ArrayForEach(p, panes)
	{
		size_t i = app->cfg.npanes;
		struct pane_config *pc = &app->cfg.panes[i];
		pc->id = kindjson_str(p, "id", "?");
		pc->kind = kindjson_str(p, "kind", "?");
		pc->source = kindjson_str(p, "source", "?");
		pc->title = kindjson_str(p, "title", NULL);
		double refresh = kindjson_num(p, "refresh_ms", 0);
		bool polls = kindjson_bool(p, "polls", false) && refresh >= 100 && refresh <= 86400000;
		pc->ops = polls ? &observe_polled : &observe_followed;
		app->cfg.npanes++;
		struct source *src = &app->sources[i];
		src->ops = pc->ops;
		src->cfg = pc;
		src->index = (int)i;
		src->visible = true;
		const struct kind_ops *k = kind_find(pc->kind);
		src->snap.kind = k != NULL ? k : &kind_empty;
		src->refresh_ms = polls ? (uint64_t)refresh : 0;
		app->nsources++;
	}
	app->read_only = true;
	app->observe = ob;
	observe_driver_from(ob, root);
	return 0;
}

/* ---- reading on the loop ---- */

static void observe_lost(struct observe *ob, const char *why);

static int observe_on_line(const char *line, size_t len, void *arg)
{
	struct observe *ob = arg;
	struct stream_record r;
	char err[240];
	if (stream_parse(line, len, &r, err, sizeof(err)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "broken stream: %s", err);
		observe_lost(ob, why);
		return 1;
	}
	ob->last_rx_wall = observe_wall_ms();
	ob->lag_ms = r.time_ms > 0 ? ob->last_rx_wall - r.time_ms : 0;
	if (r.type == STREAM_STATE && ob->gone[0] != '\0' && strncmp(ob->gone, "the driver's panes", 18) != 0)
		ob->gone[0] = '\0'; /* back: reconnected */
	observe_apply(ob, &r, ob->last_rx_wall);
	bool bye = r.type == STREAM_BYE;
	stream_record_clear(&r);
	if (bye) {
		char why[sizeof(ob->gone)];
		snprintf(why, sizeof(why), "%s", ob->gone);
		observe_lost(ob, why);
		return 1;
	}
	return 0;
}

static void observe_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char chunk[65536];
	(void)h;
	(void)suggested;
	buf->base = chunk;
	buf->len = sizeof(chunk);
}

static void observe_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct observe *ob = s->data;
	if (n < 0) {
		char err[240] = "";
		if (n == UV_EOF && stream_reader_end(&ob->rd, err, sizeof(err)) == 0)
			snprintf(err, sizeof(err), "driver gone");
		else if (n != UV_EOF)
			snprintf(err, sizeof(err), "driver gone (%s)", uv_strerror((int)n));
		else {
			char tmp[240];
			snprintf(tmp, sizeof(tmp), "broken stream: %s", err);
			snprintf(err, sizeof(err), "%s", tmp);
		}
		/* a bye said it already */
		observe_lost(ob, ob->gone[0] != '\0' ? ob->gone : err);
		return;
	}
	char err[240];
	if (stream_reader_feed(&ob->rd, buf->base, (size_t)n, observe_on_line, ob, err, sizeof(err)) < 0) {
		char why[300];
		snprintf(why, sizeof(why), "broken stream: %s", err);
		observe_lost(ob, why);
	}
}

static void observe_on_pipe_close(uv_handle_t *h)
{
	struct observe *ob = h->data;
	ob->pipe_open = false;
}

static void observe_lost(struct observe *ob, const char *why)
{
	if (why != ob->gone)
		snprintf(ob->gone, sizeof(ob->gone), "%s", why);
	ob->connected = false;
	if (ob->pipe_open && !uv_is_closing((uv_handle_t *)&ob->pipe)) {
		uv_read_stop((uv_stream_t *)&ob->pipe);
		uv_close((uv_handle_t *)&ob->pipe, observe_on_pipe_close);
	}
	observe_reap(ob);
	stream_reader_clear(&ob->rd);
	/* a broken stream stays on the badge a while before the next try */
	ob->retry_ms = util_mono_ms() + (strncmp(why, "broken", 6) == 0 ? OBSERVE_BROKEN_MS : 0);
	/* the badge changed: the status bar draws it now */
	if (ob->app->nsources > 0 && ob->app->loop != NULL)
		app_source_changed(ob->app, &ob->app->sources[0]);
}

static void observe_read_fd(struct observe *ob)
{
	uv_pipe_init(ob->app->loop, &ob->pipe, 0);
	ob->pipe.data = ob;
	ob->pipe_open = true;
	uv_pipe_open(&ob->pipe, ob->fd);
	ob->fd = -1;
	ob->connected = true;
	uv_read_start((uv_stream_t *)&ob->pipe, observe_alloc, observe_on_read);
}

/* A replay's clock stands still: the ages its panes show stay those of the
 * moment shown, however long one looks at it. */
static void observe_hold_time(struct observe *ob)
{
	uint64_t now = uv_now(ob->app->loop), d = now - ob->held_ms;
	ob->held_ms = now;
	for (size_t i = 0; d > 0 && i < ob->app->nsources; i++) {
		struct snapshot *snap = &ob->app->sources[i].snap;
		if (snap->updated_ms != 0)
			snap->updated_ms += d;
		if (snap->error_ms != 0)
			snap->error_ms += d;
	}
}

static void observe_on_timer(uv_timer_t *t)
{
	struct observe *ob = t->data;
	if (ob->via == OBSERVE_REPLAY) {
		observe_hold_time(ob);
		return;
	}
	if (ob->stopping || ob->connected || ob->pipe_open || util_mono_ms() < ob->retry_ms)
		return;
	char err[300];
	ob->reconnects = true;
	if (observe_connect(ob, err, sizeof(err)) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "driver gone, reconnecting: %s", err);
		snprintf(ob->gone, sizeof(ob->gone), "%s", why);
		return;
	}
	observe_read_fd(ob);
}

/* ---- replay ---- */

static int observe_rec_cmp(const void *a, const void *b)
{
	const struct observe_rec *x = a, *y = b;
	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* A record's type, time and pane index without parsing it whole: the
 * driver writes the envelope first ({"stream":1,"type":"pane","seq":N,
 * "time":T,...) and a pane's "index" as the pane object's last member. 0,
 * or -1 when the line is not in that shape (it is then parsed). */
static int observe_peek(const char *line, size_t len, struct observe_rec *r)
{
	static const char head[] = "{\"stream\":1,\"type\":\"";
	if (len < sizeof(head) || memcmp(line, head, sizeof(head) - 1) != 0)
		return -1;
	const char *p = line + sizeof(head) - 1, *end = line + len;
	const char *q = memchr(p, '"', (size_t)(end - p));
	if (q == NULL)
		return -1;
	int t = -1;
	for (int i = 0; i < STREAM_TYPE_COUNT; i++)
		if ((size_t)(q - p) == strlen(stream_type_name((enum stream_type)i)) &&
		    memcmp(p, stream_type_name((enum stream_type)i), (size_t)(q - p)) == 0)
			t = i;
	const char *tm = memmem(q, (size_t)(end - q) < 64 ? (size_t)(end - q) : 64, ",\"time\":", 8);
	if (t < 0 || tm == NULL)
		return -1;
	r->type = (enum stream_type)t;
	r->time_ms = strtoll(tm + 8, NULL, 10);
	r->pane = -1;
	if (r->type == STREAM_PANE) {
		const char *ix = NULL;
		for (const char *s = q; (s = memmem(s, (size_t)(end - s), ",\"index\":", 9)) != NULL; s += 9)
			ix = s;
		long i = ix != NULL ? strtol(ix + 9, NULL, 10) : -1;
		r->pane = i >= 0 && i < 64 ? (int)i : -1;
	}
	return 0;
}

/* Reads the recording (the rotated half first), decompressed, and indexes
 * its records. */
static int observe_load(struct observe *ob, char *err, size_t cap)
{
	const char *dir = ob->app->cfg.state_dir;
	struct util_buf all = {0};
	const char *names[] = {RECORDING_NAME ".1", RECORDING_NAME};
	for (size_t i = 0; i < 2; i++) {
		char msg[STATEFILE_MSG_MAX];
		int fd;
		if (ob->path != NULL) {
			if (i == 0)
				continue;
			fd = open(ob->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				return observe_fail(err, cap, "%s: %s", ob->path, strerror(errno));
		} else {
			fd = state_open(dir, names[i], STATEFILE_READ, msg, sizeof(msg));
			if (fd < 0 && errno == ENOENT)
				continue;
			if (fd < 0)
				return observe_fail(err, cap, "%s", msg);
		}
		size_t len;
		char *raw = util_read_fd(fd, OBSERVE_REPLAY_MAX, ob->path != NULL ? 2000 : -1, &len);
		int e = errno;
		close(fd);
		if (raw == NULL)
			return observe_fail(err, cap, "%s: %s", ob->path != NULL ? ob->path : names[i],
			                    strerror(e));
		char derr[200] = "";
		size_t n;
		char *text = recording_decode(raw, len, OBSERVE_REPLAY_MAX, &n, derr, sizeof(derr));
		free(raw);
		if (text == NULL)
			return observe_fail(err, cap, "%s: %s", ob->path != NULL ? ob->path : names[i], derr);
		if (all.s == NULL) {
			/* the usual case, one file: no copy */
			all = (struct util_buf){.s = text, .len = n, .cap = n + 1};
		} else {
			util_buf_add(&all, text, n);
			free(text);
		}
		if (n > 0 && all.s[all.len - 1] != '\n')
			util_buf_add(&all, "\n", 1);
	}
	if (all.s == NULL)
		return observe_fail(err, cap, "nothing recorded in %s yet (sitrep records while it runs)",
		                    dir);
	ob->text = all.s;
	size_t cap_recs = 0;
	for (size_t off = 0; off < all.len;) {
		const char *nl = memchr(all.s + off, '\n', all.len - off);
		size_t len = nl != NULL ? (size_t)(nl - (all.s + off)) : all.len - off;
		struct observe_rec rec = {.off = off, .len = len};
		bool good = len > 0 && observe_peek(all.s + off, len, &rec) == 0;
		if (!good && len > 0) {
			struct stream_record r;
			char e[200];
			if (stream_parse(all.s + off, len, &r, e, sizeof(e)) == 0) {
				rec.type = r.type;
				rec.time_ms = r.time_ms;
				rec.pane = -1;
				if (r.type == STREAM_PANE) {
					double i = kindjson_num(
					    cJSON_GetObjectItemCaseSensitive(r.root, "pane"), "index", -1);
					rec.pane = i >= 0 && i < 64 ? (int)i : -1;
				}
				stream_record_clear(&r);
				good = true;
			} else {
				ob->broken++;
			}
		}
		if (good) {
			if (ob->nrecs == cap_recs) {
				cap_recs = cap_recs ? cap_recs * 2 : 1024;
				ob->recs = xrealloc(ob->recs, cap_recs * sizeof(*ob->recs));
			}
			ob->recs[ob->nrecs++] = rec;
		}
		off += len + 1;
	}
	qsort(ob->recs, ob->nrecs, sizeof(*ob->recs), observe_rec_cmp);
	size_t first = 0;
	while (first < ob->nrecs && ob->recs[first].type != STREAM_STATE)
		first++;
	if (first == ob->nrecs)
		return observe_fail(err, cap, "the recording holds no whole state (%zu records, %zu broken)",
		                    ob->nrecs, ob->broken);
	ob->start_ms = ob->recs[first].time_ms;
	ob->end_ms = ob->recs[ob->nrecs - 1].time_ms;
	char e[200];
	if (stream_parse(ob->text + ob->recs[first].off, ob->recs[first].len, &ob->first, e, sizeof(e)) < 0)
		return observe_fail(err, cap, "%s", e);
	return 0;
}

/* Before the screen is set up: the first state is kept, the records after
 * it wait for observe_start, a broken one ends the wait. */
static int observe_first_line(const char *line, size_t len, void *arg)
{
	struct observe *ob = arg;
	struct stream_record r;
	char e[240];
	if (stream_parse(line, len, &r, e, sizeof(e)) < 0) {
		snprintf(ob->gone, sizeof(ob->gone), "broken stream: %s", e);
		return -1;
	}
	if (ob->first.root == NULL) {
		if (r.type == STREAM_STATE) {
			ob->first = r;
			return 0;
		}
		stream_record_clear(&r); /* nothing to apply it to yet */
		return 0;
	}
	ob->pending = xrealloc(ob->pending, (ob->npending + 1) * sizeof(*ob->pending));
	ob->pending[ob->npending++] = r;
	return 0;
}

static void observe_apply_at(struct observe *ob, size_t i, int64_t ref)
{
	struct stream_record r;
	char e[200];
	if (stream_parse(ob->text + ob->recs[i].off, ob->recs[i].len, &r, e, sizeof(e)) < 0)
		return;
	if (r.type == STREAM_STATE)
		observe_apply_state(ob, r.root, ref, false);
	else
		observe_apply(ob, &r, ref);
	stream_record_clear(&r);
}

/* The dashboard as it was at t: the whole state before it, then the newest
 * record of each pane since; the timeline rebuilt from the events up to t. */
static void observe_seek(struct observe *ob, int64_t t)
{
	if (t < ob->start_ms)
		t = ob->start_ms;
	if (t > ob->end_ms)
		t = ob->end_ms;
	ob->at_ms = t;
	size_t state = 0, last = 0;
	for (size_t i = 0; i < ob->nrecs && ob->recs[i].time_ms <= t; i++) {
		if (ob->recs[i].type == STREAM_STATE)
			state = i;
		last = i;
	}
	while (state > 0 && ob->recs[state].type != STREAM_STATE)
		state++;
	observe_apply_at(ob, state, t);
	size_t newest[64];
	for (size_t k = 0; k < 64; k++)
		newest[k] = SIZE_MAX;
	for (size_t i = state + 1; i <= last && i < ob->nrecs; i++)
		if (ob->recs[i].type == STREAM_PANE && ob->recs[i].pane >= 0)
			newest[ob->recs[i].pane] = i;
	for (size_t k = 0; k < 64; k++)
		if (newest[k] != SIZE_MAX)
			observe_apply_at(ob, newest[k], t);
	/* the timeline: what the recording's first state knew, and every event since, up to t */
	struct app *app = ob->app;
	timeline_close(app->timeline);
	app->timeline = timeline_open(app, 0);
	const cJSON *e;
	cJSON_ArrayForEach(e, kindjson_array(ob->first.root, "events"))
	{
		if (kindjson_num(e, "time", 0) <= (double)t)
			observe_apply_event(ob, e);
	}
	for (size_t i = 0; i <= last && i < ob->nrecs; i++)
		if (ob->recs[i].type == STREAM_EVENT)
			observe_apply_at(ob, i, t);
}

/* The time of the previous (dir < 0) or next timeline event from at. */
static bool observe_event_near(const struct observe *ob, int dir, int64_t *t)
{
	bool found = false;
	for (size_t i = 0; i < ob->nrecs; i++) {
		const struct observe_rec *r = &ob->recs[i];
		if (r->type != STREAM_EVENT)
			continue;
		if (dir < 0 && r->time_ms < ob->at_ms) {
			*t = r->time_ms;
			found = true;
		}
		if (dir > 0 && r->time_ms > ob->at_ms) {
			*t = r->time_ms;
			return true;
		}
	}
	return found;
}

bool observe_key(struct observe *ob, int key, char *msg, size_t cap)
{
	msg[0] = '\0';
	if (ob == NULL || ob->via != OBSERVE_REPLAY)
		return false;
	int64_t t = ob->at_ms;
	switch (key) {
	case '[': t -= OBSERVE_STEP_MS; break;
	case ']': t += OBSERVE_STEP_MS; break;
	case '{':
	case '}':
		if (!observe_event_near(ob, key == '{' ? -1 : 1, &t)) {
			snprintf(msg, cap, "no %s timeline event", key == '{' ? "earlier" : "later");
			return true;
		}
		break;
	default: return false;
	}
	observe_seek(ob, t);
	ob->held_ms = uv_now(ob->app->loop);
	return true;
}

bool observe_replaying(const struct observe *ob)
{
	return ob != NULL && ob->via == OBSERVE_REPLAY;
}

/* Whether member key of o, sanitized as the observer's models hold it, is s. */
static bool observe_member_is(const cJSON *o, const char *key, const char *s)
{
	char *v = kindjson_str(o, key, ""); /* ours to free */
	bool same = strcmp(v, s) == 0;
	free(v);
	return same;
}

/* Whether pane object p's timeline entries hold one at `when` (RFC 3339,
 * whole seconds, as the kind writes them) of this type and subject. */
static bool observe_pane_has_entry(const cJSON *p, const char *when, const char *type, const char *subject)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, kindjson_array(kindjson_object(p, "data"), "entries"))
	{
		if (observe_member_is(e, "time", when) && observe_member_is(e, "type", type) &&
		    observe_member_is(e, "subject", subject))
			return true;
	}
	return false;
}

/* The first moment from time_ms on at which the recording's pane `pane`
 * showed the row: a timeline pane publishes its rows at its next refresh,
 * after the event, and a row's time has whole seconds. -1 when no record
 * within a minute shows it. */
static int64_t observe_row_shown(const struct observe *ob, int pane, int64_t time_ms, const char *type,
                                 const char *subject)
{
	char when[32];
	util_rfc3339((time_t)(time_ms / 1000), when, sizeof(when));
	for (size_t i = 0; i < ob->nrecs; i++) {
		const struct observe_rec *r = &ob->recs[i];
		if (r->time_ms < time_ms || (r->type == STREAM_PANE && r->pane != pane) ||
		    (r->type != STREAM_PANE && r->type != STREAM_STATE))
			continue;
		if (r->time_ms > time_ms + 60000)
			break;
		struct stream_record rec;
		char e[200];
		if (stream_parse(ob->text + r->off, r->len, &rec, e, sizeof(e)) < 0)
			continue;
		bool found = false;
		if (r->type == STREAM_PANE) {
			found =
			    observe_pane_has_entry(kindjson_object(rec.root, "pane"), when, type, subject);
		} else {
			const cJSON *p;
			cJSON_ArrayForEach(p, kindjson_array(rec.root, "panes"))
			{
				if (kindjson_num(p, "index", -1) == pane)
					found = observe_pane_has_entry(p, when, type, subject);
			}
		}
		stream_record_clear(&rec);
		if (found)
			return r->time_ms;
	}
	return -1;
}

bool observe_jump(struct observe *ob, int pane, int64_t time_ms, const char *type, const char *subject,
                  char *msg, size_t cap)
{
	msg[0] = '\0';
	if (ob == NULL || ob->via != OBSERVE_REPLAY)
		return false;
	/* a row outside the recording (the driver's history from before it
	 * started recording) can only be reached as near as the recording goes */
	if (time_ms < ob->start_ms || time_ms > ob->end_ms) {
		snprintf(msg, cap, "that row is outside the recording: replay moved to its %s",
		         time_ms < ob->start_ms ? "start" : "end");
	} else {
		int64_t shown = observe_row_shown(ob, pane, time_ms, type, subject);
		if (shown >= 0)
			time_ms = shown;
	}
	observe_seek(ob, time_ms);
	ob->held_ms = uv_now(ob->app->loop);
	return true;
}

/* ---- the public face ---- */

struct observe *observe_open(struct app *app, const struct observe_target *t, char *err, size_t cap)
{
	struct observe *ob = xcalloc(1, sizeof(*ob));
	ob->app = app;
	ob->via = t->via;
	ob->fd = ob->ssh_in = -1;
	ob->export_dir = app->cfg.state_dir != NULL ? xstrdup(app->cfg.state_dir) : NULL;
	const char *ssh = getenv("SITREP_SSH");
	ob->ssh_cmd = xstrdup(t->ssh_command != NULL          ? t->ssh_command
	                      : ssh != NULL && ssh[0] != '\0' ? ssh
	                                                      : "ssh");
	ob->ssh_dest = t->ssh_dest != NULL ? xstrdup(t->ssh_dest) : NULL;
	if (t->path != NULL)
		ob->path = xstrdup(t->path);
	else if (t->via == OBSERVE_SOCKET)
		ob->path = share_default_path(app->cfg.state_dir);
	if (t->via == OBSERVE_REPLAY) {
		if (observe_load(ob, err, cap) < 0 || observe_setup(ob, ob->first.root, err, cap) < 0) {
			observe_free(ob);
			return NULL;
		}
		ob->at_ms = t->at_ms > 0 ? t->at_ms : t->at_ms < 0 ? ob->end_ms + t->at_ms : ob->start_ms;
		if (t->at_ms != 0 && (ob->at_ms < ob->start_ms || ob->at_ms > ob->end_ms)) {
			char a[32], b[32];
			util_rfc3339((time_t)(ob->start_ms / 1000), a, sizeof(a));
			util_rfc3339((time_t)(ob->end_ms / 1000), b, sizeof(b));
			observe_fail(err, cap, "--at is outside the recording (%s to %s)", a, b);
			observe_free(ob);
			return NULL;
		}
		free(app->cfg.state_dir);
		app->cfg.state_dir = NULL; /* nothing of the observer's own history is read or written */
		return ob;
	}
	/* attach: connect, hello, and the first whole state */
	if (observe_connect(ob, err, cap) < 0) {
		observe_free(ob);
		return NULL;
	}
	int64_t deadline = observe_wall_ms() + OBSERVE_FIRST_MS;
	char *buf = xmalloc(65536);
	while (ob->first.root == NULL && ob->gone[0] == '\0') {
		int left = (int)(deadline - observe_wall_ms());
		struct pollfd pfd = {.fd = ob->fd, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			observe_fail(err, cap, "no state from the driver within %d s",
			             OBSERVE_FIRST_MS / 1000);
			break;
		}
		ssize_t n = read(ob->fd, buf, 65536);
		char e[240] = "";
		if (n <= 0) {
			if (n == 0 && stream_reader_end(&ob->rd, e, sizeof(e)) < 0)
				observe_fail(err, cap, "broken stream: %s", e);
			else
				observe_fail(err, cap,
				             "the driver closed the stream before its first state%s",
				             ob->via == OBSERVE_SSH ? " (ssh said why above)" : "");
			break;
		}
		if (stream_reader_feed(&ob->rd, buf, (size_t)n, observe_first_line, ob, e, sizeof(e)) < 0 &&
		    ob->gone[0] == '\0')
			snprintf(ob->gone, sizeof(ob->gone), "broken stream: %s", e);
	}
	free(buf);
	if (ob->first.root == NULL && ob->gone[0] != '\0')
		observe_fail(err, cap, "%s", ob->gone);
	if (ob->first.root == NULL || observe_setup(ob, ob->first.root, err, cap) < 0) {
		observe_free(ob);
		return NULL;
	}
	free(app->cfg.state_dir);
	app->cfg.state_dir = NULL; /* nothing of the observer's own history is read or written */
	return ob;
}

void observe_start(struct observe *ob)
{
	struct app *app = ob->app;
	ob->started = true;
	uv_timer_init(app->loop, &ob->timer);
	ob->timer.data = ob;
	ob->timer_open = true;
	if (ob->via == OBSERVE_REPLAY) {
		observe_seek(ob, ob->at_ms);
		ob->held_ms = uv_now(app->loop);
		/* just before the status bar's second, which redraws the ages */
		uv_timer_start(&ob->timer, observe_on_timer, 500, 500);
		return;
	}
	observe_apply(ob, &ob->first, observe_wall_ms());
	ob->last_rx_wall = observe_wall_ms();
	ob->lag_ms = ob->first.time_ms > 0 ? ob->last_rx_wall - ob->first.time_ms : 0;
	for (size_t i = 0; i < ob->npending; i++) {
		observe_apply(ob, &ob->pending[i], observe_wall_ms());
		stream_record_clear(&ob->pending[i]);
	}
	ob->npending = 0;
	observe_read_fd(ob);
	uv_timer_start(&ob->timer, observe_on_timer, OBSERVE_RETRY_MS, OBSERVE_RETRY_MS);
}

void observe_stop(struct observe *ob)
{
	if (ob == NULL || ob->stopping)
		return;
	ob->stopping = true;
	if (ob->pipe_open && !uv_is_closing((uv_handle_t *)&ob->pipe))
		uv_close((uv_handle_t *)&ob->pipe, observe_on_pipe_close);
	if (ob->timer_open)
		uv_close((uv_handle_t *)&ob->timer, NULL);
	observe_reap(ob);
}

void observe_free(struct observe *ob)
{
	if (ob == NULL)
		return;
	if (ob->fd >= 0)
		close(ob->fd);
	observe_reap(ob);
	stream_record_clear(&ob->first);
	for (size_t i = 0; i < ob->npending; i++)
		stream_record_clear(&ob->pending[i]);
	free(ob->pending);
	stream_reader_clear(&ob->rd);
	free(ob->path);
	free(ob->ssh_dest);
	free(ob->ssh_cmd);
	free(ob->driver);
	free(ob->export_dir);
	free(ob->text);
	free(ob->recs);
	free(ob);
}

const char *observe_badge(const struct observe *ob, char *buf, size_t cap)
{
	if (ob->via == OBSERVE_REPLAY) {
		time_t t = (time_t)(ob->at_ms / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		char hms[16], off[24];
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		int64_t back = (ob->end_ms - ob->at_ms) / 1000;
		if (back <= 0)
			snprintf(off, sizeof(off), "end");
		else if (back < 60)
			snprintf(off, sizeof(off), "-%lld s", (long long)back);
		else
			snprintf(off, sizeof(off), "-%lld min", (long long)(back / 60));
		snprintf(buf, cap, "REPLAY %s (%s)", hms, off);
		return buf;
	}
	const char *who = ob->driver != NULL ? ob->driver : "?";
	if (ob->gone[0] != '\0' || !ob->connected) {
		snprintf(buf, cap, "WATCHING %s \u00b7 %s", who,
		         ob->gone[0] != '\0' ? ob->gone : "driver gone");
		return buf;
	}
	int64_t quiet = observe_wall_ms() - ob->last_rx_wall;
	if (quiet > OBSERVE_QUIET_MS)
		snprintf(buf, cap, "WATCHING %s \u00b7 no word for %lld s", who, (long long)(quiet / 1000));
	else
		snprintf(buf, cap, "WATCHING %s \u00b7 %.1f s behind", who,
		         (double)(ob->lag_ms > 0 ? ob->lag_ms : 0) / 1000.0);
	return buf;
}

int observe_export(struct observe *ob, char **path, char *msg, size_t cap)
{
	struct app *app = ob->app;
	/* the observer's own state dir, for this one file; the store (not the
	 * files) is what the timeline exports when it does not persist */
	app->cfg.state_dir = ob->export_dir;
	int rc = timeline_export(app->timeline, path, msg, cap);
	app->cfg.state_dir = NULL;
	return rc;
}

/* ---- the relay ssh runs ---- */

static int observe_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int observe_relay(const char *path)
{
	struct observe ob = {.via = OBSERVE_SOCKET, .fd = -1, .ssh_in = -1};
	char err[300], *def = NULL;
	if (path == NULL) {
		/* the driver's default without its config: the runtime dir, else
		 * the default state dir */
		const char *run = getenv("XDG_RUNTIME_DIR");
		const char *st = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		def = run != NULL && run[0] == '/' ? xasprintf("%s/sitrep/share.sock", run)
		      : st != NULL && st[0] == '/'
		          ? xasprintf("%s/sitrep/share.sock", st)
		          : xasprintf("%s/.local/state/sitrep/share.sock", home != NULL ? home : "");
	}
	ob.path = (char *)(path != NULL ? path : def);
	signal(SIGPIPE, SIG_IGN);
	if (observe_connect_socket(&ob, err, sizeof(err)) < 0) {
		fprintf(stderr, "sitrep attach --stdio: %s\n", err);
		free(def);
		return 1;
	}
	free(def);
	char buf[65536];
	bool in_open = true;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = ob.fd, .events = POLLIN},
		                        {.fd = 0, .events = in_open ? POLLIN : 0}};
		if (poll(pfd, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents != 0) {
			ssize_t n = read(ob.fd, buf, sizeof(buf));
			if (n <= 0 || observe_write_all(1, buf, (size_t)n) < 0)
				break;
		}
		if (in_open && pfd[1].revents != 0) {
			/* the observer's bytes go to the driver, which judges them */
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else if (observe_write_all(ob.fd, buf, (size_t)n) < 0)
				break;
		}
	}
	close(ob.fd);
	return 0;
}
