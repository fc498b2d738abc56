/* share: the driver's end of the share stream (see share.h). One record per
 * pane publish (coalesced within a loop pass: a pane that published twice
 * before the loop slept goes out once, with its newest data), per event and
 * per second (heartbeat). A record is serialized once into a reference
 * counted buffer; each observer's writes point at it, so a hundred
 * observers cost one serialization and a hundred small write requests. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/core/app.h"
#include "sitrep/core/recording.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/share.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/stream.h"
#include "sitrep/core/util.h"

/* A serialized record shared by every write that sends it. */
struct share_buf {
	int refs;
	size_t len;
	char data[];
};

struct share_obs {
	uv_pipe_t pipe; /* data = this */
	struct share *sh;
	struct share_obs *next;
	char hello[STREAM_HELLO_MAX];
	size_t hello_len;
	bool greeted; /* hello received: records flow */
	bool closing;
	bool skipping;        /* the queue was full: waiting to send a fresh state */
	uint64_t dropped;     /* records skipped meanwhile */
	size_t queued;        /* bytes handed to uv_write, not yet written */
	uint64_t since_ms;    /* connected at (uv_now) */
	uint64_t stuck_since; /* first tick with unread bytes and no progress, 0: none */
	int last_outq;
};

struct share_write {
	uv_write_t req;
	struct share_buf *buf;
	struct share_obs *obs;
};

struct share {
	struct app *app;
	uv_pipe_t server;
	uv_timer_t beat;
	uv_prepare_t flush;
	int open_handles;
	bool listening, closing;
	char *path;     /* the socket, as shown */
	char *bind_dir; /* its dir */
	struct share_obs *obs;
	int nobs, watching;
	uint64_t seq;
	bool *dirty; /* per pane: published since the last flush */
	bool any_dirty;
	struct recording *rec;
	uint64_t last_state_ms; /* the recording's last full state */
};

/* How often the recording gets a whole state (so a replay can seek). */
#define SHARE_RECORD_STATE_MS 60000

static int64_t share_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct share_buf *share_buf_of(const cJSON *record)
{
	size_t len;
	char *line = stream_line(record, &len);
	if (line == NULL)
		return NULL;
	struct share_buf *b = xmalloc(sizeof(*b) + len);
	b->refs = 1;
	b->len = len;
	memcpy(b->data, line, len);
	free(line);
	return b;
}

static void share_buf_unref(struct share_buf *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

/* ---- observers ---- */

static void share_obs_send(struct share_obs *o, struct share_buf *b);
static void share_obs_queue(struct share_obs *o, struct share_buf *b);

static void share_on_obs_close(uv_handle_t *h)
{
	struct share_obs *o = h->data;
	struct share *sh = o->sh;
	struct share_obs **pp = &sh->obs;
	while (*pp != NULL && *pp != o)
		pp = &(*pp)->next;
	if (*pp == o)
		*pp = o->next;
	sh->nobs--;
	free(o);
	if (--sh->open_handles == 0 && sh->closing)
		free(sh);
}

static void share_obs_drop(struct share_obs *o)
{
	if (o->closing)
		return;
	o->closing = true;
	if (o->greeted)
		o->sh->watching--;
	uv_close((uv_handle_t *)&o->pipe, share_on_obs_close);
}

/* A full state for one observer (on hello, after a skip). */
static void share_obs_state(struct share_obs *o)
{
	struct share *sh = o->sh;
	cJSON *st = stream_state(sh->app, ++sh->seq, share_wall_ms(), sh->watching);
	struct share_buf *b = share_buf_of(st);
	cJSON_Delete(st);
	if (b == NULL) {
		share_obs_drop(o);
		return;
	}
	share_obs_queue(o, b);
	share_buf_unref(b);
}

static void share_on_written(uv_write_t *req, int status)
{
	struct share_write *w = (struct share_write *)req;
	struct share_obs *o = w->obs;
	o->queued -= w->buf->len;
	share_buf_unref(w->buf);
	free(w);
	if (status < 0) {
		share_obs_drop(o);
		return;
	}
	if (o->skipping && o->queued == 0 && !o->closing) {
		/* caught up: say what was missed, then where things are now */
		o->skipping = false;
		cJSON *r = stream_envelope(STREAM_SKIPPED, ++o->sh->seq, share_wall_ms());
		cJSON_AddNumberToObject(r, "dropped", (double)o->dropped);
		struct share_buf *b = share_buf_of(r);
		cJSON_Delete(r);
		o->dropped = 0;
		if (b != NULL)
			share_obs_queue(o, b);
		share_buf_unref(b);
		share_obs_state(o);
	}
}

/* Queues b for o whatever is queued already: the first state, and the
 * skipped record and state that end a skip (were they held to the cap, a
 * state larger than what the cap leaves would skip again, forever, and the
 * observer would never catch up). One state past the cap at most. */
static void share_obs_queue(struct share_obs *o, struct share_buf *b)
{
	if (o->closing || !o->greeted)
		return;
	struct share_write *w = xcalloc(1, sizeof(*w));
	w->buf = b;
	w->obs = o;
	b->refs++;
	o->queued += b->len;
	uv_buf_t ub = uv_buf_init(b->data, (unsigned)b->len);
	if (uv_write(&w->req, (uv_stream_t *)&o->pipe, &ub, 1, share_on_written) < 0) {
		o->queued -= b->len;
		share_buf_unref(b);
		free(w);
		share_obs_drop(o);
	}
}

/* Queues a live record for o, or starts a skip when the queue is full. */
static void share_obs_send(struct share_obs *o, struct share_buf *b)
{
	if (o->closing || !o->greeted)
		return;
	if (o->skipping || (o->queued > 0 && o->queued + b->len > SHARE_QUEUE_MAX)) {
		o->skipping = true;
		o->dropped++;
		return;
	}
	share_obs_queue(o, b);
}

static void share_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct share_obs *o = h->data;
	/* only the hello is ever read: no more room than it may take */
	size_t room = sizeof(o->hello) - o->hello_len;
	buf->base = o->hello + o->hello_len;
	buf->len = room > 0 ? room : 1;
	if (room == 0)
		buf->base = o->hello; /* overflow: the read callback drops it */
}

/* The hello: one line, a hello record of our version. */
static void share_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct share_obs *o = s->data;
	if (n == UV_EOF) {
		/* the observer closed its side: nothing more to read, records still go */
		uv_read_stop(s);
		return;
	}
	if (n < 0 || o->closing) {
		share_obs_drop(o);
		return;
	}
	if (n == 0)
		return;
	if (o->greeted || o->hello_len + (size_t)n > sizeof(o->hello) - 1) {
		/* anything after the hello, or a hello too long: gone */
		share_obs_drop(o);
		return;
	}
	o->hello_len += (size_t)n;
	char *nl = memchr(o->hello, '\n', o->hello_len);
	if (nl == NULL)
		return;
	if ((size_t)(nl - o->hello) + 1 != o->hello_len) {
		share_obs_drop(o); /* bytes after the hello's line */
		return;
	}
	struct stream_record rec;
	char err[200];
	int rc = stream_parse(o->hello, (size_t)(nl - o->hello), &rec, err, sizeof(err));
	bool ok = rc == 0 && rec.type == STREAM_HELLO;
	if (rc == 0)
		stream_record_clear(&rec);
	if (!ok) {
		share_obs_drop(o);
		return;
	}
	o->greeted = true;
	o->sh->watching++;
	share_obs_state(o);
}

static void share_on_connection(uv_stream_t *server, int status)
{
	struct share *sh = server->data;
	if (status < 0 || sh->closing)
		return;
	struct share_obs *o = xcalloc(1, sizeof(*o));
	o->sh = sh;
	uv_pipe_init(sh->app->loop, &o->pipe, 0);
	o->pipe.data = o;
	o->next = sh->obs;
	sh->obs = o;
	sh->nobs++;
	sh->open_handles++;
	o->since_ms = uv_now(sh->app->loop);
	if (uv_accept(server, (uv_stream_t *)&o->pipe) < 0 || sh->nobs > SHARE_OBSERVERS_MAX) {
		share_obs_drop(o);
		return;
	}
	uv_os_fd_t fd;
	if (uv_fileno((uv_handle_t *)&o->pipe, &fd) == 0) {
		int sz = SHARE_SNDBUF;
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	uv_read_start((uv_stream_t *)&o->pipe, share_alloc, share_on_read);
}

/* ---- publishing ---- */

/* One record to every observer and the recording; takes the record. */
static void share_publish(struct share *sh, cJSON *record, enum stream_type type)
{
	struct share_buf *b = share_buf_of(record);
	cJSON_Delete(record);
	if (b == NULL)
		return;
	for (struct share_obs *o = sh->obs; o != NULL; o = o->next)
		share_obs_send(o, b);
	if (sh->rec != NULL && type != STREAM_HEARTBEAT)
		recording_write(sh->rec, b->data, b->len);
	share_buf_unref(b);
}

static bool share_wanted(const struct share *sh)
{
	return sh->watching > 0 || sh->rec != NULL;
}

static void share_on_flush(uv_prepare_t *h)
{
	struct share *sh = h->data;
	if (!sh->any_dirty || sh->closing)
		return;
	sh->any_dirty = false;
	struct app *app = sh->app;
	for (size_t i = 0; i < app->nsources; i++) {
		if (!sh->dirty[i])
			continue;
		sh->dirty[i] = false;
		if (app->sources[i].cfg == NULL || app->sources[i].snap.kind == NULL || !share_wanted(sh))
			continue;
		cJSON *r = stream_envelope(STREAM_PANE, ++sh->seq, share_wall_ms());
		cJSON_AddItemToObject(r, "pane", stream_pane(app, &app->sources[i]));
		share_publish(sh, r, STREAM_PANE);
	}
}

static void share_on_event(const struct event *ev, void *arg)
{
	struct share *sh = arg;
	if (sh->closing)
		return;
	if (ev->type == EVENT_DATA_CHANGED) {
		if (ev->pane_index >= 0 && (size_t)ev->pane_index < sh->app->nsources) {
			sh->dirty[ev->pane_index] = true;
			sh->any_dirty = true;
		}
		return;
	}
	if (!share_wanted(sh))
		return;
	cJSON *r = stream_envelope(STREAM_EVENT, ++sh->seq, share_wall_ms());
	cJSON_AddItemToObject(r, "event", stream_event_json(ev));
	share_publish(sh, r, STREAM_EVENT);
}

/* Each second: a heartbeat (observers show their lag from it), the
 * recording's periodic state, and the observers that stopped reading or
 * never said hello are dropped. */
static void share_on_beat(uv_timer_t *t)
{
	struct share *sh = t->data;
	uint64_t now = uv_now(sh->app->loop);
	if (sh->rec != NULL &&
	    (now - sh->last_state_ms >= SHARE_RECORD_STATE_MS || recording_wants_state(sh->rec))) {
		sh->last_state_ms = now;
		cJSON *st = stream_state(sh->app, ++sh->seq, share_wall_ms(), sh->watching);
		share_publish(sh, st, STREAM_STATE);
	}
	if (sh->watching > 0) {
		cJSON *r = stream_envelope(STREAM_HEARTBEAT, ++sh->seq, share_wall_ms());
		cJSON_AddNumberToObject(r, "watching", sh->watching);
		share_publish(sh, r, STREAM_HEARTBEAT);
	}
	for (struct share_obs *o = sh->obs, *next; o != NULL; o = next) {
		next = o->next;
		if (o->closing)
			continue;
		if (!o->greeted) {
			if (now - o->since_ms > SHARE_HELLO_MS)
				share_obs_drop(o);
			continue;
		}
		/* unread bytes in the socket that never go down: not reading */
		int outq = 0;
		uv_os_fd_t fd;
		if (uv_fileno((uv_handle_t *)&o->pipe, &fd) == 0)
			ioctl(fd, SIOCOUTQ, &outq);
		if ((outq == 0 && o->queued == 0) || outq < o->last_outq)
			o->stuck_since = 0;
		else if (o->stuck_since == 0)
			o->stuck_since = now;
		o->last_outq = outq;
		if (o->stuck_since != 0 && now - o->stuck_since > SHARE_STALL_MS)
			share_obs_drop(o);
	}
}

/* ---- the socket ---- */

char *share_default_path(const char *state_dir)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	if (run != NULL && run[0] == '/')
		return xasprintf("%s/sitrep/share.sock", run);
	return xasprintf("%s/share.sock", state_dir != NULL ? state_dir : ".");
}

static int share_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int share_fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sanitize_vprintf(cap > 0 ? cap - 1 : 0, fmt, ap);
	va_end(ap);
	snprintf(err, cap, "%s", msg);
	free(msg);
	return -1;
}

/* Makes the socket: its dir by the state dir's rules (ours, a real dir,
 * nobody else can write it; 0710 and the group when one is named, so its
 * members can reach the socket and nothing else there), a stale socket of
 * ours replaced, a live one refused. The socket is created 0600 (umask)
 * and only then opened to the group. */
static int share_listen(struct share *sh, const struct share_options *opt, char *err, size_t cap)
{
	char *path = opt->path != NULL ? xstrdup(opt->path) : share_default_path(sh->app->cfg.state_dir);
	sh->path = path;
	char *slash = strrchr(path, '/');
	if (slash == NULL || slash[1] == '\0')
		return share_fail(err, cap, "share socket %s: not a path to a file", path);
	sh->bind_dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	const char *name = slash + 1;
	gid_t gid = (gid_t)-1;
	if (opt->group != NULL) {
		struct group *g = getgrnam(opt->group);
		if (g == NULL)
			return share_fail(err, cap, "share_group \"%s\": no such group", opt->group);
		gid = g->gr_gid;
	}
	char msg[STATEFILE_MSG_MAX];
	int dfd = statefile_dir(sh->bind_dir, true, msg, sizeof(msg));
	if (dfd < 0)
		return share_fail(err, cap, "share socket not made: %s", msg);
	if (gid != (gid_t)-1 && (fchown(dfd, (uid_t)-1, gid) < 0 || fchmod(dfd, 0710) < 0)) {
		int e = errno;
		close(dfd);
		return share_fail(err, cap, "share socket dir %s: cannot give it to group %s: %s",
		                  sh->bind_dir, opt->group, strerror(e));
	}
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
			close(dfd);
			return share_fail(err, cap,
			                  "share socket %s: there is %s there that is not a socket of yours",
			                  path, statefile_type_name(st.st_mode));
		}
		/* someone listening: another sitrep shares here */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			close(dfd);
			return share_fail(err, cap,
			                  "share socket %s: another sitrep is sharing there already", path);
		}
		unlinkat(dfd, name, 0);
	}
	/* bound through the checked dir's fd: the dir checked is the dir used */
	char bindpath[128];
	snprintf(bindpath, sizeof(bindpath), "/proc/self/fd/%d/%s", dfd, name);
	if (strlen(name) > 60) {
		close(dfd);
		return share_fail(err, cap, "share socket %s: the name is too long", path);
	}
	uv_pipe_init(sh->app->loop, &sh->server, 0);
	sh->server.data = sh;
	sh->open_handles++;
	sh->listening = true;
	mode_t old = umask(0177);
	int rc = uv_pipe_bind(&sh->server, bindpath);
	umask(old);
	if (rc == 0 && gid != (gid_t)-1 &&
	    (fchownat(dfd, name, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	     fchmodat(dfd, name, 0660, 0) < 0))
		rc = uv_translate_sys_error(errno);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&sh->server, 64, share_on_connection);
	close(dfd);
	if (rc < 0)
		return share_fail(err, cap, "share socket %s: %s", path, uv_strerror(rc));
	return 0;
}

static void share_on_close(uv_handle_t *h)
{
	struct share *sh = h->data;
	if (--sh->open_handles == 0)
		free(sh);
}

struct share *share_open(struct app *app, const struct share_options *opt, char *err, size_t cap)
{
	struct share *sh = xcalloc(1, sizeof(*sh));
	sh->app = app;
	sh->dirty = xcalloc(app->nsources + 1, sizeof(bool));
	uv_timer_init(app->loop, &sh->beat);
	uv_prepare_init(app->loop, &sh->flush);
	sh->beat.data = sh->flush.data = sh;
	sh->open_handles = 2;
	if (opt->socket && share_listen(sh, opt, err, cap) < 0) {
		share_close(sh);
		return NULL;
	}
	if (opt->record) {
		char msg[STATEFILE_MSG_MAX];
		sh->rec = recording_open(app->cfg.state_dir, msg, sizeof(msg));
		if (sh->rec == NULL)
			fprintf(stderr, "sitrep: the incident is not recorded: %s\n", msg);
	}
	if (event_subscribe(&app->bus, EVENT_ALL, share_on_event, sh) != 0) {
		snprintf(err, cap, "the share stream cannot follow the event bus");
		share_close(sh);
		return NULL;
	}
	uv_prepare_start(&sh->flush, share_on_flush);
	uv_unref((uv_handle_t *)&sh->flush);
	uv_timer_start(&sh->beat, share_on_beat, 1000, 1000);
	uv_unref((uv_handle_t *)&sh->beat);
	sh->last_state_ms = uv_now(app->loop) - SHARE_RECORD_STATE_MS; /* a state first */
	return sh;
}

void share_close(struct share *sh)
{
	if (sh == NULL || sh->closing)
		return;
	event_unsubscribe(&sh->app->bus, share_on_event, sh);
	/* the newest data goes out, then a bye: written now to every observer
	 * that has nothing queued (a close cancels queued writes, and quitting
	 * never waits for a slow observer) */
	share_on_flush(&sh->flush);
	cJSON *bye = stream_envelope(STREAM_BYE, ++sh->seq, share_wall_ms());
	cJSON_AddStringToObject(bye, "reason", "the driver quit");
	struct share_buf *b = share_buf_of(bye);
	cJSON_Delete(bye);
	sh->closing = true;
	if (b != NULL && sh->rec != NULL)
		recording_write(sh->rec, b->data, b->len);
	recording_close(sh->rec);
	sh->rec = NULL;
	free(sh->dirty);
	sh->dirty = NULL;
	for (struct share_obs *o = sh->obs; o != NULL; o = o->next) {
		if (o->closing)
			continue;
		if (b != NULL && o->greeted && o->queued == 0) {
			uv_buf_t ub = uv_buf_init(b->data, (unsigned)b->len);
			uv_try_write((uv_stream_t *)&o->pipe, &ub, 1);
		}
		o->closing = true;
		uv_close((uv_handle_t *)&o->pipe, share_on_obs_close);
	}
	share_buf_unref(b);
	if (sh->listening) {
		unlink(sh->path);
		uv_close((uv_handle_t *)&sh->server, share_on_close);
	}
	free(sh->path);
	free(sh->bind_dir);
	sh->path = sh->bind_dir = NULL;
	uv_close((uv_handle_t *)&sh->beat, share_on_close);
	uv_close((uv_handle_t *)&sh->flush, share_on_close);
}

int share_watching(const struct share *sh)
{
	return sh != NULL ? sh->watching : 0;
}

const char *share_socket_path(const struct share *sh)
{
	return sh != NULL && sh->listening ? sh->path : NULL;
}

/* ---- sitrep serve ---- */

static void *share_headless_start(struct app *app)
{
	return app; /* nothing to set up: the stream is the only output */
}

static void share_headless_stop(void *ui)
{
	(void)ui;
}

const struct app_frontend share_headless = {
    .start = share_headless_start,
    .stop = share_headless_stop,
};
