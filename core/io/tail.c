/* tail: one followed path. See tail.h for what it survives.
 *
 * State: an open fd with its device and inode and the offset read so far. Every
 * poll tick stats the path: another inode means the file was rotated or
 * recreated, so the old fd is drained to its end (lines written just before
 * the rename are not lost) and the new file is read from its start; a size
 * below the offset means it was truncated in place (copytruncate), so reading
 * restarts at 0. uv_fs_event on the open file only makes growth visible sooner;
 * the timer alone is enough where inotify does not work (NFS, overlay quirks).
 * A large unread stretch that starts at a line boundary may be handed to the
 * owner's backlog hook (read on the thread pool); the tail pauses until
 * tail_resume gives the offset after the last line read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/io/linebuf.h"
#include "sitrep/io/tail.h"
#include "sitrep/core/util.h"

/* What one loop pass may read before yielding to other events (keys): at
 * most TAIL_SLICE bytes, and no more chunks once TAIL_SLICE_NS have gone. */
#define TAIL_SLICE    (1u * 1024 * 1024)
#define TAIL_SLICE_NS (1u * 1000 * 1000)
#define TAIL_CHUNK    (64u * 1024)
/* Scanning backwards for tail_lines stops after this much. */
#define TAIL_LINES_SCAN_MAX (64u * 1024 * 1024)

struct tail {
	uv_loop_t *loop;
	struct tail_options opt;
	struct tail_callbacks cb;
	void *ctx;
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	off_t offset;
	bool first_open; /* the next open is the first: position at the tail */
	bool ready_sent;
	bool closing;
	bool event_active;
	bool check_due; /* the file changed: stat it on the next pass */
	bool paused;    /* the owner reads a backlog */
	char *error;
	struct linebuf lb;
	uv_timer_t poll; /* stat check */
	/* Continues a read that hit the slice on the next loop pass. An idle
	 * handle, not a 0 ms timer: libuv 1.44 runs a timer re-armed from its own
	 * callback again in the same pass, which starved key input. */
	uv_idle_t more;
	uv_fs_event_t event;
	int open_handles;
	void (*closed)(void *ctx);
};

static void tail_check(struct tail *t);

/* One read buffer for every tail: they all run on the loop thread and a read
 * never outlives its call (linebuf copies what it keeps). A buffer per tail
 * cost up to TAIL_CHUNK of private memory per followed file. Allocated with
 * the first tail, freed with the last. */
static char *tail_buf;
static size_t tail_buf_users;

const char *tail_path(const struct tail *t)
{
	return t->path;
}

static void tail_set_error(struct tail *t, const char *err)
{
	if (util_str_same(err, t->error))
		return;
	free(t->error);
	t->error = err != NULL ? xstrdup(err) : NULL;
	if (t->cb.state != NULL)
		t->cb.state(t->ctx, err);
}

static void tail_ready(struct tail *t)
{
	if (t->ready_sent)
		return;
	t->ready_sent = true;
	if (t->cb.ready != NULL)
		t->cb.ready(t->ctx);
}

static void tail_on_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct tail *t = ctx;
	t->cb.line(t->ctx, line, len, cut);
}

/* Reads from the offset; returns true when it reached the end of the file. */
static bool tail_read(struct tail *t, size_t budget)
{
	size_t done = 0;
	uint64_t start = uv_hrtime();
	while (done < budget && uv_hrtime() - start < TAIL_SLICE_NS) {
		ssize_t n = pread(t->fd, tail_buf, TAIL_CHUNK, t->offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			char msg[600];
			snprintf(msg, sizeof(msg), "%s: read: %s", t->path, strerror(errno));
			tail_set_error(t, msg);
			return true;
		}
		if (n == 0)
			return true;
		t->offset += n;
		done += (size_t)n;
		linebuf_feed(&t->lb, tail_buf, (size_t)n, tail_on_line, t);
	}
	return false;
}

static void tail_more_cb(uv_idle_t *h);

/* Reads what is there now, a slice per loop pass. */
static void tail_pump(struct tail *t)
{
	if (t->fd < 0 || t->closing || t->paused)
		return;
	if (t->cb.backlog != NULL && t->lb.len == 0 && !t->lb.discarding) {
		struct stat st;
		if (fstat(t->fd, &st) == 0 && st.st_size - t->offset >= TAIL_BACKLOG_MIN &&
		    t->cb.backlog(t->ctx, t->fd, (int64_t)t->offset, (int64_t)st.st_size)) {
			t->paused = true;
			uv_idle_stop(&t->more);
			return;
		}
	}
	if (tail_read(t, TAIL_SLICE)) {
		uv_idle_stop(&t->more);
		tail_ready(t);
	} else if (!uv_is_active((uv_handle_t *)&t->more)) {
		uv_idle_start(&t->more, tail_more_cb);
	}
}

static void tail_more_cb(uv_idle_t *h)
{
	struct tail *t = h->data;
	uv_idle_stop(h);
	if (t->check_due) {
		t->check_due = false;
		tail_check(t);
	} else {
		tail_pump(t);
	}
}

/* Only marks: a writer at 100 MB/s sends hundreds of events a pass, and a
 * read per event would keep the loop from keys until the file is caught up.
 * The check (a full one, not just a read: truncation shows up here first)
 * runs once on the next pass. */
static void tail_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct tail *t = h->data;
	t->check_due = true;
	if (!uv_is_active((uv_handle_t *)&t->more))
		uv_idle_start(&t->more, tail_more_cb);
}

static void tail_watch(struct tail *t)
{
	if (t->event_active) {
		uv_fs_event_stop(&t->event);
		t->event_active = false;
	}
	/* Failure is fine: the poll timer still sees everything, only later. */
	if (uv_fs_event_start(&t->event, tail_event_cb, t->path, 0) == 0)
		t->event_active = true;
}

static void tail_close_fd(struct tail *t)
{
	if (t->fd >= 0) {
		/* The last line of a replaced file may lack its newline. */
		linebuf_flush(&t->lb, tail_on_line, t);
		close(t->fd);
		t->fd = -1;
	}
	if (t->event_active) {
		uv_fs_event_stop(&t->event);
		t->event_active = false;
	}
}

/* Where reading starts in a file met at start: just after a newline. */
static off_t tail_start_offset(struct tail *t, off_t size)
{
	if (t->opt.from_start || size == 0)
		return 0;
	if (t->opt.tail_lines > 0) {
		/* Backwards until tail_lines newlines (the final one not counting). */
		size_t want = t->opt.tail_lines + 1, seen = 0;
		off_t pos = size;
		while (pos > 0 && size - pos < (off_t)TAIL_LINES_SCAN_MAX) {
			size_t n = pos > (off_t)TAIL_CHUNK ? TAIL_CHUNK : (size_t)pos;
			pos -= (off_t)n;
			ssize_t got = pread(t->fd, tail_buf, n, pos);
			if (got != (ssize_t)n)
				return size;
			for (size_t i = n; i-- > 0;) {
				if (tail_buf[i] == '\n' && (pos + (off_t)i != size - 1) && ++seen == want - 1)
					return pos + (off_t)i + 1;
			}
		}
		return pos;
	}
	size_t bytes = t->opt.tail_bytes > 0 ? t->opt.tail_bytes : TAIL_DEFAULT_BYTES;
	if (size <= (off_t)bytes)
		return 0;
	off_t pos = size - (off_t)bytes;
	/* Skip the partial line we landed in (unless we landed right after a newline). */
	char c;
	if (pread(t->fd, &c, 1, pos - 1) == 1 && c == '\n')
		return pos;
	while (pos < size) {
		size_t n = size - pos > (off_t)TAIL_CHUNK ? TAIL_CHUNK : (size_t)(size - pos);
		ssize_t got = pread(t->fd, tail_buf, n, pos);
		if (got <= 0)
			return size;
		char *nl = memchr(tail_buf, '\n', (size_t)got);
		if (nl != NULL)
			return pos + (nl - tail_buf) + 1;
		pos += got;
	}
	return size;
}

/* Opens the path; false (with the error set) when it cannot. */
static bool tail_open(struct tail *t)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(t->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char msg[600];
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", t->path, strerror(errno));
		tail_set_error(t, msg);
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "%s: not a regular file", t->path);
		tail_set_error(t, msg);
		close(fd);
		return false;
	}
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	linebuf_reset(&t->lb);
	t->offset = t->first_open ? tail_start_offset(t, st.st_size) : 0;
	t->first_open = false;
	tail_set_error(t, NULL);
	tail_watch(t);
	return true;
}

void tail_resume(struct tail *t, int64_t end)
{
	if (!t->paused || t->closing)
		return;
	t->paused = false;
	t->offset = (off_t)end;
	/* A full check: the file may have been truncated or replaced meanwhile. */
	tail_check(t);
}

static void tail_check(struct tail *t)
{
	if (t->closing || t->paused)
		return;
	struct stat st;
	int rc = stat(t->path, &st);
	int stat_errno = rc == 0 ? 0 : errno;
	if (t->fd >= 0) {
		if (rc == 0 && st.st_dev == t->dev && st.st_ino == t->ino) {
			/* the same inode: the path's stat is the open file's */
			if (st.st_size < t->offset) {
				/* Truncated in place: start over. */
				linebuf_reset(&t->lb);
				t->offset = 0;
			} else if (st.st_size == t->offset && !uv_is_active((uv_handle_t *)&t->more)) {
				/* Nothing new: no read (an idle poll of many files is one
				 * stat each) */
				tail_ready(t);
				return;
			}
			tail_pump(t);
			return;
		}
		/* Renamed away, deleted or replaced: finish the old file first. */
		while (!tail_read(t, TAIL_SLICE))
			;
		if (rc != 0) {
			/* Nothing at the path yet: keep the old fd, the writer may still
			 * be using it until it reopens (logrotate without create). */
			return;
		}
		tail_close_fd(t);
	}
	if (rc != 0 && stat_errno == ENOENT && t->fd < 0) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s: No such file or directory (waiting for it)", t->path);
		tail_set_error(t, msg);
		/* A file that does not exist yet has an empty tail: it is ready. */
		t->first_open = false;
		tail_ready(t);
		return;
	}
	if (tail_open(t))
		tail_pump(t);
	else
		tail_ready(t);
}

static void tail_poll_cb(uv_timer_t *h)
{
	tail_check(h->data);
}

struct tail *tail_new(uv_loop_t *loop, const struct tail_options *opt, const struct tail_callbacks *cb,
                      void *ctx)
{
	struct tail *t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->opt = *opt;
	t->path = xstrdup(opt->path);
	t->opt.path = t->path;
	t->cb = *cb;
	t->ctx = ctx;
	t->fd = -1;
	t->first_open = true;
	if (tail_buf_users++ == 0)
		tail_buf = xmalloc(TAIL_CHUNK);
	linebuf_init(&t->lb, opt->max_line);
	uv_timer_init(loop, &t->poll);
	uv_idle_init(loop, &t->more);
	uv_fs_event_init(loop, &t->event);
	t->poll.data = t->more.data = t->event.data = t;
	t->open_handles = 3;
	return t;
}

int tail_start(struct tail *t)
{
	unsigned ms = t->opt.poll_ms > 0 ? t->opt.poll_ms : 250;
	tail_check(t);
	uv_timer_start(&t->poll, tail_poll_cb, ms, ms);
	return 0;
}

static void tail_handle_closed(uv_handle_t *h)
{
	struct tail *t = h->data;
	if (--t->open_handles > 0)
		return;
	if (t->closed != NULL)
		t->closed(t->ctx);
	linebuf_free(&t->lb);
	if (--tail_buf_users == 0) {
		free(tail_buf);
		tail_buf = NULL;
	}
	free(t->error);
	free(t->path);
	free(t);
}

void tail_close(struct tail *t, void (*closed)(void *ctx))
{
	if (t->closing)
		return;
	t->closing = true;
	t->closed = closed;
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	uv_close((uv_handle_t *)&t->poll, tail_handle_closed);
	uv_close((uv_handle_t *)&t->more, tail_handle_closed);
	uv_close((uv_handle_t *)&t->event, tail_handle_closed);
}
