/* backups: the part every source of a backups pane shares (see
 * backups-common.h). A refresh asks the backend for a new backup set, then,
 * when the pane names a PostgreSQL server ("conninfo"), asks it how far WAL
 * archiving got and where its WAL is now (one-shot psql, below), and
 * publishes the set judged and held against the deploy marks.
 *
 * The archiver query is a one-shot `psql` through run.c rather than
 * libpq's async API on the loop: it is one small query per refresh (30 s
 * by default), and a child resolves the server's name, waits on it and is
 * killed at its timeout without any of that touching the loop; psql comes
 * with every PostgreSQL client install the backup tools already need.
 *
 * The fetched set is kept (last) so that a deploy seen later (the deploys
 * pane publishing new marks) re-publishes a copy held against them at once,
 * without fetching again: the "no backup since r3" cause appears when r3
 * does, and --once prints it whichever pane answered first. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/backups-common.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/config.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/marks.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* Backups change every few hours: a pane without its own refresh_seconds
 * looks every 30 s, not at the dashboard's pace. */
#define BACKUPS_REFRESH_MIN_MS  30000
#define BACKUPS_PSQL_TIMEOUT_MS 10000
/* The fields of one archiver line. */
#define BACKUPS_ARCHIVER_FIELDS 9

static const char backups_archiver_query[] =
    "select archived_count, coalesce(last_archived_wal, ''), "
    "coalesce(extract(epoch from last_archived_time)::bigint, 0), failed_count, "
    "coalesce(last_failed_wal, ''), coalesce(extract(epoch from last_failed_time)::bigint, 0), "
    "current_setting('archive_mode'), pg_current_wal_lsn(), extract(epoch from now())::bigint "
    "from pg_stat_archiver";

int backups_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node,
                        const struct backups_backend *be)
{
	struct backups_source *bs = xcalloc(1, sizeof(*bs));
	src->data = bs;
	bs->src = src;
	bs->be = be;
	char *max_age = NULL;
	if (config_get_string(ctx, node, "name", false, src->cfg->id, &bs->name) != 0 ||
	    config_get_string(ctx, node, "max_age", false, NULL, &max_age) != 0 ||
	    config_get_number(ctx, node, "max_shrink", false, BACKUPS_MAX_SHRINK_DEFAULT, 0, 1,
	                      &bs->max_shrink) != 0 ||
	    config_get_string(ctx, node, "conninfo", false, NULL, &bs->conninfo) != 0 ||
	    config_get_secret(ctx, node, "password_env", "password_file", &bs->password) != 0 ||
	    config_get_argv(ctx, node, "psql", false, &bs->psql) != 0) {
		free(max_age);
		return -1;
	}
	bs->max_age_s = BACKUPS_MAX_AGE_DEFAULT_S;
	if (max_age != NULL) {
		double s = action_parse_duration(max_age);
		if (s <= 0) {
			free(max_age);
			return config_fail(ctx, jsonc_get(node, "max_age"),
			                   "expected a duration such as \"26h\", \"90m\" or \"2d\"");
		}
		bs->max_age_s = s;
	}
	free(max_age);
	if (bs->psql != NULL && bs->psql[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "psql"), "expected a non-empty argv");
	if (bs->psql == NULL) {
		bs->psql = xcalloc(2, sizeof(char *));
		bs->psql[0] = xstrdup("psql");
	}
	if (bs->conninfo != NULL && bs->conninfo[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "conninfo"), "expected a connection string");
	if (bs->conninfo != NULL && strstr(bs->conninfo, "password") != NULL)
		return config_fail(
		    ctx, jsonc_get(node, "conninfo"),
		    "a password inside the connection string is refused: use \"password_env\", "
		    "\"password_file\" or ~/.pgpass");
	if (backups_act_init(bs, ctx, node) != 0)
		return -1;
	if (src->cfg->refresh_seconds <= 0 && src->refresh_ms < BACKUPS_REFRESH_MIN_MS)
		src->refresh_ms = BACKUPS_REFRESH_MIN_MS;
	return be->init(bs, ctx, node, &bs->data);
}

/* ---- publishing ---- */

/* A number for the marks as they are: the newest's time and how many. */
static uint64_t backups_marks_sig(const struct marks *m)
{
	const struct mark *l = marks_latest(m);
	return l != NULL ? ((uint64_t)l->time_ms << 8) ^ (uint64_t)marks_count(m) ^ l->seq : 0;
}

static char *backups_copy_str(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void backups_copy_set(struct backup_set *dst, const struct backup_set *s)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = backups_copy_str(s->name);
	dst->source = backups_copy_str(s->source);
	dst->where = backups_copy_str(s->where);
	dst->error = backups_copy_str(s->error);
	dst->verify_result = backups_copy_str(s->verify_result);
	dst->running = backups_copy_str(s->running);
	dst->verified = s->verified;
	dst->found = s->found;
	dst->max_age_s = s->max_age_s;
	dst->max_shrink = s->max_shrink;
	for (size_t i = 0; i < s->nbackups; i++) {
		const struct backup *b = &s->backups[i];
		struct backup *c = backups_add(dst);
		c->time = b->time;
		c->start = b->start;
		c->size = b->size;
		c->stored = b->stored;
		c->complete = b->complete;
		free(c->type);
		free(c->format);
		free(c->label);
		free(c->raw);
		c->type = xstrdup(b->type);
		c->format = xstrdup(b->format);
		c->label = xstrdup(b->label);
		c->raw = xstrdup(b->raw);
		c->problem = backups_copy_str(b->problem);
		c->stop_lsn = backups_copy_str(b->stop_lsn);
		c->wal_start = backups_copy_str(b->wal_start);
		c->wal_stop = backups_copy_str(b->wal_stop);
	}
	const struct backups_risk *r = &s->risk;
	dst->risk = *r;
	dst->risk.error = backups_copy_str(r->error);
	dst->risk.last_archived_wal = backups_copy_str(r->last_archived_wal);
	dst->risk.last_failed_wal = backups_copy_str(r->last_failed_wal);
	dst->risk.current_lsn = backups_copy_str(r->current_lsn);
	dst->risk.restore_point = backups_copy_str(r->restore_point);
	size_t n = 0;
	while (s->restore != NULL && s->restore[n] != NULL)
		n++;
	if (s->restore != NULL) {
		dst->restore = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			dst->restore[i] = xstrdup(s->restore[i]);
	}
}

/* Publishes a copy of the last set, judged now and held against the marks. */
static void backups_publish(struct backups_source *bs)
{
	const struct backup_set *last = bs->last;
	if (last == NULL)
		return;
	struct backups_data *d = backups_data_new(1);
	backups_copy_set(&d->sets[0], last);
	const struct marks *m = marks_of(bs->src->app);
	backups_against_deploys(&d->sets[0], m);
	backups_judge(&d->sets[0], (int64_t)time(NULL));
	bs->marks_seen = backups_marks_sig(m);
	source_publish(bs->src, d);
}

static void backups_finish(struct backups_source *bs, struct backup_set *set)
{
	if (bs->be->restore_text != NULL)
		bs->be->restore_text(bs, set);
	backups_set_free(bs->last);
	bs->last = set;
	bs->fetching = NULL;
	backups_publish(bs);
	backups_act_fetched(bs, NULL);
}

/* ---- the data at risk ---- */

static const struct backup *backups_newest_complete(const struct backup_set *set)
{
	for (size_t i = 0; i < set->nbackups; i++)
		if (set->backups[i].complete)
			return &set->backups[i];
	return NULL;
}

static void backups_archiver_done(struct run_result *res, void *arg)
{
	struct backups_source *bs = arg;
	bs->run = NULL;
	struct backup_set *set = bs->fetching;
	if (set == NULL)
		return;
	if (res->cancelled) {
		/* stopping: nothing is published any more */
		return;
	}
	const struct backup *b = backups_newest_complete(set);
	if (res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out) {
		set->risk.error = backups_run_error("psql", res);
	} else if (backups_parse_archiver(&set->risk, res->out, res->out_len, b != NULL ? b->stop_lsn : NULL,
	                                  b != NULL ? b->time : 0) != 0) {
		set->risk.error = xstrdup("psql answered something that is not the archiver's row");
	}
	backups_finish(bs, set);
}

void backups_fetched(struct backups_source *bs, struct backup_set *set)
{
	bs->fetching = set;
	if (bs->conninfo == NULL || bs->src->loop == NULL) {
		backups_finish(bs, set);
		return;
	}
	size_t n = 0;
	while (bs->psql[n] != NULL)
		n++;
	const char *tail[] = {"-X", "-A",   "-t", "-q",         "-v", "ON_ERROR_STOP=1",
	                      "-F", "\x1f", "-d", bs->conninfo, "-c", backups_archiver_query};
	char **argv = xcalloc(n + ARRAY_LEN(tail) + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		argv[i] = bs->psql[i];
	for (size_t i = 0; i < ARRAY_LEN(tail); i++)
		argv[n + i] = (char *)tail[i];
	char *pw = bs->password != NULL ? xasprintf("PGPASSWORD=%s", bs->password) : NULL;
	char *env[] = {(char *)"PGCONNECT_TIMEOUT=5", pw, NULL};
	bs->run = backups_run(bs, argv, env, BACKUPS_PSQL_TIMEOUT_MS, backups_archiver_done, bs);
	free(argv);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
}

void backups_fetch_failed(struct backups_source *bs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	backups_set_free(bs->fetching);
	bs->fetching = NULL;
	source_fail(bs->src, "%s", msg);
	backups_act_fetched(bs, bs->src->snap.error);
	free(msg);
}

int backups_parse_archiver(struct backups_risk *r, const char *text, size_t len, const char *stop_lsn,
                           int64_t stop_time)
{
	if (text == NULL)
		return -1;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(text, '\n', len) != NULL || len > 4096)
		return -1;
	char *line = xstrndup(text, len);
	char *f[BACKUPS_ARCHIVER_FIELDS];
	size_t nf = 0;
	for (char *p = line; nf < BACKUPS_ARCHIVER_FIELDS;) {
		f[nf++] = p;
		char *sep = strchr(p, '\x1f');
		if (sep == NULL)
			break;
		*sep = '\0';
		p = sep + 1;
	}
	int rc = -1;
	if (nf != BACKUPS_ARCHIVER_FIELDS)
		goto out;
	char *end;
	long long v[BACKUPS_ARCHIVER_FIELDS] = {0};
	static const int numeric[] = {0, 2, 3, 5, 8};
	for (size_t i = 0; i < ARRAY_LEN(numeric); i++) {
		const char *s = f[numeric[i]];
		errno = 0;
		v[numeric[i]] = strtoll(s, &end, 10);
		if (end == s || *end != '\0' || errno != 0 || v[numeric[i]] < 0)
			goto out;
	}
	int64_t cur = backups_parse_lsn(f[7]);
	if (cur < 0)
		goto out;
	r->known = true;
	r->archived_count = v[0];
	backups_set_text(&r->last_archived_wal, f[1]);
	r->last_archived_time = v[2];
	r->failed_count = v[3];
	backups_set_text(&r->last_failed_wal, f[4]);
	r->last_failed_time = v[5];
	r->archiving = strcmp(f[6], "on") == 0 || strcmp(f[6], "always") == 0;
	backups_set_text(&r->current_lsn, f[7]);
	/* failing: the last attempt failed, i.e. no success since the last failure */
	r->failing = r->archiving && r->failed_count > 0 && r->last_failed_time > 0 &&
	             r->last_failed_time >= r->last_archived_time;
	int64_t stop = backups_parse_lsn(stop_lsn);
	r->wal_bytes = stop >= 0 && cur >= stop ? cur - stop : -1;
	r->seconds = stop_time > 0 && v[8] >= stop_time ? v[8] - stop_time : -1;
	free(r->restore_point);
	r->restore_point = NULL;
	if (r->archiving && r->last_archived_time > 0) {
		char when[32];
		util_rfc3339((time_t)r->last_archived_time, when, sizeof(when));
		char *t = xasprintf("WAL archived up to %s (%s)", f[1], when);
		r->restore_point = sanitize_str(t);
		free(t);
	} else if (!r->archiving) {
		r->restore_point = xstrdup("none: archive_mode is off, only the backup itself");
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* ---- deploys seen later ---- */

static void backups_on_change(const struct event *ev, void *arg)
{
	struct backups_source *bs = arg;
	(void)ev;
	if (bs->last == NULL || bs->fetching != NULL)
		return;
	if (backups_marks_sig(marks_of(bs->src->app)) != bs->marks_seen)
		backups_publish(bs);
}

/* ---- the common hooks ---- */

struct run *backups_run(struct backups_source *bs, char *const *argv, char *const *env, unsigned timeout_ms,
                        run_done_cb cb, void *arg)
{
	struct run_options opt = {
	    .argv = argv,
	    .env = env,
	    .pass_env = bs->src->cfg->pass_env,
	    .timeout_ms = timeout_ms,
	};
	return run_start(bs->src->loop, &opt, cb, arg);
}

char *backups_run_error(const char *tool, const struct run_result *res)
{
	char how[200];
	run_describe(res, how, sizeof(how));
	const char *out = res->err != NULL && res->err_len > 0 ? res->err : res->out;
	size_t len = out != NULL ? strlen(out) : 0;
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' '))
		len--;
	size_t from = len > 4096 ? len - 4096 : 0;
	char *all = out != NULL ? sanitize(out + from, len - from, 0) : xstrdup("");
	char *msg = xasprintf("%s: %s%s%s%s", tool, how, res->timed_out ? " (killed at its timeout)" : "",
	                      all[0] != '\0' ? ": " : "", util_utf8_tail(all, 200));
	free(all);
	char *clean = sanitize_str(msg);
	free(msg);
	return clean;
}

char *backups_shell_quote(const char *s)
{
	bool plain = s[0] != '\0';
	for (const char *p = s; *p != '\0' && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%",
		               *p) != NULL;
	if (plain)
		return xstrdup(s);
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

int backups_source_start(struct source *src)
{
	struct backups_source *bs = src->data;
	if (src->app == NULL || bs->subscribed)
		return 0;
	/* the pane judges its sets against the deploys: without the bus it
	 * would say "covered" of a deploy it never heard of; fail loudly */
	if (event_subscribe(&src->app->bus, EVENT_BIT(EVENT_DATA_CHANGED) | EVENT_BIT(EVENT_DEPLOY),
	                    backups_on_change, bs) != 0) {
		source_fail(src, "cannot follow the deploys (event subscription refused)");
		return -1;
	}
	bs->subscribed = true;
	return 0;
}

void backups_source_refresh(struct source *src)
{
	struct backups_source *bs = src->data;
	struct backup_set *set = xcalloc(1, sizeof(*set));
	set->name = xstrdup(bs->name);
	backups_set_text(&set->name, bs->name);
	set->source = xstrdup(bs->be->name);
	set->max_age_s = bs->max_age_s;
	set->max_shrink = bs->max_shrink;
	set->risk.wal_bytes = -1;
	set->risk.seconds = -1;
	bs->fetching = set;
	bs->be->fetch(bs, set);
}

void backups_source_stop(struct source *src)
{
	struct backups_source *bs = src->data;
	if (bs == NULL)
		return;
	if (bs->subscribed && src->app != NULL)
		event_unsubscribe(&src->app->bus, backups_on_change, bs);
	bs->subscribed = false;
	if (bs->run != NULL)
		run_cancel(bs->run);
	if (bs->be->cancel != NULL)
		bs->be->cancel(bs);
	backups_act_stop(bs);
}

void backups_source_destroy(struct source *src)
{
	struct backups_source *bs = src->data;
	if (bs == NULL)
		return;
	backups_set_free(bs->last);
	backups_set_free(bs->fetching);
	if (bs->be->free != NULL)
		bs->be->free(bs->data);
	free(bs->name);
	free(bs->conninfo);
	config_free_secret(bs->password);
	config_free_argv(bs->psql);
	backups_act_free(bs);
	free(bs);
	src->data = NULL;
}
