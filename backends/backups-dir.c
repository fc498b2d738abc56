/* backups-dir: the "dir" source of a backups pane: dump files in one
 * directory whose names match a pattern ("glob": "/var/backups/app/NAME*.dump";
 * wildcards only in the last part). The newest by mtime is the newest
 * backup; sizes give the shrink check; the newest two are sniffed (pg_dump
 * custom or plain, gzip, zstd) so a zero-byte dump or a plain dump without
 * pg_dump's closing line is seen at once. With "verify": true the newest is
 * checked by its tool (`pg_restore --list`, `gzip -t`, `zstd -t`), once per
 * file (its inode, size and mtime), since reading a big dump costs.
 *
 * Names are outside text: they are sanitized for display, and a path
 * reaches a command only as one argv element that begins with the
 * directory ("/..."), so a file called "-rf" or "$(x)" is inert. Symlinks
 * are never followed (fstatat with AT_SYMLINK_NOFOLLOW, openat with
 * O_NOFOLLOW): one that leads out of the directory is named in the pane's
 * warning; one inside it is only another name of a file already listed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backups-common.h"
#include "sitrep/kinds/backups.h"
#include "sitrep/core/config.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* Backups kept in the model (the detail view lists them); the rest are counted. */
#define DIR_KEEP              50
#define DIR_VERIFY_TIMEOUT_MS 120000
/* pg_dump's last line in a plain dump. */
#define DIR_PLAIN_END "-- PostgreSQL database dump complete"

struct dir_source {
	char *glob;     /* as configured */
	char *dir;      /* the part before the last '/' */
	char *pattern;  /* the part after it */
	char *database; /* for the restore commands: the database a dump goes back into */
	bool verify;
	struct run *run;        /* the verify in flight */
	struct backup_set *set; /* the set waiting for it (borrowed: bs->fetching) */
	/* the file last verified and what its check said */
	uint64_t v_dev, v_ino;
	int64_t v_size, v_mtime;
	bool v_ok;
	char *v_text;
};

static int dir_init(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node, void **data)
{
	(void)bs;
	struct dir_source *ds = xcalloc(1, sizeof(*ds));
	*data = ds;
	if (config_get_string(ctx, node, "glob", true, NULL, &ds->glob) != 0 ||
	    config_get_bool(ctx, node, "verify", false, &ds->verify) != 0 ||
	    config_get_string(ctx, node, "database", false, NULL, &ds->database) != 0)
		return -1;
	const char *slash = strrchr(ds->glob, '/');
	if (ds->glob[0] != '/' || slash == NULL || slash[1] == '\0')
		return config_fail(
		    ctx, jsonc_get(node, "glob"),
		    "expected an absolute path whose last part is a pattern: \"/var/backups/app/*.dump\"");
	ds->dir = xstrndup(ds->glob, slash == ds->glob ? 1 : (size_t)(slash - ds->glob));
	ds->pattern = xstrdup(slash + 1);
	if (strpbrk(ds->dir, "*?[") != NULL)
		return config_fail(ctx, jsonc_get(node, "glob"),
		                   "wildcards only in the file name: the directory is read, never searched");
	return 0;
}

const char *backups_dir_format(const unsigned char *head, size_t n)
{
	if (n >= 5 && memcmp(head, "PGDMP", 5) == 0)
		return "custom";
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		return "gzip";
	if (n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
		return "zstd";
	if (n >= 2 && head[0] == '-' && head[1] == '-')
		return "plain";
	if (n >= 3 && (memcmp(head, "SET", 3) == 0 || memcmp(head, "\n--", 3) == 0))
		return "plain";
	return "unknown";
}

/* One file matched: what the scan keeps of it before the newest are chosen. */
struct dir_entry {
	char *name;
	int64_t mtime;
	int64_t size;
	uint64_t dev, ino;
};

static int dir_entry_cmp(const void *pa, const void *pb)
{
	const struct dir_entry *a = pa, *b = pb;
	if (a->mtime != b->mtime)
		return a->mtime > b->mtime ? -1 : 1;
	return -strcmp(a->name, b->name);
}

/* Format, zero bytes and a plain dump's end, read through the directory's
 * fd without following a symlink or blocking on a FIFO. */
static void dir_sniff(int dfd, const char *name, struct backup *b)
{
	if (b->size == 0) {
		b->complete = false;
		backups_set_text(&b->problem, "zero bytes");
		free(b->format);
		b->format = xstrdup("empty");
		return;
	}
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		b->complete = false;
		char *t = xasprintf("cannot open: %s", strerror(errno));
		backups_set_text(&b->problem, t);
		free(t);
		return;
	}
	unsigned char head[16];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	const char *fmt = backups_dir_format(head, n > 0 ? (size_t)n : 0);
	free(b->format);
	b->format = xstrdup(fmt);
	if (strcmp(fmt, "plain") == 0) {
		char tail[256];
		off_t at = b->size > (int64_t)sizeof(tail) ? b->size - (off_t)sizeof(tail) : 0;
		ssize_t t = pread(fd, tail, sizeof(tail) - 1, at);
		tail[t > 0 ? t : 0] = '\0';
		if (t <= 0 ||
		    memmem(tail, (size_t)(t > 0 ? t : 0), DIR_PLAIN_END, strlen(DIR_PLAIN_END)) == NULL) {
			b->complete = false;
			backups_set_text(&b->problem, "truncated: pg_dump's closing line is missing");
		}
	}
	close(fd);
}

/* A symlink in the directory: does it lead out? Its text is read, never followed. */
static bool dir_link_leaves(int dfd, const char *name, const char *dir)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	const char *rest = buf;
	if (buf[0] == '/') {
		/* inside only as DIR/NAME */
		size_t dl = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
		if (strncmp(buf, dir, dl) != 0 || buf[dl] != '/')
			return true;
		rest = buf + dl + 1;
	}
	/* a plain name in the same directory, nothing else */
	return rest[0] == '\0' || strchr(rest, '/') != NULL || strcmp(rest, "..") == 0 ||
	       strcmp(rest, ".") == 0;
}

int backups_dir_scan(struct backup_set *set, const char *dir, const char *pattern, size_t keep,
                     size_t *matched, char **warning, char *err, size_t cap)
{
	*matched = 0;
	*warning = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
	DIR *dp = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (dp == NULL) {
		char *d = sanitize_str(dir);
		snprintf(err, cap, "backup directory %s: %s", d, strerror(errno));
		free(d);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	struct dir_entry *all = NULL;
	size_t n = 0, capn = 0, outside = 0;
	char *first_out = NULL;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		if (fnmatch(pattern, de->d_name, FNM_PERIOD) != 0)
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if (dir_link_leaves(dfd, de->d_name, dir)) {
				if (outside++ == 0)
					first_out = xstrdup(de->d_name);
			}
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (n == capn) {
			capn = capn ? capn * 2 : 64;
			all = xrealloc(all, capn * sizeof(*all));
		}
		all[n++] = (struct dir_entry){.name = xstrdup(de->d_name),
		                              .mtime = (int64_t)st.st_mtime,
		                              .size = (int64_t)st.st_size,
		                              .dev = (uint64_t)st.st_dev,
		                              .ino = (uint64_t)st.st_ino};
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), dir_entry_cmp);
	*matched = n;
	for (size_t i = 0; i < n && i < keep; i++) {
		struct backup *b = backups_add(set);
		b->time = all[i].mtime;
		b->size = all[i].size;
		backups_set_text(&b->type, "dump");
		backups_set_text(&b->label, all[i].name);
		free(b->raw);
		b->raw = xasprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", all[i].name);
		if (i < 2)
			dir_sniff(dfd, all[i].name, b);
	}
	for (size_t i = 0; i < n; i++)
		free(all[i].name);
	free(all);
	if (outside > 0) {
		char *name = sanitize(first_out, strlen(first_out), 120);
		*warning = outside == 1
		               ? xasprintf("%s is a symlink out of the directory: not followed", name)
		               : xasprintf("%zu symlinks out of the directory (%s, ...): not followed",
		                           outside, name);
		free(name);
	}
	free(first_out);
	closedir(dp);
	return 0;
}

/* ---- verify ---- */

static void dir_verify_done(struct run_result *res, void *arg)
{
	struct backups_source *bs = arg;
	struct dir_source *ds = bs->data;
	ds->run = NULL;
	struct backup_set *set = ds->set;
	ds->set = NULL;
	if (res->cancelled || set == NULL)
		return; /* stopping: the set stays the common part's (bs->fetching) to free */
	struct backup *b = &set->backups[0];
	free(ds->v_text);
	if (res->error != NULL || res->signal != 0 || res->status != 0 || res->timed_out) {
		ds->v_ok = false;
		char *tool = xstrdup(strcmp(b->format, "custom") == 0 ? "pg_restore --list"
		                     : strcmp(b->format, "gzip") == 0 ? "gzip -t"
		                                                      : "zstd -t");
		ds->v_text = backups_run_error(tool, res);
		free(tool);
	} else {
		ds->v_ok = true;
		size_t entries = 0;
		for (const char *p = res->out; strcmp(b->format, "custom") == 0 && p != NULL && *p != '\0';) {
			if (*p != ';' && *p != '\n')
				entries++;
			p = strchr(p, '\n');
			p = p != NULL ? p + 1 : NULL;
		}
		ds->v_text = strcmp(b->format, "custom") == 0
		                 ? xasprintf("pg_restore --list: %zu entries", entries)
		             : strcmp(b->format, "gzip") == 0 ? xstrdup("gzip -t: ok")
		                                              : xstrdup("zstd -t: ok");
	}
	set->verified = true;
	backups_set_text(&set->verify_result, ds->v_text);
	if (!ds->v_ok) {
		b->complete = false;
		backups_set_text(&b->problem, ds->v_text);
	}
	backups_fetched(bs, set);
}

/* Verifies the newest when it is new to us; else applies the cached answer. */
static bool dir_verify(struct backups_source *bs, struct backup_set *set)
{
	struct dir_source *ds = bs->data;
	struct backup *b = set->nbackups > 0 ? &set->backups[0] : NULL;
	if (!ds->verify || b == NULL || !b->complete)
		return false;
	if (strcmp(b->format, "plain") == 0) {
		set->verified = true;
		backups_set_text(&set->verify_result, "plain SQL: pg_dump's closing line present");
		return false;
	}
	const char *tool = strcmp(b->format, "custom") == 0 ? "pg_restore"
	                   : strcmp(b->format, "gzip") == 0 ? "gzip"
	                   : strcmp(b->format, "zstd") == 0 ? "zstd"
	                                                    : NULL;
	if (tool == NULL) {
		backups_set_text(&set->verify_result, "not checked: not a format sitrep knows");
		return false;
	}
	struct stat st;
	if (lstat(b->raw, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (ds->v_text != NULL && ds->v_dev == (uint64_t)st.st_dev && ds->v_ino == (uint64_t)st.st_ino &&
	    ds->v_size == (int64_t)st.st_size && ds->v_mtime == (int64_t)st.st_mtime) {
		set->verified = true;
		backups_set_text(&set->verify_result, ds->v_text);
		if (!ds->v_ok) {
			b->complete = false;
			backups_set_text(&b->problem, ds->v_text);
		}
		return false;
	}
	if (bs->src->loop == NULL)
		return false;
	ds->v_dev = (uint64_t)st.st_dev;
	ds->v_ino = (uint64_t)st.st_ino;
	ds->v_size = (int64_t)st.st_size;
	ds->v_mtime = (int64_t)st.st_mtime;
	free(ds->v_text);
	ds->v_text = NULL;
	char *argv[4] = {(char *)tool, NULL, b->raw, NULL};
	argv[1] = strcmp(tool, "pg_restore") == 0 ? "--list" : "-t";
	char *zargv[] = {(char *)"zstd", (char *)"-q", (char *)"-t", b->raw, NULL};
	ds->set = set;
	ds->run = backups_run(bs, strcmp(tool, "zstd") == 0 ? zargv : argv, NULL, DIR_VERIFY_TIMEOUT_MS,
	                      dir_verify_done, bs);
	return true;
}

static void dir_fetch(struct backups_source *bs, struct backup_set *set)
{
	struct dir_source *ds = bs->data;
	backups_set_text(&set->where, ds->glob);
	char err[512];
	size_t matched = 0;
	char *warning = NULL;
	if (backups_dir_scan(set, ds->dir, ds->pattern, DIR_KEEP, &matched, &warning, err, sizeof(err)) !=
	    0) {
		/* the directory is gone: that is what the set says, loudly (crit), not a stale pane */
		backups_set_text(&set->error, err);
		source_set_warning(bs->src, NULL);
		backups_fetched(bs, set);
		return;
	}
	set->found = matched;
	source_set_warning(bs->src, warning);
	free(warning);
	if (!dir_verify(bs, set))
		backups_fetched(bs, set);
}

static void dir_restore_text(struct backups_source *bs, struct backup_set *set)
{
	struct dir_source *ds = bs->data;
	const struct backup *b = NULL;
	for (size_t i = 0; i < set->nbackups && b == NULL; i++)
		if (set->backups[i].complete)
			b = &set->backups[i];
	if (b == NULL)
		return;
	char *path = backups_shell_quote(b->raw);
	char *db = backups_shell_quote(ds->database != NULL ? ds->database : "DATABASE");
	char *cmd;
	if (strcmp(b->format, "custom") == 0)
		cmd = xasprintf("pg_restore --clean --if-exists --no-owner -d %s %s", db, path);
	else if (strcmp(b->format, "gzip") == 0)
		cmd = xasprintf("gzip -dc %s | psql -X -v ON_ERROR_STOP=1 -d %s", path, db);
	else if (strcmp(b->format, "zstd") == 0)
		cmd = xasprintf("zstd -dc %s | psql -X -v ON_ERROR_STOP=1 -d %s", path, db);
	else
		cmd = xasprintf("psql -X -v ON_ERROR_STOP=1 -d %s -f %s", db, path);
	set->restore = xcalloc(3, sizeof(char *));
	set->restore[0] = sanitize_str("# stop the application first; this replaces the database's contents");
	set->restore[1] = sanitize_str(cmd);
	free(cmd);
	free(path);
	free(db);
}

/* A dump goes into a new database sitrep_verify_<time>_<pid> on the pane's
 * server (its conninfo with that dbname added last, which libpq takes over
 * any before it); compressed dumps are unpacked into a scratch directory
 * first, since a pipe would need a shell. */
static int dir_verify_plan(struct backups_source *bs, const struct backup *b, struct backups_plan *plan,
                           const char *stamp, char *err, size_t cap)
{
	if (bs->conninfo == NULL) {
		snprintf(err, cap, "verify needs \"conninfo\": the server the scratch database is made on");
		return -1;
	}
	if (strncmp(bs->conninfo, "postgres://", 11) == 0 ||
	    strncmp(bs->conninfo, "postgresql://", 13) == 0) {
		snprintf(err, cap,
		         "verify needs a keyword=value \"conninfo\" (host=... user=...), not a URI");
		return -1;
	}
	bool gz = strcmp(b->format, "gzip") == 0, zst = strcmp(b->format, "zstd") == 0;
	bool custom = strcmp(b->format, "custom") == 0, plain = strcmp(b->format, "plain") == 0;
	if (!gz && !zst && !custom && !plain) {
		snprintf(err, cap, "the newest dump %s is not a format sitrep can restore", b->label);
		return -1;
	}
	char db[80];
	snprintf(db, sizeof(db), "sitrep_verify_%s", stamp);
	for (char *p = db; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	char *conn_db = xasprintf("%s dbname=%s", bs->conninfo, db);
	char **env = backups_password_env(bs, "PGPASSWORD");
	unsigned t = bs->verify_ms;
	plan->target = xasprintf("database %s", db);
	char *create = xasprintf("create database %s", db);
	char *drop = xasprintf("drop database %s", db);
	int made = backups_plan_add(plan, BACKUPS_STEP_SETUP, t, -1, env, bs->psql, "-X", "-q", "-v",
	                            "ON_ERROR_STOP=1", "-d", bs->conninfo, "-c", create, NULL);
	char *sql = NULL;
	if (gz || zst) {
		plan->scratch = xasprintf("%s/sitrep-verify-%s", bs->scratch_dir, stamp);
		plan->mkdir_scratch = true;
		sql = xasprintf("%s/dump.sql", plan->scratch);
		if (gz) {
			char *copy = xasprintf("%s.gz", sql);
			backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, NULL, "cp", "--", b->raw,
			                 copy, NULL);
			backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, NULL, "gzip", "-d", copy,
			                 NULL);
			free(copy);
		} else {
			backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, NULL, NULL, "zstd", "-q", "-d",
			                 b->raw, "-o", sql, NULL);
		}
	}
	if (custom)
		backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, env, bs->pg_restore, "--no-owner",
		                 "--no-acl", "--exit-on-error", "-d", conn_db, b->raw, NULL);
	else
		backups_plan_add(plan, BACKUPS_STEP_RESTORE, t, -1, env, bs->psql, "-X", "-q", "-v",
		                 "ON_ERROR_STOP=1", "-d", conn_db, "-f", sql != NULL ? sql : b->raw, NULL);
	bool def;
	char *const *q = backups_sanity(bs, &def);
	plan->need_rows = def;
	for (size_t i = 0; q[i] != NULL; i++)
		backups_plan_add(plan, BACKUPS_STEP_CHECK, t, -1, env, bs->psql, "-X", "-A", "-t", "-q", "-v",
		                 "ON_ERROR_STOP=1", "-d", conn_db, "-c", q[i], NULL);
	backups_plan_add(plan, BACKUPS_STEP_CLEANUP, t, made, env, bs->psql, "-X", "-q", "-v",
	                 "ON_ERROR_STOP=1", "-d", bs->conninfo, "-c", drop, NULL);
	if (plan->scratch != NULL)
		backups_plan_add(plan, BACKUPS_STEP_CLEANUP, t, -1, NULL, NULL, "rm", "-rf", "--",
		                 plan->scratch, NULL);
	free(create);
	free(drop);
	free(sql);
	free(conn_db);
	config_free_argv(env);
	return 0;
}

static void dir_cancel(struct backups_source *bs)
{
	struct dir_source *ds = bs->data;
	if (ds != NULL && ds->run != NULL)
		run_cancel(ds->run);
}

static void dir_free(void *data)
{
	struct dir_source *ds = data;
	if (ds == NULL)
		return;
	free(ds->glob);
	free(ds->dir);
	free(ds->pattern);
	free(ds->database);
	free(ds->v_text);
	free(ds);
}

static const struct backups_backend dir_backend = {
    .name = "dir",
    .init = dir_init,
    .fetch = dir_fetch,
    .restore_text = dir_restore_text,
    .verify_plan = dir_verify_plan,
    .cancel = dir_cancel,
    .free = dir_free,
};

static int dir_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	return backups_source_init(src, ctx, node, &dir_backend);
}

const struct source_ops source_backups_dir = {
    .name = "dir",
    .kind = "backups",
    .init = dir_source_init,
    .start = backups_source_start,
    .refresh = backups_source_refresh,
    .prepare = backups_source_prepare,
    .act = backups_source_act,
    .stop = backups_source_stop,
    .destroy = backups_source_destroy,
    .runs_commands = true,
};
