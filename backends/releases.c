/* releases: the "deploys" pane of a Capistrano or Deployer layout:
 * PATH/releases/<id>/ directories and a PATH/current symlink to one of them.
 * A release's time comes from its name (Capistrano's UTC timestamps), its
 * REVISION_TIME file or Deployer's .dep/releases_log, and only as a last
 * resort from the directory's mtime; the order is the names' natural order,
 * never mtime alone. REVISION gives the commit, Capistrano's revisions.log
 * and Deployer's releases_log the author and branch; a BAD_RELEASE file
 * marks a release that rollback will not pick.
 *
 * Actions, through the gate: restart runs the configured argv (one-shot,
 * no shell, killed at its timeout); rollback swaps `current` atomically (a
 * symlink under a temporary name renamed over it), runs the restart argv,
 * then reads `current` back. prepare() builds exactly that and says so; act()
 * does it and reports only what it verified.
 *
 * The scan reads a handful of small local files on the loop: a deploy root
 * on a hung network filesystem would stall it, as it would stall the deploy. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/deploys-common.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/kind.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* Releases kept in the model: Capistrano keeps 5 by default, Deployer 10. */
#define RELEASES_MAX 200
/* Logs read from their end at most this much. */
#define RELEASES_LOG_MAX (1024 * 1024)
/* A file inside a release is a line or two: a commit, a time, why it is bad. */
#define RELEASES_FILE_MAX 4096

struct releases_run;

struct releases_source {
	struct source *src;
	char *path;                    /* the deploy root */
	char **restart;                /* argv, NULL: none configured */
	unsigned restart_ms;           /* its timeout */
	struct deploys_health *health; /* checked after a restart or rollback, NULL: none */
	struct releases_run *run;      /* the action in flight */
};

/* A release directory's identity (releases_dir_ident). */
struct releases_ident {
	uint64_t dev, ino;
	int64_t sec; /* birth (else change) time */
	uint32_t nsec;
};

enum releases_op { RELEASES_RESTART, RELEASES_ROLLBACK };

/* What an action will do, built by prepare, done by act. */
struct releases_request {
	enum releases_op op;
	char *to;      /* rollback: the release id */
	char *from;    /* rollback: the current id when prepared */
	char *link;    /* rollback: the new symlink's text */
	char *current; /* PATH/current */
	char *tmp;     /* PATH/.current.sitrep-PID (the symlink renamed over current) */
	char **argv;   /* restart argv (copied), NULL: none */
	unsigned timeout_ms;
	struct releases_ident to_ident; /* rollback: the directory the dialog showed, re-checked by act */
};

struct releases_run {
	struct releases_source *rs;
	struct action *action;
	struct run *run;
	struct deploys_health_run *health; /* the health check in progress */
	char swapped[300];                 /* what the swap did, for the outcome */
	char *done;                        /* the verified outcome, waiting for the health check */
};

static void releases_request_free(void *p)
{
	struct releases_request *r = p;
	if (r == NULL)
		return;
	free(r->to);
	free(r->from);
	free(r->link);
	free(r->current);
	free(r->tmp);
	config_free_argv(r->argv);
	free(r);
}

static int releases_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct releases_source *rs = xcalloc(1, sizeof(*rs));
	src->data = rs;
	rs->src = src;
	double timeout = 120;
	if (config_get_string(ctx, node, "path", true, NULL, &rs->path) != 0 ||
	    config_get_argv(ctx, node, "restart", false, &rs->restart) != 0 ||
	    config_get_number(ctx, node, "restart_timeout_seconds", false, 120, 1, 3600, &timeout) != 0 ||
	    deploys_health_init(ctx, node, &rs->health) != 0)
		return -1;
	if (rs->path[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "path"),
		                   "expected the deploy root (the directory with releases/ and current)");
	if (rs->restart != NULL && rs->restart[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "restart"), "expected a non-empty argv");
	size_t len = strlen(rs->path);
	while (len > 1 && rs->path[len - 1] == '/')
		rs->path[--len] = '\0';
	rs->restart_ms = (unsigned)(timeout * 1000);
	return 0;
}

/* What one read of the layout found beside the list of releases. */
struct releases_layout {
	char *link;     /* current's text, NULL when current is no symlink */
	char *rel_real; /* the releases directory, resolved */
	char *outside;  /* "current points outside releases: ..." (rollback refuses), NULL */
	char *warning;  /* that, or a file at the root not read; NULL none */
};

static void releases_layout_clear(struct releases_layout *lay)
{
	free(lay->link);
	free(lay->rel_real);
	free(lay->outside);
	free(lay->warning);
	memset(lay, 0, sizeof(*lay));
}

static void releases_warn(struct releases_layout *lay, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a sentence to the layout's warning. */
static void releases_warn(struct releases_layout *lay, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *next = lay->warning != NULL ? xasprintf("%s; %s", lay->warning, msg) : xstrdup(msg);
	free(lay->warning);
	free(msg);
	lay->warning = next;
}

static const char *releases_mode_name(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

/* Text: UTF-8 without NUL or control characters other than tab and line ends. */
static bool releases_text_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		/* the length of a sequence by its lead byte; 0: no lead byte */
		size_t k = c >= 0xc2 && c <= 0xdf   ? 1
		           : c >= 0xe0 && c <= 0xef ? 2
		           : c >= 0xf0 && c <= 0xf4 ? 3
		                                    : 0;
		if (k == 0)
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return false;
		/* no overlong forms, surrogates or code points past U+10FFFF */
		if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0) ||
		    (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] >= 0x90))
			return false;
		i += k + 1;
	}
	return true;
}

/* A small text file in the directory dir (an fd), never through a symlink,
 * never a FIFO or device, never large or binary: 1 with *text (the caller
 * frees), 0 when there is none, -1 when one is there but was not read, the
 * reason in note ("BAD_RELEASE is a symlink: not read"). */
static int releases_file(int dir, const char *name, char **text, char *note, size_t cap)
{
	*text = NULL;
	struct stat st, fst;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(note, cap, "%s: %s: not read", name, strerror(errno));
		return -1;
	}
	/* checked before the open: a FIFO or a device is never opened at all */
	if (!S_ISREG(st.st_mode)) {
		snprintf(note, cap, "%s is %s: not read", name, releases_mode_name(st.st_mode));
		return -1;
	}
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(note, cap, "%s %s: not read", name,
		         errno == ELOOP ? "is a symlink" : strerror(errno));
		return -1;
	}
	/* and what was opened is still that regular file */
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_ino != st.st_ino ||
	    fst.st_dev != st.st_dev) {
		close(fd);
		snprintf(note, cap, "%s changed while it was read: not read", name);
		return -1;
	}
	char *buf = xmalloc(RELEASES_FILE_MAX + 2);
	size_t n = 0;
	while (n <= RELEASES_FILE_MAX) {
		ssize_t r = read(fd, buf + n, RELEASES_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > RELEASES_FILE_MAX) {
		free(buf);
		snprintf(note, cap, "%s is larger than %d bytes: not read", name, RELEASES_FILE_MAX);
		return -1;
	}
	if (!releases_text_ok((const unsigned char *)buf, n)) {
		free(buf);
		snprintf(note, cap, "%s is not text: not read", name);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	return 1;
}

static bool releases_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* What identifies release id: its directory in releases/ itself, never
 * through a symlink: device, inode and birth time (the inode number of a
 * directory removed and made again comes back at once; where the
 * filesystem keeps no birth time, the change time stands in, so any change
 * counts). 0, or -1 with errno (ELOOP: it is a symlink). */
static int releases_dir_ident(const char *root, const char *id, struct releases_ident *out)
{
	char *p = xasprintf("%s/releases/%s", root, id);
	struct statx sx;
	int rc = statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
	               STATX_TYPE | STATX_INO | STATX_BTIME | STATX_CTIME, &sx);
	free(p);
	if (rc != 0)
		return -1;
	if (!S_ISDIR(sx.stx_mode)) {
		errno = S_ISLNK(sx.stx_mode) ? ELOOP : ENOTDIR;
		return -1;
	}
	bool born = (sx.stx_mask & STATX_BTIME) != 0;
	*out = (struct releases_ident){
	    .dev = ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor,
	    .ino = sx.stx_ino,
	    .sec = born ? sx.stx_btime.tv_sec : sx.stx_ctime.tv_sec,
	    .nsec = born ? sx.stx_btime.tv_nsec : sx.stx_ctime.tv_nsec,
	};
	return 0;
}

static bool releases_ident_same(const struct releases_ident *a, const struct releases_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->sec == b->sec && a->nsec == b->nsec;
}

/* A log at the deploy root (dir), read from its end, never through a
 * symlink; a log that is there but not a regular file is a warning. */
static void releases_read_log(struct deploys_data *d, struct releases_layout *lay, int dir, const char *shown,
                              const char *name, bool json)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			releases_warn(lay, "%s %s: not read", shown,
			              errno == ELOOP ? "is a symlink" : strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		releases_warn(lay, "%s is %s: not read", shown, releases_mode_name(st.st_mode));
		close(fd);
		return;
	}
	/* the end of a long log: its newest lines name the releases still there */
	off_t from = st.st_size > RELEASES_LOG_MAX ? st.st_size - RELEASES_LOG_MAX : 0;
	size_t want = (size_t)(st.st_size - from);
	char *buf = xmalloc(want + 1);
	ssize_t got = pread(fd, buf, want, from);
	close(fd);
	if (got > 0) {
		if (json)
			deploys_parse_releases_log(d, buf, (size_t)got);
		else
			deploys_parse_revisions_log(d, buf, (size_t)got);
	}
	free(buf);
}

/* Where current leads: the release it names (a new string) when it
 * resolves (relative or absolute, through "..", through chains of
 * symlinks) to an entry of the releases directory, else NULL with
 * lay->outside saying where it points instead. No symlink: NULL. */
static char *releases_current(const char *root, int rootfd, struct releases_layout *lay)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(rootfd, "current", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	lay->link = xstrdup(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	char *abs = buf[0] == '/' ? xstrdup(buf) : xasprintf("%s/%s", root, buf);
	char *id = NULL, *parent = NULL, *resolved = realpath(abs, NULL);
	const char *trouble = NULL;
	if (resolved != NULL) {
		char *slash = strrchr(resolved, '/');
		parent = xstrndup(resolved, slash != NULL ? (size_t)(slash - resolved) : 0);
		id = xstrdup(slash != NULL ? slash + 1 : resolved);
	} else if (errno == ENOENT) {
		/* a release that is gone: its directory must still be releases/ */
		char *slash = strrchr(abs, '/');
		char *dir = xstrndup(abs, (size_t)(slash - abs));
		parent = realpath(dir[0] != '\0' ? dir : "/", NULL);
		id = xstrdup(slash + 1);
		free(dir);
		if (parent == NULL) {
			trouble = "which does not resolve";
		} else if (lay->rel_real != NULL && strcmp(parent, lay->rel_real) == 0) {
			/* a dangling symlink in releases/ leads elsewhere, not to a release */
			struct stat st;
			char *in = xasprintf("releases/%s", id);
			if (fstatat(rootfd, in, &st, AT_SYMLINK_NOFOLLOW) == 0)
				trouble = "which does not resolve";
			free(in);
		}
	} else {
		trouble = strerror(errno);
	}
	bool inside = trouble == NULL && parent != NULL && lay->rel_real != NULL &&
	              strcmp(parent, lay->rel_real) == 0 && releases_name_ok(id);
	if (!inside) {
		char *shown = sanitize_str(lay->link);
		char *where = resolved != NULL && strcmp(resolved, abs) != 0 ? sanitize_str(resolved) : NULL;
		lay->outside = xasprintf("current points outside releases: %s%s%s%s%s", shown,
		                         where != NULL ? " (resolves to " : "", where != NULL ? where : "",
		                         where != NULL ? ")" : "", trouble != NULL ? ", " : "");
		if (trouble != NULL) {
			char *next = xasprintf("%s%s", lay->outside, trouble);
			free(lay->outside);
			lay->outside = next;
		}
		releases_warn(lay, "%s", lay->outside);
		free(shown);
		free(where);
		free(id);
		id = NULL;
	}
	free(parent);
	free(resolved);
	free(abs);
	return id;
}

/* Appends part to the "; "-separated text. */
static void releases_join(char *text, size_t cap, const char *part, size_t len)
{
	size_t at = strlen(text);
	if (len > 0 && at + 2 < cap)
		snprintf(text + at, cap - at, "%s%.*s", at > 0 ? "; " : "", (int)len, part);
}

/* One release directory's files into p: times, REVISION, BAD_RELEASE. A
 * file that is there but cannot be trusted is named in the message. */
static void releases_read_release(struct deploy *p, int rel)
{
	char msg[800] = "", notes[600] = "", note[200] = "";
	char *text = NULL;
	int rc = releases_file(rel, "REVISION_TIME", &text, note, sizeof(note));
	if (rc == 1 && p->time == 0)
		p->time = deploys_parse_time(text, strcspn(text, "\r\n"));
	else if (rc < 0)
		releases_join(notes, sizeof(notes), note, strlen(note));
	free(text);
	rc = releases_file(rel, "REVISION", &text, note, sizeof(note));
	if (rc == 1)
		deploys_set(&p->revision, text, strcspn(text, "\r\n"));
	else if (rc < 0)
		releases_join(notes, sizeof(notes), note, strlen(note));
	free(text);
	/* a BAD_RELEASE marks the release bad whether or not it can be read */
	rc = releases_file(rel, "BAD_RELEASE", &text, note, sizeof(note));
	p->bad = rc != 0;
	deploys_set(&p->status, p->bad ? "bad" : "ok", (size_t)-1);
	if (rc == 1)
		releases_join(msg, sizeof(msg), text, strcspn(text, "\r\n"));
	else if (rc < 0)
		releases_join(msg, sizeof(msg), note, strlen(note));
	releases_join(msg, sizeof(msg), notes, strlen(notes));
	deploys_set(&p->message, msg, (size_t)-1);
	free(text);
}

/* Reads the layout into a new model; lay gets what is around it. NULL with
 * a message in err when the root or its releases/ cannot be read. */
static struct deploys_data *releases_scan(const char *root, struct releases_layout *lay, char *err,
                                          size_t cap)
{
	memset(lay, 0, sizeof(*lay));
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int relfd = rootfd >= 0 ? openat(rootfd, "releases", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *dp = relfd >= 0 ? fdopendir(dup(relfd)) : NULL;
	if (dp == NULL) {
		snprintf(err, cap, "%s/releases: %s", root, strerror(errno));
		if (relfd >= 0)
			close(relfd);
		if (rootfd >= 0)
			close(rootfd);
		return NULL;
	}
	char *rel_path = xasprintf("%s/releases", root);
	lay->rel_real = realpath(rel_path, NULL);
	free(rel_path);
	struct deploys_data *d = deploys_data_new();
	d->path = sanitize_str(root);
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (!releases_name_ok(de->d_name))
			continue;
		struct stat st;
		if (fstatat(relfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)))
			continue;
		struct deploy *p = deploys_add(d, de->d_name);
		p->time = deploys_parse_time(de->d_name, strlen(de->d_name));
		/* Only a directory of its own is read: a release that is a
		 * symlink may lead anywhere, so it is listed, never followed. */
		int rel = S_ISDIR(st.st_mode)
		              ? openat(relfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		              : -1;
		if (rel < 0) {
			char to[PATH_MAX] = "";
			ssize_t n =
			    S_ISLNK(st.st_mode) ? readlinkat(relfd, de->d_name, to, sizeof(to) - 1) : -1;
			if (n >= 0)
				to[n] = '\0';
			char *msg = S_ISLNK(st.st_mode)
			                ? xasprintf("the release is a symlink (to %s): not read", to)
			                : xasprintf("the release cannot be opened: %s", strerror(errno));
			p->bad = true;
			deploys_set(&p->status, S_ISLNK(st.st_mode) ? "symlink" : "unreadable", (size_t)-1);
			deploys_set(&p->message, msg, (size_t)-1);
			free(msg);
		} else {
			releases_read_release(p, rel);
			close(rel);
		}
		if (p->time == 0)
			p->time = (int64_t)st.st_mtime; /* only when nothing better says */
	}
	closedir(dp);
	close(relfd);
	releases_read_log(d, lay, rootfd, "revisions.log", "revisions.log", false);
	int dep = openat(rootfd, ".dep", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dep >= 0) {
		releases_read_log(d, lay, dep, ".dep/releases_log", "releases_log", true);
		close(dep);
	} else if (errno != ENOENT) {
		/* O_NOFOLLOW with O_DIRECTORY says ENOTDIR of a symlink: say what it is */
		struct stat st;
		int e = errno;
		if (fstatat(rootfd, ".dep", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			releases_warn(lay, ".dep is %s: not read", releases_mode_name(st.st_mode));
		else
			releases_warn(lay, ".dep: %s: not read", strerror(e));
	}
	deploys_sort(d, true);
	while (d->n > RELEASES_MAX) {
		deploys_entry_clear(&d->deploys[--d->n]); /* the oldest go */
	}
	char *cur = releases_current(root, rootfd, lay);
	close(rootfd);
	if (cur != NULL && deploys_find(d, cur) == NULL) {
		/* current points at a release that is gone: say so in the list */
		struct deploy *p = deploys_add(d, cur);
		p->bad = true;
		deploys_set(&p->status, "missing", (size_t)-1);
		deploys_set(&p->message, "current points at a release that is not in releases/", (size_t)-1);
		deploys_sort(d, true);
	}
	deploys_set_current(d, cur);
	free(cur);
	return d;
}

static void releases_refresh(struct source *src)
{
	struct releases_source *rs = src->data;
	char err[512];
	struct releases_layout lay;
	struct deploys_data *d = releases_scan(rs->path, &lay, err, sizeof(err));
	if (d == NULL) {
		source_fail(src, "%s", err);
		return;
	}
	/* said on the pane's frame, in --once and --json: what was not trusted */
	source_set_warning(src, lay.warning);
	releases_layout_clear(&lay);
	source_publish(src, d);
}

/* ---- actions ---- */

static int releases_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct releases_source *rs = src->data;
	bool rollback = a->verb == &kind_deploys_rollback;
	if (!rollback && a->verb != &kind_deploys_restart) {
		snprintf(err, cap, "a deploys pane cannot %s", a->verb->name);
		return -1;
	}
	struct releases_request *r = xcalloc(1, sizeof(*r));
	r->op = rollback ? RELEASES_ROLLBACK : RELEASES_RESTART;
	r->argv = deploys_argv_copy(rs->restart);
	r->timeout_ms = rs->restart_ms;
	char *argv_text = r->argv != NULL ? deploys_argv_text(r->argv) : NULL;
	char *effect = NULL;
	if (!rollback) {
		if (r->argv == NULL) {
			snprintf(err, cap, "no \"restart\" argv configured for pane %s", src->cfg->id);
			releases_request_free(r);
			return -1;
		}
		effect = xasprintf("argv: %s (timeout %u s)", argv_text, r->timeout_ms / 1000);
	} else {
		/* Fresh from the disk: what is confirmed is what is there now. */
		char msg[512];
		struct releases_layout lay;
		struct deploys_data *d = releases_scan(rs->path, &lay, msg, sizeof(msg));
		if (d == NULL) {
			snprintf(err, cap, "%s", msg);
			free(argv_text);
			releases_request_free(r);
			return -1;
		}
		const struct deploy *to = NULL;
		const char *why = NULL;
		if (lay.outside != NULL) {
			/* a current nobody understands is put right by hand first */
			snprintf(err, cap, "%s; not rolling back until current is put right by hand",
			         lay.outside);
		} else if (a->target[0] != '\0') {
			to = deploys_find(d, a->target);
			if (to == NULL || !releases_name_ok(a->target)) {
				char *t = sanitize_str(a->target);
				snprintf(err, cap, "no release %s in %s/releases", t, d->path);
				free(t);
				to = NULL;
			} else if ((why = deploys_not_target(to)) != NULL) {
				snprintf(err, cap, "release %s is never a rollback target: %s", to->id, why);
				to = NULL;
			} else if (to->current) {
				snprintf(err, cap, "%s is already the current release", to->id);
				to = NULL;
			} else if (to->bad) {
				snprintf(err, cap,
				         "release %s is marked %s%s%s; not rolling back to it (remove its "
				         "BAD_RELEASE first)",
				         to->id, to->status, to->message[0] != '\0' ? ": " : "", to->message);
				to = NULL;
			}
		} else if (d->current == NULL) {
			snprintf(err, cap,
			         "%s/current is not a symlink to a release; name the release to roll back to",
			         d->path);
		} else if ((to = deploys_previous_good(d)) == NULL) {
			snprintf(err, cap, "no healthy release older than %s to roll back to", d->current);
		}
		if (to != NULL && releases_dir_ident(rs->path, to->id, &r->to_ident) != 0) {
			snprintf(err, cap, "release %s: %s", to->id, strerror(errno));
			to = NULL;
		}
		if (to == NULL) {
			deploys_data_free(d);
			releases_layout_clear(&lay);
			free(argv_text);
			releases_request_free(r);
			return -1;
		}
		/* Passed-over releases are named: the user sees why it is not the one just before. */
		char skipped[256] = "", refused[256] = "";
		deploys_skipped(d, to, skipped, sizeof(skipped), refused, sizeof(refused));
		r->to = xstrdup(to->id);
		r->from = d->current != NULL ? xstrdup(d->current) : NULL;
		/* The new link is written the way the old one was: relative stays relative. */
		r->link = lay.link != NULL && lay.link[0] != '/'
		              ? xasprintf("releases/%s", to->id)
		              : xasprintf("%s/releases/%s", rs->path, to->id);
		r->current = xasprintf("%s/current", rs->path);
		r->tmp = xasprintf("%s/.current.sitrep-%ld", rs->path, (long)getpid());
		free(a->target);
		a->target = xstrdup(to->id);
		char *then = argv_text != NULL
		                 ? xasprintf("then argv: %s (timeout %u s)", argv_text, r->timeout_ms / 1000)
		                 : xstrdup("no restart argv configured");
		char *dir = sanitize_str(lay.rel_real != NULL ? lay.rel_real : rs->path);
		effect = xasprintf("current: %s -> %s (symlink swap: %s -> %s renamed over %s)\n"
		                   "target: release %s, the directory %s/%s (inode %llu)\n%s\n"
		                   "then check: current -> %s%s%s%s%s",
		                   r->from != NULL ? r->from : "(none)", to->id, r->tmp, r->link, r->current,
		                   to->id, dir, to->id, (unsigned long long)r->to_ident.ino, then, r->link,
		                   skipped[0] != '\0' ? "\nskipped, marked bad: " : "", skipped,
		                   refused[0] != '\0' ? "\nskipped, never a target: " : "", refused);
		free(dir);
		free(then);
		releases_layout_clear(&lay);
		deploys_data_free(d);
	}
	if (rs->health != NULL) {
		char *h = deploys_health_text(rs->health);
		char *next = xasprintf("%s\n%s", effect, h);
		free(effect);
		free(h);
		effect = next;
	}
	/* The gate waits for the restart's timeout, its kill, the health check and a margin. */
	a->timeout_ms = r->timeout_ms + RUN_DEFAULT_GRACE_MS + 5000 +
	                (rs->health != NULL ? rs->health->timeout_ms + 5000 : 0);
	action_set_effect(a, effect);
	free(effect);
	free(argv_text);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = r;
	a->request_free = releases_request_free;
	return 0;
}

static void releases_run_end(struct releases_run *rr, enum action_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void releases_run_finish(struct releases_run *rr, enum action_result result, const char *msg)
{
	struct releases_source *rs = rr->rs;
	if (rs->run == rr)
		rs->run = NULL;
	struct action *a = rr->action;
	free(rr->done);
	free(rr);
	action_finish(a, result, "%s", msg);
	/* The pane shows the new current (and publishes the deploy) at once. */
	source_refresh_now(rs->src);
}

static void releases_health_done(bool ok, const char *summary, void *arg)
{
	struct releases_run *rr = arg;
	rr->health = NULL;
	/* the health goes right after the headline: the gate keeps the start of a long outcome */
	const char *sep = strchr(rr->done, ';');
	size_t head = sep != NULL ? (size_t)(sep - rr->done) : strlen(rr->done);
	char *msg = xasprintf("%.*s; %s%s", (int)head, rr->done, summary, rr->done + head);
	releases_run_finish(rr, ok ? ACTION_OK : ACTION_FAILED, msg);
	free(msg);
}

static void releases_run_end(struct releases_run *rr, enum action_result result, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct releases_source *rs = rr->rs;
	if (result == ACTION_OK && rs->health != NULL && rs->src->loop != NULL) {
		rr->done = msg;
		rr->health = deploys_health_start(rs->src, rs->health, releases_health_done, rr);
		return;
	}
	releases_run_finish(rr, result, msg);
	free(msg);
}

/* After the restart argv (or without one): the checks that make it done. */
static void releases_verify(struct releases_run *rr, const char *ran)
{
	const struct releases_request *r = rr->action->request;
	if (r->op == RELEASES_ROLLBACK) {
		char buf[PATH_MAX];
		ssize_t n = readlink(r->current, buf, sizeof(buf) - 1);
		if (n < 0 || (size_t)n != strlen(r->link) || memcmp(buf, r->link, (size_t)n) != 0) {
			if (n >= 0)
				buf[n] = '\0';
			releases_run_end(rr, ACTION_FAILED, "%s; but current now points at %s, not %s",
			                 rr->swapped, n >= 0 ? buf : strerror(errno), r->link);
			return;
		}
		releases_run_end(rr, ACTION_OK, "%s; %s; current verified -> %s", rr->swapped, ran, r->link);
		return;
	}
	releases_run_end(rr, ACTION_OK, "%s", ran);
}

static void releases_run_done(struct run_result *res, void *arg)
{
	struct releases_run *rr = arg;
	rr->run = NULL;
	char how[200];
	run_describe(res, how, sizeof(how));
	if (res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out) {
		/* the last words of the command say why */
		const char *out = res->err != NULL && res->err_len > 0 ? res->err : res->out;
		size_t len = out != NULL ? strlen(out) : 0;
		while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
			len--;
		/* masked, then cut: the last 160 bytes are taken after its secrets are masked */
		size_t from = len > 8192 ? len - 8192 : 0;
		char *all = out != NULL ? sanitize(out + from, len - from, 0) : xstrdup("");
		char *tail = xstrdup(util_utf8_tail(all, 160));
		free(all);
		releases_run_end(
		    rr, ACTION_FAILED, "%s%srestart %s%s%s%s", rr->swapped, rr->swapped[0] ? "; " : "", how,
		    res->timed_out ? " (killed at its timeout)" : "", tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		return;
	}
	char ran[240];
	snprintf(ran, sizeof(ran), "restart %s", how);
	releases_verify(rr, ran);
}

/* The restart's output, line by line, as the action's progress. */
static void releases_run_output(const char *data, size_t len, bool is_stderr, void *arg)
{
	action_progress_stream(arg, is_stderr, data, len);
}

/* Just before the swap: the layout must still be what the dialog showed
 * (current where it was, the target the same directory, not marked bad
 * since). 0, or -1 with the difference in why. */
static int releases_recheck(struct releases_source *rs, const struct releases_request *r, char *why,
                            size_t cap)
{
	struct releases_layout lay;
	char msg[512];
	struct deploys_data *d = releases_scan(rs->path, &lay, msg, sizeof(msg));
	const struct deploy *to = d != NULL ? deploys_find(d, r->to) : NULL;
	struct releases_ident now;
	int rc = -1;
	if (d == NULL)
		snprintf(why, cap, "%s", msg);
	else if (lay.outside != NULL)
		snprintf(why, cap, "%s", lay.outside);
	else if (!util_str_same(d->current, r->from))
		snprintf(why, cap, "current moved to %s since it was confirmed",
		         d->current != NULL ? d->current : "(none)");
	else if (to == NULL || releases_dir_ident(rs->path, r->to, &now) != 0)
		snprintf(why, cap, "release %s %s since it was confirmed", r->to,
		         to == NULL || errno == ENOENT ? "is gone"
		         : errno == ELOOP              ? "was replaced by a symlink"
		                                       : "cannot be checked");
	else if (!releases_ident_same(&now, &r->to_ident))
		snprintf(why, cap,
		         "release %s was replaced since it was confirmed: another directory of that name "
		         "(the dialog showed inode %llu)",
		         r->to, (unsigned long long)r->to_ident.ino);
	else if (to->bad)
		snprintf(why, cap, "release %s was marked %s since it was confirmed%s%s", r->to, to->status,
		         to->message[0] != '\0' ? ": " : "", to->message);
	else
		rc = 0;
	deploys_data_free(d);
	releases_layout_clear(&lay);
	return rc;
}

static int releases_act(struct source *src, const struct action *action)
{
	struct releases_source *rs = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	const struct releases_request *r = a->request;
	if (r == NULL || rs->run != NULL || src->loop == NULL)
		return -1;
	struct releases_run *rr = xcalloc(1, sizeof(*rr));
	rr->rs = rs;
	rr->action = a;
	rs->run = rr;
	if (r->op == RELEASES_ROLLBACK) {
		char why[600];
		if (releases_recheck(rs, r, why, sizeof(why)) != 0) {
			releases_run_end(rr, ACTION_FAILED, "%s; nothing changed", why);
			return 0;
		}
		unlink(r->tmp);
		if (symlink(r->link, r->tmp) != 0) {
			releases_run_end(rr, ACTION_FAILED, "cannot create %s: %s; nothing changed", r->tmp,
			                 strerror(errno));
			return 0;
		}
		/* rename(2) replaces current in one step: it never is missing */
		if (rename(r->tmp, r->current) != 0) {
			int e = errno;
			unlink(r->tmp);
			releases_run_end(rr, ACTION_FAILED, "cannot rename %s over %s: %s; nothing changed",
			                 r->tmp, r->current, strerror(e));
			return 0;
		}
		snprintf(rr->swapped, sizeof(rr->swapped), "current: %s -> %s",
		         r->from != NULL ? r->from : "(none)", r->to);
		if (r->argv == NULL) {
			releases_verify(rr, "no restart argv configured");
			return 0;
		}
	}
	struct run_options opt = {.argv = r->argv,
	                          .pass_env = src->cfg->pass_env,
	                          .timeout_ms = r->timeout_ms,
	                          .on_output = releases_run_output,
	                          .output_arg = rr->action};
	rr->run = run_start(src->loop, &opt, releases_run_done, rr);
	return 0;
}

static void releases_stop(struct source *src)
{
	struct releases_source *rs = src->data;
	if (rs != NULL && rs->run != NULL && rs->run->run != NULL)
		run_cancel(rs->run->run); /* its done callback ends the action */
	else if (rs != NULL && rs->run != NULL && rs->run->health != NULL)
		deploys_health_cancel(rs->run->health);
}

static void releases_destroy(struct source *src)
{
	struct releases_source *rs = src->data;
	if (rs == NULL)
		return;
	free(rs->path);
	config_free_argv(rs->restart);
	deploys_health_free(rs->health);
	free(rs);
	src->data = NULL;
}

const struct source_ops source_releases = {
    .name = "releases",
    .kind = "deploys",
    .init = releases_init,
    .refresh = releases_refresh,
    .prepare = releases_prepare,
    .act = releases_act,
    .stop = releases_stop,
    .destroy = releases_destroy,
    .runs_commands = true,
};
