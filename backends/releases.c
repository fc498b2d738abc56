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
#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/config.h"
#include "sitrep/deploys.h"
#include "sitrep/jsonc.h"
#include "sitrep/run.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/sources.h"
#include "sitrep/util.h"

/* Releases kept in the model: Capistrano keeps 5 by default, Deployer 10. */
#define RELEASES_MAX 200
/* Logs read from their end at most this much. */
#define RELEASES_LOG_MAX (1024 * 1024)

struct releases_run;

struct releases_source {
	struct source *src;
	char *path;                    /* the deploy root */
	char **restart;                /* argv, NULL: none configured */
	unsigned restart_ms;           /* its timeout */
	struct deploys_health *health; /* checked after a restart or rollback, NULL: none */
	struct releases_run *run;      /* the action in flight */
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

/* The current release's id: the last element of what `current` points at.
 * NULL when there is no such symlink. */
static char *releases_current(const char *root, char **link_out)
{
	char *cur = xasprintf("%s/current", root);
	char buf[PATH_MAX];
	ssize_t n = readlink(cur, buf, sizeof(buf) - 1);
	free(cur);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (link_out != NULL)
		*link_out = xstrdup(buf);
	const char *base = strrchr(buf, '/');
	return xstrdup(base != NULL ? base + 1 : buf);
}

/* The first line of a small file in dir, NULL when absent. */
static char *releases_small_file(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	size_t len;
	char *text = util_read_file(p, 4096, &len);
	free(p);
	return text;
}

static bool releases_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

static void releases_read_log(struct deploys_data *d, const char *root, const char *name, bool json)
{
	char *p = xasprintf("%s/%s", root, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	free(p);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
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

/* Reads the layout into a new model. NULL with a message in err when the
 * root or its releases/ cannot be read. */
static struct deploys_data *releases_scan(const char *root, char *err, size_t cap)
{
	char *dir = xasprintf("%s/releases", root);
	DIR *dp = opendir(dir);
	if (dp == NULL) {
		snprintf(err, cap, "%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	struct deploys_data *d = deploys_data_new();
	d->path = sanitize_str(root);
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (!releases_name_ok(de->d_name))
			continue;
		char *rel = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(rel, &st) != 0 || !S_ISDIR(st.st_mode)) {
			free(rel);
			continue;
		}
		struct deploy *p = deploys_add(d, de->d_name);
		p->time = deploys_parse_time(de->d_name, strlen(de->d_name));
		char *t = releases_small_file(rel, "REVISION_TIME");
		if (p->time == 0 && t != NULL)
			p->time = deploys_parse_time(t, strcspn(t, "\r\n"));
		free(t);
		char *rev = releases_small_file(rel, "REVISION");
		if (rev != NULL)
			deploys_set(&p->revision, rev, strcspn(rev, "\r\n"));
		free(rev);
		char *bad = releases_small_file(rel, "BAD_RELEASE");
		if (bad != NULL) {
			p->bad = true;
			deploys_set(&p->status, "bad", (size_t)-1);
			if (bad != NULL && bad[0] != '\0')
				deploys_set(&p->message, bad, strcspn(bad, "\r\n"));
		} else {
			deploys_set(&p->status, "ok", (size_t)-1);
		}
		free(bad);
		if (p->time == 0)
			p->time = (int64_t)st.st_mtime; /* only when nothing better says */
		free(rel);
	}
	closedir(dp);
	free(dir);
	releases_read_log(d, root, "revisions.log", false);
	releases_read_log(d, root, ".dep/releases_log", true);
	deploys_sort(d, true);
	while (d->n > RELEASES_MAX) {
		deploys_entry_clear(&d->deploys[--d->n]); /* the oldest go */
	}
	char *cur = releases_current(root, NULL);
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
	struct deploys_data *d = releases_scan(rs->path, err, sizeof(err));
	if (d == NULL) {
		source_fail(src, "%s", err);
		return;
	}
	source_publish(src, d);
}

/* ---- actions ---- */

static int releases_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct releases_source *rs = src->data;
	bool rollback = strcmp(a->verb, "rollback") == 0;
	if (!rollback && strcmp(a->verb, "restart") != 0) {
		snprintf(err, cap, "a deploys pane cannot %s", a->verb);
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
		struct deploys_data *d = releases_scan(rs->path, msg, sizeof(msg));
		if (d == NULL) {
			snprintf(err, cap, "%s", msg);
			free(argv_text);
			releases_request_free(r);
			return -1;
		}
		const struct deploy *to = NULL;
		if (a->target[0] != '\0') {
			to = deploys_find(d, a->target);
			if (to == NULL || !releases_name_ok(a->target)) {
				char *t = sanitize_str(a->target);
				snprintf(err, cap, "no release %s in %s/releases", t, d->path);
				free(t);
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
		if (to == NULL) {
			deploys_data_free(d);
			free(argv_text);
			releases_request_free(r);
			return -1;
		}
		/* Skipped bad releases are named: the user sees why it is not the one just before. */
		char skipped[256] = "";
		for (size_t i = 0, past = 0; i < d->n && &d->deploys[i] != to; i++) {
			if (d->deploys[i].current)
				past = 1;
			else if (past && d->deploys[i].bad &&
			         strlen(skipped) + strlen(d->deploys[i].id) + 4 < sizeof(skipped))
				snprintf(skipped + strlen(skipped), sizeof(skipped) - strlen(skipped), "%s%s",
				         skipped[0] != '\0' ? ", " : "", d->deploys[i].id);
		}
		char *old_link = NULL;
		free(releases_current(rs->path, &old_link));
		r->to = xstrdup(to->id);
		r->from = d->current != NULL ? xstrdup(d->current) : NULL;
		/* The new link is written the way the old one was: relative stays relative. */
		r->link = old_link != NULL && old_link[0] != '/'
		              ? xasprintf("releases/%s", to->id)
		              : xasprintf("%s/releases/%s", rs->path, to->id);
		r->current = xasprintf("%s/current", rs->path);
		r->tmp = xasprintf("%s/.current.sitrep-%ld", rs->path, (long)getpid());
		free(a->target);
		a->target = xstrdup(to->id);
		char *then = argv_text != NULL
		                 ? xasprintf("then argv: %s (timeout %u s)", argv_text, r->timeout_ms / 1000)
		                 : xstrdup("no restart argv configured");
		effect =
		    xasprintf("current: %s -> %s (symlink swap: %s -> %s renamed over %s)\n%s\n"
		              "then check: current -> %s%s%s",
		              r->from != NULL ? r->from : "(none)", to->id, r->tmp, r->link, r->current, then,
		              r->link, skipped[0] != '\0' ? "\nskipped, marked bad: " : "", skipped);
		free(then);
		free(old_link);
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
	action_progress(arg, data, len);
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
		/* current must still be what was confirmed */
		char *now = releases_current(rs->path, NULL);
		if (!util_str_same(now, r->from)) {
			releases_run_end(rr, ACTION_FAILED,
			                 "current moved to %s since it was confirmed; nothing changed",
			                 now != NULL ? now : "(none)");
			free(now);
			return 0;
		}
		free(now);
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
};
