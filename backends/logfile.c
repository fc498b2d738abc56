/* logfile: the "file" log input. Follows one path, or every file matching a
 * glob pattern (such as /var/log/app/ followed by *.log), with core/io/tail.c. Files matching at start
 * are read from their tail; files that appear later are read from their start,
 * since everything in them is new. The glob is re-expanded once a second.
 *
 * At most max_files files are followed (default 64): when more match, the
 * newest (by modification time, then name) are chosen and the pane says how
 * many were left out; a followed file that no longer exists gives its slot
 * back. A large unread stretch (a file read from its start, a big tail, a
 * burst) is scanned on the thread pool by logscan while the loop stays free;
 * the tail resumes after the last line scanned. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/loginput.h"
#include "sitrep/io/tail.h"
#include "sitrep/core/util.h"

#define LOGFILE_MAX_FILES 64
#define LOGFILE_FILES_CAP 4096
#define LOGFILE_GLOB_MS   1000

struct logfile;

struct logfile_tail {
	struct logfile *lf;
	struct tail *tail;
	struct logscan *scan;          /* a backlog being read on the thread pool */
	int64_t scan_done, scan_total; /* its bytes read and to read, for the progress */
	unsigned label;
	char *error;
	bool ready;
	bool head_read; /* the file's head was looked at for W3C directives */
};

struct logfile {
	struct log_input *in;
	char *path;
	bool is_glob;
	bool from_start;
	double tail_bytes, tail_lines, poll_ms, max_files;
	struct logfile_tail **tails;
	size_t ntails;
	size_t matched; /* files the glob matched last time */
	uv_timer_t glob_timer;
	bool glob_timer_open;
	bool started_globbing; /* files found after the first expansion are new */
	int open_closes;
	bool stopping;
	bool adding; /* inside a glob expansion: readiness is judged after it */
};

static void logfile_update_state(struct logfile *lf)
{
	char *msg = NULL;
	for (size_t i = 0; i < lf->ntails; i++) {
		const char *e = lf->tails[i]->error;
		if (e == NULL)
			continue;
		char *next = msg == NULL ? xstrdup(e) : xasprintf("%s; %s", msg, e);
		free(msg);
		msg = next;
	}
	if (msg == NULL && lf->is_glob && lf->ntails == 0)
		msg = xasprintf("no file matches %s (waiting)", lf->path);
	/* a cut is said on the pane as a warning: what is followed is fresh */
	char *cap = NULL;
	if (lf->is_glob && lf->matched > lf->ntails && lf->ntails == (size_t)lf->max_files)
		cap = xasprintf("following %zu of %zu files; raise max_files", lf->ntails, lf->matched);
	loginput_warning(lf->in, cap);
	free(cap);
	loginput_error(lf->in, msg);
	free(msg);
	if (lf->adding)
		return;
	bool ready = true;
	for (size_t i = 0; i < lf->ntails; i++)
		ready = ready && lf->tails[i]->ready;
	if (ready)
		loginput_ready(lf->in);
}

/* A file followed from its end starts past its W3C "#Fields:" directive
 * (kinds/logs/logw3c.c): its head is read once, before its first line, as
 * tail.c reads (on the loop, one slice of LOGW3C_HEAD bytes). A file that is
 * no W3C log opens with no '#' and is left at that. */
static void logfile_read_head(struct logfile_tail *ft)
{
	ft->head_read = true;
	int fd = open(tail_path(ft->tail), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	char buf[LOGW3C_HEAD];
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? pread(fd, buf, sizeof(buf), 0) : -1;
	close(fd);
	if (n > 0)
		loginput_file_head(ft->lf->in, ft->label, buf, (size_t)n);
}

static void logfile_on_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct logfile_tail *ft = ctx;
	if (!ft->head_read)
		logfile_read_head(ft);
	loginput_line(ft->lf->in, ft->label, 0, -1, line, len, cut);
}

static void logfile_on_state(void *ctx, const char *error)
{
	struct logfile_tail *ft = ctx;
	free(ft->error);
	ft->error = error != NULL ? xstrdup(error) : NULL;
	logfile_update_state(ft->lf);
}

static void logfile_on_ready(void *ctx)
{
	struct logfile_tail *ft = ctx;
	ft->ready = true;
	logfile_update_state(ft->lf);
}

/* The scan is over (done, or cancelled): its progress leaves the pane. */
static void logfile_scan_over(struct logfile_tail *ft)
{
	if (ft->scan_total > 0)
		loginput_progress(ft->lf->in, -1, -ft->scan_done, -ft->scan_total);
	ft->scan_done = ft->scan_total = 0;
}

static void logfile_scan_done(void *ctx, struct logbatch *const *parts, size_t n, int64_t end)
{
	struct logfile_tail *ft = ctx;
	ft->scan = NULL;
	for (size_t i = 0; i < n; i++)
		loginput_merge(ft->lf->in, ft->label, parts[i]);
	logfile_scan_over(ft);
	tail_resume(ft->tail, end);
}

/* A part of the backlog in file order: its groups count now, while the rest
 * is read. */
static void logfile_scan_part(void *ctx, struct logbatch *part, int64_t bytes)
{
	struct logfile_tail *ft = ctx;
	if (part != NULL)
		loginput_merge(ft->lf->in, ft->label, part);
	if (bytes > 0) {
		ft->scan_done += bytes;
		loginput_progress(ft->lf->in, 0, bytes, 0);
	}
}

static bool logfile_on_backlog(void *ctx, int fd, int64_t from, int64_t to)
{
	struct logfile_tail *ft = ctx;
	struct logscan_params prm;
	loginput_scan_params(ft->lf->in, &prm);
	if (prm.lc == NULL || ft->lf->stopping)
		return false;
	ft->scan = logscan_start_parts(ft->lf->in->loop, &prm, fd, from, to, logfile_scan_done,
	                               logfile_scan_part, ft);
	if (ft->scan != NULL && to > from) {
		ft->scan_total = to - from;
		loginput_progress(ft->lf->in, 1, 0, ft->scan_total);
	}
	return ft->scan != NULL;
}

static const struct tail_callbacks logfile_callbacks = {
    .line = logfile_on_line,
    .state = logfile_on_state,
    .ready = logfile_on_ready,
    .backlog = logfile_on_backlog,
};

static void logfile_add(struct logfile *lf, const char *path, bool from_start)
{
	if (lf->ntails >= (size_t)lf->max_files)
		return;
	struct logfile_tail *ft = xcalloc(1, sizeof(*ft));
	ft->lf = lf;
	if (lf->is_glob) {
		const char *base = strrchr(path, '/');
		ft->label = loginput_label(lf->in, base != NULL ? base + 1 : path);
	} else {
		ft->label = lf->in->label;
	}
	struct tail_options o = {
	    .path = path,
	    .from_start = from_start,
	    .tail_bytes = (size_t)lf->tail_bytes,
	    .tail_lines = (size_t)lf->tail_lines,
	    .poll_ms = (unsigned)lf->poll_ms,
	};
	lf->tails = xrealloc(lf->tails, (lf->ntails + 1) * sizeof(*lf->tails));
	lf->tails[lf->ntails++] = ft;
	ft->tail = tail_new(lf->in->loop, &o, &logfile_callbacks, ft);
	tail_start(ft->tail);
}

static void logfile_tail_dropped(void *ctx)
{
	struct logfile_tail *ft = ctx;
	free(ft->error);
	free(ft);
}

/* A followed file that is gone from the glob and from the disk gives its slot
 * back (its last lines were read when the path changed). */
static void logfile_drop_gone(struct logfile *lf, char **paths, size_t n)
{
	for (size_t i = 0; i < lf->ntails;) {
		struct logfile_tail *ft = lf->tails[i];
		bool listed = false;
		for (size_t k = 0; k < n && !listed; k++)
			listed = strcmp(tail_path(ft->tail), paths[k]) == 0;
		struct stat st;
		if (listed || stat(tail_path(ft->tail), &st) == 0 || errno != ENOENT) {
			i++;
			continue;
		}
		logscan_cancel(ft->scan);
		ft->scan = NULL;
		logfile_scan_over(ft);
		memmove(&lf->tails[i], &lf->tails[i + 1], (lf->ntails - i - 1) * sizeof(*lf->tails));
		lf->ntails--;
		tail_close(ft->tail, logfile_tail_dropped);
	}
}

struct logfile_match {
	char *path;
	struct timespec mtime;
};

/* Newest first, then by name: which files fill the slots is deterministic. */
static int logfile_cmp_match(const void *a, const void *b)
{
	const struct logfile_match *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void logfile_glob(struct logfile *lf)
{
	glob_t g;
	lf->adding = true;
	int rc = glob(lf->path, GLOB_NOSORT, NULL, &g);
	size_t n = rc == 0 ? g.gl_pathc : 0;
	if (rc == 0 || rc == GLOB_NOMATCH)
		logfile_drop_gone(lf, rc == 0 ? g.gl_pathv : NULL, n);
	struct logfile_match *m = xcalloc(n + 1, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		m[i].path = g.gl_pathv[i];
		if (stat(m[i].path, &st) == 0)
			m[i].mtime = st.st_mtim;
	}
	qsort(m, n, sizeof(*m), logfile_cmp_match);
	lf->matched = n;
	for (size_t i = 0; i < n && lf->ntails < (size_t)lf->max_files; i++) {
		bool known = false;
		for (size_t k = 0; k < lf->ntails && !known; k++)
			known = strcmp(tail_path(lf->tails[k]->tail), m[i].path) == 0;
		if (!known)
			logfile_add(lf, m[i].path, lf->started_globbing || lf->from_start);
	}
	free(m);
	globfree(&g);
	lf->adding = false;
	lf->started_globbing = true;
	logfile_update_state(lf);
}

static void logfile_glob_cb(uv_timer_t *h)
{
	logfile_glob(h->data);
}

static int logfile_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct logfile *lf = xcalloc(1, sizeof(*lf));
	in->data = lf;
	lf->in = in;
	char *from = NULL;
	if (config_get_string(ctx, node, "path", true, NULL, &lf->path) < 0 ||
	    config_get_string(ctx, node, "from", false, "end", &from) < 0)
		return -1;
	bool bad_from = strcmp(from, "end") != 0 && strcmp(from, "start") != 0;
	lf->from_start = strcmp(from, "start") == 0;
	free(from);
	if (bad_from)
		return config_fail(ctx, jsonc_get(node, "from"), "expected \"end\" or \"start\"");
	if (config_get_number(ctx, node, "tail_bytes", false, 65536, 0, 1e12, &lf->tail_bytes) < 0 ||
	    config_get_number(ctx, node, "tail_lines", false, 0, 0, 1e7, &lf->tail_lines) < 0 ||
	    config_get_number(ctx, node, "poll_ms", false, 250, 20, 60000, &lf->poll_ms) < 0 ||
	    config_get_number(ctx, node, "max_files", false, LOGFILE_MAX_FILES, 1, LOGFILE_FILES_CAP,
	                      &lf->max_files) < 0)
		return -1;
	lf->is_glob = strpbrk(lf->path, "*?[") != NULL;
	if (in->name == NULL) {
		const char *base = strrchr(lf->path, '/');
		in->name = xstrdup(lf->is_glob ? lf->path : base != NULL ? base + 1 : lf->path);
	}
	return 0;
}

static int logfile_start(struct log_input *in)
{
	struct logfile *lf = in->data;
	if (!lf->is_glob) {
		logfile_add(lf, lf->path, lf->from_start);
		return 0;
	}
	uv_timer_init(in->loop, &lf->glob_timer);
	lf->glob_timer.data = lf;
	lf->glob_timer_open = true;
	logfile_glob(lf);
	uv_timer_start(&lf->glob_timer, logfile_glob_cb, LOGFILE_GLOB_MS, LOGFILE_GLOB_MS);
	return 0;
}

static void logfile_one_closed(struct logfile *lf)
{
	if (--lf->open_closes == 0)
		loginput_closed(lf->in);
}

static void logfile_tail_closed(void *ctx)
{
	struct logfile_tail *ft = ctx;
	ft->tail = NULL;
	logfile_one_closed(ft->lf);
}

static void logfile_timer_closed(uv_handle_t *h)
{
	struct logfile *lf = h->data;
	lf->glob_timer_open = false;
	logfile_one_closed(lf);
}

static void logfile_stop(struct log_input *in)
{
	struct logfile *lf = in->data;
	lf->stopping = true;
	/* One count held while closing so the last close reports exactly once. */
	lf->open_closes = 1;
	if (lf->glob_timer_open) {
		lf->open_closes++;
		uv_close((uv_handle_t *)&lf->glob_timer, logfile_timer_closed);
	}
	for (size_t i = 0; i < lf->ntails; i++) {
		logscan_cancel(lf->tails[i]->scan);
		lf->tails[i]->scan = NULL;
		logfile_scan_over(lf->tails[i]);
	}
	for (size_t i = 0; i < lf->ntails; i++)
		if (lf->tails[i]->tail != NULL) {
			lf->open_closes++;
			tail_close(lf->tails[i]->tail, logfile_tail_closed);
		}
	logfile_one_closed(lf);
}

static void logfile_destroy(struct log_input *in)
{
	struct logfile *lf = in->data;
	if (lf == NULL)
		return;
	for (size_t i = 0; i < lf->ntails; i++) {
		free(lf->tails[i]->error);
		free(lf->tails[i]);
	}
	free(lf->tails);
	free(lf->path);
	free(lf);
	in->data = NULL;
}

const struct log_input_ops loginput_file = {
    .type = "file",
    .init = logfile_init,
    .start = logfile_start,
    .stop = logfile_stop,
    .destroy = logfile_destroy,
};
