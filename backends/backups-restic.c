/* backups-restic: the "restic" source of a backups pane: file-level
 * backups (uploads, config) in a restic repository, read with `restic -r
 * REPO snapshots --json`, and the restore size of the newest two snapshots
 * with `restic -r REPO stats --json ID` (a snapshot never changes, so each
 * is asked once and remembered). The repository's password comes from
 * "password_file" or "password_env" like every secret (registered with the
 * sanitizer, so no output can carry it) and reaches restic only in its
 * environment (RESTIC_PASSWORD), never on a command line.
 *
 * The tree stays in this file; only sanitized words and numbers leave it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/backups-common.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define RESTIC_TIMEOUT_MS 60000
#define RESTIC_MAX_OUTPUT (16u << 20)
/* Snapshot sizes remembered (by id). */
#define RESTIC_SIZES 16

struct restic_size {
	char *id;
	int64_t size;
};

struct restic_source {
	char *repository;
	char **command; /* argv prefix, default ["restic"] */
	struct run *run;
	size_t asking; /* the backup whose size is being asked */
	struct restic_size sizes[RESTIC_SIZES];
	size_t next_size;
};

static int restic_init(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node, void **data)
{
	struct restic_source *rs = xcalloc(1, sizeof(*rs));
	*data = rs;
	if (config_get_string(ctx, node, "repository", true, NULL, &rs->repository) != 0 ||
	    config_get_argv(ctx, node, "command", false, &rs->command) != 0)
		return -1;
	if (rs->repository[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "repository"), "expected a restic repository");
	if (rs->command != NULL && rs->command[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "command"), "expected a non-empty argv");
	if (bs->conninfo != NULL)
		return config_fail(
		    ctx, jsonc_get(node, "conninfo"),
		    "a restic pane holds file-level backups: the data at risk is for pgbackrest panes");
	if (rs->command == NULL) {
		rs->command = xcalloc(2, sizeof(char *));
		rs->command[0] = xstrdup("restic");
	}
	return 0;
}

/* The fraction of the second in restic's time ("...T02:45:33.123456789+00:00"),
 * in nanoseconds; 0 without one. Two snapshots taken within one second
 * (B pressed right after a scheduled run) are ordered by it. */
static int32_t restic_nanos(const char *t)
{
	const char *dot = strchr(t, '.');
	const char *tee = strchr(t, 'T');
	if (dot == NULL || tee == NULL || dot < tee)
		return 0;
	int32_t ns = 0;
	int digits = 0;
	for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++)
		if (digits < 9) {
			ns = ns * 10 + (*p - '0');
			digits++;
		}
	for (; digits < 9; digits++)
		ns *= 10;
	return ns;
}

int restic_parse_snapshots(struct backup_set *set, const char *json, size_t len, char *err, size_t cap)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsArray(root)) {
		snprintf(err, cap, "restic snapshots: not a JSON array");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		const cJSON *tm = cJSON_GetObjectItemCaseSensitive(it, "time");
		if (!cJSON_IsString(id) || id->valuestring == NULL || !cJSON_IsString(tm) ||
		    tm->valuestring == NULL)
			continue;
		int64_t t = deploys_parse_time(tm->valuestring, strlen(tm->valuestring));
		if (t <= 0)
			continue;
		/* an id is what restic wrote: hex, or it is not one to hand back to it */
		size_t n = strlen(id->valuestring);
		bool hex = n >= 8 && n <= 64 && strspn(id->valuestring, "0123456789abcdef") == n;
		struct backup *b = backups_add(set);
		b->time = t;
		b->nanos = restic_nanos(tm->valuestring);
		backups_set_text(&b->type, "snapshot");
		struct util_buf label = {0};
		util_buf_add(&label, id->valuestring, n < 8 ? n : 8);
		const cJSON *paths = cJSON_GetObjectItemCaseSensitive(it, "paths"), *p;
		cJSON_ArrayForEach(p, paths)
		{
			if (cJSON_IsString(p) && p->valuestring != NULL) {
				util_buf_add(&label, " ", 1);
				util_buf_add(&label, p->valuestring, strlen(p->valuestring));
			}
		}
		backups_set_text(&b->label, label.s);
		free(label.s);
		free(b->raw);
		b->raw = xstrdup(id->valuestring);
		if (!hex) {
			b->complete = false;
			backups_set_text(&b->problem, "its id is not restic's (not hex)");
		}
	}
	cJSON_Delete(root);
	backups_sort(set);
	return 0;
}

int restic_parse_stats(const char *json, size_t len, int64_t *size)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "total_size");
	int rc = -1;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e15) {
		*size = (int64_t)v->valuedouble;
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

static char **restic_argv(const struct restic_source *rs, const char *const *tail)
{
	size_t n = 0, t = 0;
	while (rs->command[n] != NULL)
		n++;
	while (tail[t] != NULL)
		t++;
	char **argv = xcalloc(n + t + 3, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		argv[k++] = xstrdup(rs->command[i]);
	argv[k++] = xstrdup("-r");
	argv[k++] = xstrdup(rs->repository);
	for (size_t i = 0; i < t; i++)
		argv[k++] = xstrdup(tail[i]);
	return argv;
}

static struct run *restic_start(struct backups_source *bs, const char *const *tail, run_done_cb cb)
{
	struct restic_source *rs = bs->data;
	char **argv = restic_argv(rs, tail);
	char *pw = bs->password != NULL ? xasprintf("RESTIC_PASSWORD=%s", bs->password) : NULL;
	char *env[] = {pw, NULL};
	struct run_options opt = {
	    .argv = argv,
	    .env = pw != NULL ? env : NULL,
	    .pass_env = bs->src->cfg->pass_env,
	    .timeout_ms = RESTIC_TIMEOUT_MS,
	    .max_stdout = RESTIC_MAX_OUTPUT,
	};
	struct run *r = run_start(bs->src->loop, &opt, cb, bs);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	config_free_argv(argv);
	return r;
}

static int64_t restic_size_known(const struct restic_source *rs, const char *id)
{
	for (size_t i = 0; i < RESTIC_SIZES; i++)
		if (rs->sizes[i].id != NULL && strcmp(rs->sizes[i].id, id) == 0)
			return rs->sizes[i].size;
	return -1;
}

static void restic_size_keep(struct restic_source *rs, const char *id, int64_t size)
{
	struct restic_size *s = &rs->sizes[rs->next_size];
	rs->next_size = (rs->next_size + 1) % RESTIC_SIZES;
	free(s->id);
	s->id = xstrdup(id);
	s->size = size;
}

static void restic_next_size(struct backups_source *bs);

static void restic_stats_done(struct run_result *res, void *arg)
{
	struct backups_source *bs = arg;
	struct restic_source *rs = bs->data;
	rs->run = NULL;
	if (res->cancelled)
		return;
	struct backup *b = &bs->fetching->backups[rs->asking];
	int64_t size;
	if (res->error == NULL && res->signal == 0 && res->status == 0 && !res->timed_out &&
	    restic_parse_stats(res->out, res->out_len, &size) == 0) {
		b->size = size;
		restic_size_keep(rs, b->raw, size);
	}
	/* a size that cannot be had is unknown ("?"), not a failed pane */
	rs->asking++;
	restic_next_size(bs);
}

/* The sizes of the newest two snapshots, one stats run at a time. */
static void restic_next_size(struct backups_source *bs)
{
	struct restic_source *rs = bs->data;
	struct backup_set *set = bs->fetching;
	while (rs->asking < set->nbackups && rs->asking < 2) {
		struct backup *b = &set->backups[rs->asking];
		int64_t known = b->complete ? restic_size_known(rs, b->raw) : -1;
		if (known >= 0 || !b->complete) {
			b->size = known;
			rs->asking++;
			continue;
		}
		const char *tail[] = {"stats", "--json", "--mode", "restore-size", b->raw, NULL};
		rs->run = restic_start(bs, tail, restic_stats_done);
		return;
	}
	backups_fetched(bs, set);
}

static void restic_snapshots_done(struct run_result *res, void *arg)
{
	struct backups_source *bs = arg;
	struct restic_source *rs = bs->data;
	rs->run = NULL;
	if (res->cancelled)
		return;
	if (res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out) {
		char *why = backups_run_error("restic snapshots", res);
		backups_fetch_failed(bs, "%s", why);
		free(why);
		return;
	}
	char err[256];
	if (res->out_cut ||
	    restic_parse_snapshots(bs->fetching, res->out, res->out_len, err, sizeof(err)) != 0) {
		backups_fetch_failed(bs, "%s", res->out_cut ? "restic snapshots: answer too long" : err);
		return;
	}
	rs->asking = 0;
	restic_next_size(bs);
}

static void restic_fetch(struct backups_source *bs, struct backup_set *set)
{
	struct restic_source *rs = bs->data;
	char *where = xasprintf("repository %s", rs->repository);
	backups_set_text(&set->where, where);
	free(where);
	if (bs->src->loop == NULL) {
		backups_fetch_failed(bs, "no loop");
		return;
	}
	static const char *const tail[] = {"snapshots", "--json", NULL};
	rs->run = restic_start(bs, tail, restic_snapshots_done);
}

static void restic_restore_text(struct backups_source *bs, struct backup_set *set)
{
	struct restic_source *rs = bs->data;
	const struct backup *b = NULL;
	for (size_t i = 0; i < set->nbackups && b == NULL; i++)
		if (set->backups[i].complete)
			b = &set->backups[i];
	if (b == NULL)
		return;
	struct util_buf prefix = {0};
	for (size_t i = 0; rs->command[i] != NULL; i++) {
		char *q = backups_shell_quote(rs->command[i]);
		if (i > 0)
			util_buf_add(&prefix, " ", 1);
		util_buf_add(&prefix, q, strlen(q));
		free(q);
	}
	char *repo = backups_shell_quote(rs->repository);
	char *id = backups_shell_quote(b->raw);
	char *lines[] = {
	    xstrdup("# the password as sitrep has it: RESTIC_PASSWORD_FILE=... or RESTIC_PASSWORD=..."),
	    xasprintf("%s -r %s restore %s --target / # puts every file of the snapshot back where it was",
	              prefix.s, repo, id),
	};
	set->restore = xcalloc(ARRAY_LEN(lines) + 1, sizeof(char *));
	for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
		set->restore[i] = sanitize_str(lines[i]);
		free(lines[i]);
	}
	free(prefix.s);
	free(repo);
	free(id);
}

/* The snapshot is restored into a new directory (restic makes it), its
 * files counted, the directory removed. */
static int restic_verify_plan(struct backups_source *bs, const struct backup *b, struct backups_plan *plan,
                              const char *stamp, char *err, size_t cap)
{
	(void)err, (void)cap;
	struct restic_source *rs = bs->data;
	unsigned t = bs->verify_ms;
	plan->scratch = xasprintf("%s/sitrep-verify-%s", bs->scratch_dir, stamp);
	plan->target = xasprintf("directory %s", plan->scratch);
	char **env = backups_password_env(bs, "RESTIC_PASSWORD");
	backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, env, rs->command, "-r", rs->repository, "restore",
	                 b->raw, "--target", plan->scratch, NULL);
	int count = backups_plan_add(plan, BACKUPS_STEP_CHECK, t, -1, NULL, NULL, "find", plan->scratch,
	                             "-type", "f", NULL);
	plan->steps[count].count = true;
	backups_plan_add(plan, BACKUPS_STEP_CLEANUP, t, -1, NULL, NULL, "rm", "-rf", "--", plan->scratch,
	                 NULL);
	config_free_argv(env);
	return 0;
}

static void restic_cancel(struct backups_source *bs)
{
	struct restic_source *rs = bs->data;
	if (rs != NULL && rs->run != NULL)
		run_cancel(rs->run);
}

static void restic_free(void *data)
{
	struct restic_source *rs = data;
	if (rs == NULL)
		return;
	free(rs->repository);
	config_free_argv(rs->command);
	for (size_t i = 0; i < RESTIC_SIZES; i++)
		free(rs->sizes[i].id);
	free(rs);
}

static const struct backups_backend restic_backend = {
    .name = "restic",
    .init = restic_init,
    .fetch = restic_fetch,
    .restore_text = restic_restore_text,
    .verify_plan = restic_verify_plan,
    .cancel = restic_cancel,
    .free = restic_free,
};

static int restic_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	return backups_source_init(src, ctx, node, &restic_backend);
}

const struct source_ops source_restic = {
    .name = "restic",
    .kind = "backups",
    .init = restic_source_init,
    .start = backups_source_start,
    .refresh = backups_source_refresh,
    .prepare = backups_source_prepare,
    .act = backups_source_act,
    .stop = backups_source_stop,
    .destroy = backups_source_destroy,
    .runs_commands = true,
};
