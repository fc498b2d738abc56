/* backups-pgbackrest: the "pgbackrest" source of a backups pane: one
 * stanza, read with `pgbackrest [--config=FILE] --stanza=NAME info
 * --output=json` through the one-shot runner. Each backup gives its label,
 * type (full, diff, incr), start and stop times, the database size a
 * restore gives back, what it added to the repository, its stop LSN (for
 * the data at risk) and the WAL range it needs; a backup pgBackRest
 * recorded errors for ("error": true) is not usable. A backup holding the
 * stanza's lock is shown as running.
 *
 * The tree stays in this file; only sanitized words and numbers leave it. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/backups-common.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/config.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define PGBR_TIMEOUT_MS 30000
#define PGBR_MAX_OUTPUT (16u << 20)

struct pgbr_source {
	char *stanza;
	char *config;   /* --config=FILE, NULL: pgBackRest's default */
	char **command; /* argv prefix, default ["pgbackrest"] */
	struct run *run;
};

static int pgbr_init(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node, void **data)
{
	(void)bs;
	struct pgbr_source *ps = xcalloc(1, sizeof(*ps));
	*data = ps;
	if (config_get_string(ctx, node, "stanza", true, NULL, &ps->stanza) != 0 ||
	    config_get_string(ctx, node, "config", false, NULL, &ps->config) != 0 ||
	    config_get_argv(ctx, node, "command", false, &ps->command) != 0)
		return -1;
	if (ps->stanza[0] == '\0' || ps->stanza[0] == '-' || strpbrk(ps->stanza, " \t\n=") != NULL)
		return config_fail(ctx, jsonc_get(node, "stanza"), "expected a stanza name");
	if (ps->command != NULL && ps->command[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "command"), "expected a non-empty argv");
	if (ps->command == NULL) {
		ps->command = xcalloc(2, sizeof(char *));
		ps->command[0] = xstrdup("pgbackrest");
	}
	return 0;
}

static const char *pgbr_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

static int64_t pgbr_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > 9e15)
		return -1;
	return (int64_t)v->valuedouble;
}

static void pgbr_add(struct backup_set *set, const cJSON *j)
{
	const char *label = pgbr_str(j, "label");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "timestamp");
	int64_t stop = pgbr_num(ts, "stop");
	if (label == NULL || stop <= 0)
		return;
	struct backup *b = backups_add(set);
	backups_set_text(&b->label, label);
	free(b->raw);
	b->raw = xstrdup(label);
	const char *type = pgbr_str(j, "type");
	backups_set_text(&b->type, type != NULL ? type : "?");
	b->time = stop;
	int64_t start = pgbr_num(ts, "start");
	b->start = start > 0 ? start : 0;
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(j, "info");
	b->size = pgbr_num(info, "size");
	b->stored = pgbr_num(cJSON_GetObjectItemCaseSensitive(info, "repository"), "delta");
	const cJSON *lsn = cJSON_GetObjectItemCaseSensitive(j, "lsn");
	const char *s = pgbr_str(lsn, "stop");
	if (s != NULL && backups_parse_lsn(s) >= 0)
		backups_set_text(&b->stop_lsn, s);
	const cJSON *ar = cJSON_GetObjectItemCaseSensitive(j, "archive");
	if ((s = pgbr_str(ar, "start")) != NULL)
		backups_set_text(&b->wal_start, s);
	if ((s = pgbr_str(ar, "stop")) != NULL)
		backups_set_text(&b->wal_stop, s);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsTrue(e)) {
		b->complete = false;
		backups_set_text(&b->problem, "pgBackRest recorded errors (checksums) while copying it");
	}
	if (b->stop_lsn == NULL && b->complete) {
		b->complete = false;
		backups_set_text(&b->problem, "no stop position recorded: incomplete");
	}
}

int pgbackrest_parse_info(struct backup_set *set, const char *json, size_t len, const char *stanza, char *err,
                          size_t cap)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	int rc = -1;
	if (!cJSON_IsArray(root)) {
		snprintf(err, cap, "pgbackrest info: not a JSON array");
		goto out;
	}
	const cJSON *st = NULL, *it;
	cJSON_ArrayForEach(it, root)
	{
		const char *name = pgbr_str(it, "name");
		if (cJSON_IsObject(it) && name != NULL && (stanza == NULL || strcmp(name, stanza) == 0)) {
			st = it;
			break;
		}
	}
	if (st == NULL) {
		char *s = sanitize_str(stanza != NULL ? stanza : "(any)");
		snprintf(err, cap, "pgbackrest info: no stanza %s", s);
		free(s);
		goto out;
	}
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(st, "status");
	int64_t code = pgbr_num(status, "code");
	const char *msg = pgbr_str(status, "message");
	/* 0 ok, 2 no valid backups (a set with none: crit, not a broken pane);
	 * anything else (missing stanza path, ...) is the repository's error */
	if (code != 0 && code != 2) {
		char *m = sanitize(msg != NULL ? msg : "?", msg != NULL ? strlen(msg) : 1, 200);
		snprintf(err, cap, "pgbackrest stanza status %" PRId64 ": %s", code, m);
		free(m);
		goto out;
	}
	const cJSON *lock =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(status, "lock"), "backup");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lock, "held")))
		backups_set_text(&set->running, "a backup is running (the stanza's backup lock is held)");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(st, "backup");
	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsObject(it))
			pgbr_add(set, it);
	}
	backups_sort(set);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static char **pgbr_argv(const struct pgbr_source *ps, const char *const *tail)
{
	size_t n = 0, t = 0;
	while (ps->command[n] != NULL)
		n++;
	while (tail[t] != NULL)
		t++;
	char **argv = xcalloc(n + t + 3, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		argv[k++] = xstrdup(ps->command[i]);
	if (ps->config != NULL)
		argv[k++] = xasprintf("--config=%s", ps->config);
	argv[k++] = xasprintf("--stanza=%s", ps->stanza);
	for (size_t i = 0; i < t; i++)
		argv[k++] = xstrdup(tail[i]);
	return argv;
}

static void pgbr_done(struct run_result *res, void *arg)
{
	struct backups_source *bs = arg;
	struct pgbr_source *ps = bs->data;
	ps->run = NULL;
	if (res->cancelled)
		return;
	if (res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out) {
		char *why = backups_run_error("pgbackrest info", res);
		backups_fetch_failed(bs, "%s", why);
		free(why);
		return;
	}
	char err[512];
	struct backup_set *set = bs->fetching;
	if (res->out_cut ||
	    pgbackrest_parse_info(set, res->out, res->out_len, ps->stanza, err, sizeof(err)) != 0) {
		backups_fetch_failed(bs, "%s", res->out_cut ? "pgbackrest info: answer too long" : err);
		return;
	}
	backups_fetched(bs, set);
}

static void pgbr_fetch(struct backups_source *bs, struct backup_set *set)
{
	struct pgbr_source *ps = bs->data;
	char *where = xasprintf("stanza %s", ps->stanza);
	backups_set_text(&set->where, where);
	free(where);
	if (bs->src->loop == NULL) {
		backups_fetch_failed(bs, "no loop");
		return;
	}
	static const char *const tail[] = {"info", "--output=json", NULL};
	char **argv = pgbr_argv(ps, tail);
	struct run_options opt = {
	    .argv = argv,
	    .pass_env = bs->src->cfg->pass_env,
	    .timeout_ms = PGBR_TIMEOUT_MS,
	    .max_stdout = PGBR_MAX_OUTPUT,
	};
	ps->run = run_start(bs->src->loop, &opt, pgbr_done, bs);
	config_free_argv(argv);
}

static void pgbr_restore_text(struct backups_source *bs, struct backup_set *set)
{
	struct pgbr_source *ps = bs->data;
	const struct backup *b = NULL;
	for (size_t i = 0; i < set->nbackups && b == NULL; i++)
		if (set->backups[i].complete)
			b = &set->backups[i];
	if (b == NULL)
		return;
	struct util_buf prefix = {0};
	for (size_t i = 0; ps->command[i] != NULL; i++) {
		char *q = backups_shell_quote(ps->command[i]);
		if (i > 0)
			util_buf_add(&prefix, " ", 1);
		util_buf_add(&prefix, q, strlen(q));
		free(q);
	}
	char *stanza = backups_shell_quote(ps->stanza);
	char *conf = NULL;
	if (ps->config != NULL) {
		char *c = xasprintf("--config=%s", ps->config);
		conf = backups_shell_quote(c);
		free(c);
	}
	char *label = backups_shell_quote(b->raw);
	char *lines[] = {
	    xstrdup(
	        "# stop PostgreSQL first; both replace the data directory (--delta keeps files that match)"),
	    xasprintf("%s%s%s --stanza=%s --delta --set=%s --type=immediate --target-action=promote restore "
	              "# to the end of backup %s: loses every write after it",
	              prefix.s, conf != NULL ? " " : "", conf != NULL ? conf : "", stanza, label, label),
	    xasprintf("%s%s%s --stanza=%s --delta restore "
	              "# newest backup plus every archived WAL segment: loses only what was not archived",
	              prefix.s, conf != NULL ? " " : "", conf != NULL ? conf : "", stanza),
	};
	set->restore = xcalloc(ARRAY_LEN(lines) + 1, sizeof(char *));
	for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
		set->restore[i] = sanitize_str(lines[i]);
		free(lines[i]);
	}
	free(prefix.s);
	free(stanza);
	free(conf);
	free(label);
}

/* The backup is restored into a new directory (pgBackRest makes it) with
 * archiving off, so the scratch cluster never pushes WAL into the
 * repository, then started by pg_ctl on a free port with only a socket in
 * that directory. pg_ctl hands -o to a shell: every part of it is sitrep's
 * own (a number, the checked scratch_dir, fixed words). */
static int pgbr_verify_plan(struct backups_source *bs, const struct backup *b, struct backups_plan *plan,
                            const char *stamp, char *err, size_t cap)
{
	struct pgbr_source *ps = bs->data;
	int port = backups_free_port();
	if (port == 0) {
		snprintf(err, cap, "no free loopback port for the scratch server");
		return -1;
	}
	unsigned t = bs->verify_ms;
	plan->scratch = xasprintf("%s/sitrep-verify-%s", bs->scratch_dir, stamp);
	plan->target = xasprintf("directory %s, port %d", plan->scratch, port);
	char *pg1 = xasprintf("--pg1-path=%s", plan->scratch);
	char *set = xasprintf("--set=%s", b->raw);
	char *stanza = xasprintf("--stanza=%s", ps->stanza);
	char *conf = ps->config != NULL ? xasprintf("--config=%s", ps->config) : NULL;
	char *log = xasprintf("%s/sitrep-verify.log", plan->scratch);
	char *opts = xasprintf("-p %d -k %s -c listen_addresses= -c archive_mode=off", port, plan->scratch);
	char *wait = xasprintf("%u", t / 1000);
	char *ports = xasprintf("%d", port);
	if (conf != NULL)
		backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, ps->command, conf, stanza, pg1, set,
		                 "--type=immediate", "--target-action=promote", "--archive-mode=off",
		                 "restore", NULL);
	else
		backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, ps->command, stanza, pg1, set,
		                 "--type=immediate", "--target-action=promote", "--archive-mode=off",
		                 "restore", NULL);
	int started = backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, bs->pg_ctl, "-D",
	                               plan->scratch, "-w", "-t", wait, "-l", log, "-o", opts, "start", NULL);
	bool def;
	char *const *q = backups_sanity(bs, &def);
	plan->need_rows = def;
	for (size_t i = 0; q[i] != NULL; i++)
		backups_plan_add(plan, BACKUPS_STEP_CHECK, t, -1, NULL, bs->psql, "-X", "-A", "-t", "-q",
		                 "-v", "ON_ERROR_STOP=1", "-h", plan->scratch, "-p", ports, "-U",
		                 bs->verify_user, "-d", bs->verify_database, "-c", q[i], NULL);
	backups_plan_add(plan, BACKUPS_STEP_CLEANUP, t, started, NULL, bs->pg_ctl, "-D", plan->scratch, "-m",
	                 "immediate", "-w", "stop", NULL);
	backups_plan_add(plan, BACKUPS_STEP_CLEANUP, t, -1, NULL, NULL, "rm", "-rf", "--", plan->scratch,
	                 NULL);
	free(pg1);
	free(set);
	free(stanza);
	free(conf);
	free(log);
	free(opts);
	free(wait);
	free(ports);
	return 0;
}

static void pgbr_cancel(struct backups_source *bs)
{
	struct pgbr_source *ps = bs->data;
	if (ps != NULL && ps->run != NULL)
		run_cancel(ps->run);
}

static void pgbr_free(void *data)
{
	struct pgbr_source *ps = data;
	if (ps == NULL)
		return;
	free(ps->stanza);
	free(ps->config);
	config_free_argv(ps->command);
	free(ps);
}

static const struct backups_backend pgbr_backend = {
    .name = "pgbackrest",
    .init = pgbr_init,
    .fetch = pgbr_fetch,
    .restore_text = pgbr_restore_text,
    .verify_plan = pgbr_verify_plan,
    .cancel = pgbr_cancel,
    .free = pgbr_free,
};

static int pgbr_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	return backups_source_init(src, ctx, node, &pgbr_backend);
}

const struct source_ops source_pgbackrest = {
    .name = "pgbackrest",
    .kind = "backups",
    .init = pgbr_source_init,
    .start = backups_source_start,
    .refresh = backups_source_refresh,
    .prepare = backups_source_prepare,
    .act = backups_source_act,
    .stop = backups_source_stop,
    .destroy = backups_source_destroy,
    .runs_commands = true,
};
