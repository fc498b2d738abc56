/* backups-act: the two verbs of a backups pane, through the action gate.
 *
 * backup (B): runs the set's configured "backup" argv (no shell; "{time}"
 * in an element becomes the press's time), its output streamed as the
 * action's progress. It is done when the source, read again after the
 * command ended, shows a usable backup newer than the press; its size is
 * the outcome. A command killed at its timeout is recorded unknown (it may
 * have written a backup), one that fails is failed, and one that exits 0
 * without a new usable backup (a zero-byte dump) is failed too.
 *
 * verify (V): restores the newest usable backup into a scratch target that
 * sitrep names and that must not exist before (a new database
 * sitrep_verify_<time>_<pid> for dumps, a new directory under
 * "scratch_dir" for pgBackRest, started with pg_ctl on a free port, or for
 * restic), runs the sanity queries, measures the restore, and removes the
 * scratch target whatever happened. Each backend writes its steps
 * (verify_plan); the dialog shows every one of them, and act runs exactly
 * those. Production is never a target: no step names the configured data
 * directory or database, and restoring production stays a copy-paste of
 * the detail view's commands. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/backups-common.h"
#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/backups.h"
#include "sitrep/config.h"
#include "sitrep/jsonc.h"
#include "sitrep/kind.h"
#include "sitrep/run.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/util.h"

#define BACKUPS_BACKUP_TIMEOUT_S 3600
#define BACKUPS_VERIFY_TIMEOUT_S 1800
/* What is kept of a check's answer for the outcome. */
#define BACKUPS_FINDING_MAX 300

/* Row counts of the five largest tables, as one line. */
static const char backups_default_sanity[] =
    "select coalesce(string_agg(format('%s %s rows', t, n), ', ' order by s desc), '') from ("
    "select c.oid::regclass::text as t, pg_total_relation_size(c.oid) as s, "
    "(xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %s', c.oid::regclass), "
    "false, true, '')))[1]::text::bigint as n "
    "from pg_class c join pg_namespace ns on ns.oid = c.relnamespace "
    "where c.relkind in ('r', 'p') and ns.nspname not in ('pg_catalog', 'information_schema') "
    "and ns.nspname not like 'pg_toast%' order by s desc limit 5) x";

enum backups_op { BACKUPS_BACKUP, BACKUPS_VERIFY };

/* What an action will do, built by prepare, done by act. */
struct backups_request {
	enum backups_op op;
	char **argv; /* backup: the command */
	unsigned timeout_ms;
	struct backups_plan plan; /* verify */
};

struct backups_job {
	struct backups_source *bs;
	struct action *action;
	struct run *run;
	int64_t press;   /* backup: unix seconds of the start */
	bool waiting;    /* backup: the command ended; waiting for a fresh read */
	bool read_again; /* a read began before the command ended: one more */
	double command_s;
	/* verify */
	size_t step;
	bool *ok; /* per step: ran and succeeded */
	bool failed;
	char *why; /* the first failure */
	double restore_s;
	struct util_buf findings;
	bool created; /* the scratch directory was made by sitrep */
};

/* ---- config ---- */

int backups_act_init(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node)
{
	double bt = BACKUPS_BACKUP_TIMEOUT_S, vt = BACKUPS_VERIFY_TIMEOUT_S;
	if (config_get_argv(ctx, node, "backup", false, &bs->backup) != 0 ||
	    config_get_number(ctx, node, "backup_timeout_seconds", false, bt, 1, 86400, &bt) != 0 ||
	    config_get_number(ctx, node, "verify_timeout_seconds", false, vt, 1, 86400, &vt) != 0 ||
	    config_get_string(ctx, node, "scratch_dir", false, "/tmp", &bs->scratch_dir) != 0 ||
	    config_get_argv(ctx, node, "sanity", false, &bs->sanity) != 0 ||
	    config_get_argv(ctx, node, "pg_ctl", false, &bs->pg_ctl) != 0 ||
	    config_get_argv(ctx, node, "pg_restore", false, &bs->pg_restore) != 0 ||
	    config_get_string(ctx, node, "verify_user", false, "postgres", &bs->verify_user) != 0 ||
	    config_get_string(ctx, node, "verify_database", false, "postgres", &bs->verify_database) != 0)
		return -1;
	if (bs->backup != NULL && bs->backup[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "backup"), "expected a non-empty argv");
	if (bs->sanity != NULL && bs->sanity[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "sanity"), "expected at least one SQL query");
	/* pg_ctl hands its -o options to a shell: the scratch path is kept to plain characters */
	if (bs->scratch_dir[0] != '/' ||
	    strspn(bs->scratch_dir, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") !=
	        strlen(bs->scratch_dir) ||
	    strlen(bs->scratch_dir) > 50)
		return config_fail(
		    ctx, jsonc_get(node, "scratch_dir"),
		    "expected an absolute path of at most 50 letters, digits, '/', '.', '_' or '-'");
	if (bs->pg_ctl == NULL) {
		bs->pg_ctl = xcalloc(2, sizeof(char *));
		bs->pg_ctl[0] = xstrdup("pg_ctl");
	}
	if (bs->pg_restore == NULL) {
		bs->pg_restore = xcalloc(2, sizeof(char *));
		bs->pg_restore[0] = xstrdup("pg_restore");
	}
	bs->backup_ms = (unsigned)(bt * 1000);
	bs->verify_ms = (unsigned)(vt * 1000);
	return 0;
}

void backups_act_free(struct backups_source *bs)
{
	config_free_argv(bs->backup);
	free(bs->scratch_dir);
	config_free_argv(bs->sanity);
	config_free_argv(bs->pg_ctl);
	config_free_argv(bs->pg_restore);
	free(bs->verify_user);
	free(bs->verify_database);
}

/* ---- plans ---- */

int backups_plan_add(struct backups_plan *p, enum backups_step_role role, unsigned timeout_ms, int after,
                     char *const *env, char *const *prefix, ...)
{
	va_list ap;
	size_t n = 0, np = 0;
	while (prefix != NULL && prefix[np] != NULL)
		np++;
	va_start(ap, prefix);
	while (va_arg(ap, const char *) != NULL)
		n++;
	va_end(ap);
	char **argv = xcalloc(np + n + 1, sizeof(char *));
	for (size_t i = 0; i < np; i++)
		argv[i] = xstrdup(prefix[i]);
	va_start(ap, prefix);
	for (size_t i = 0; i < n; i++)
		argv[np + i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	p->steps = xrealloc(p->steps, (p->n + 1) * sizeof(*p->steps));
	struct backups_step *s = &p->steps[p->n];
	memset(s, 0, sizeof(*s));
	s->role = role;
	s->argv = argv;
	s->timeout_ms = timeout_ms;
	s->after = after;
	size_t ne = 0;
	while (env != NULL && env[ne] != NULL)
		ne++;
	if (ne > 0) {
		s->env = xcalloc(ne + 1, sizeof(char *));
		for (size_t i = 0; i < ne; i++)
			s->env[i] = xstrdup(env[i]);
	}
	return (int)p->n++;
}

static void backups_plan_clear(struct backups_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		config_free_argv(p->steps[i].argv);
		for (size_t k = 0; p->steps[i].env != NULL && p->steps[i].env[k] != NULL; k++)
			explicit_bzero(p->steps[i].env[k], strlen(p->steps[i].env[k]));
		config_free_argv(p->steps[i].env);
	}
	free(p->steps);
	free(p->target);
	free(p->scratch);
	free(p->label);
	memset(p, 0, sizeof(*p));
}

char *const *backups_sanity(const struct backups_source *bs, bool *is_default)
{
	static const char *const def[] = {backups_default_sanity, NULL};
	*is_default = bs->sanity == NULL;
	return bs->sanity != NULL ? bs->sanity : (char *const *)def;
}

char **backups_password_env(const struct backups_source *bs, const char *name)
{
	if (bs->password == NULL)
		return NULL;
	char **env = xcalloc(2, sizeof(char *));
	env[0] = xasprintf("%s=%s", name, bs->password);
	return env;
}

int backups_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int port = 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* "argv: a b 'c d'" of one element list, sanitized (secrets masked). */
static char *backups_argv_text(char *const *argv)
{
	struct util_buf b = {0};
	for (size_t i = 0; argv[i] != NULL; i++) {
		char *q = backups_shell_quote(argv[i]);
		if (i > 0)
			util_buf_add(&b, " ", 1);
		util_buf_add(&b, q, strlen(q));
		free(q);
	}
	char *clean = sanitize_str(b.s != NULL ? b.s : "");
	free(b.s);
	return clean;
}

static void backups_request_free(void *p)
{
	struct backups_request *r = p;
	if (r == NULL)
		return;
	config_free_argv(r->argv);
	backups_plan_clear(&r->plan);
	free(r);
}

/* ---- prepare ---- */

static const struct backup *backups_act_newest_good(const struct backup_set *set)
{
	for (size_t i = 0; set != NULL && i < set->nbackups; i++)
		if (set->backups[i].complete)
			return &set->backups[i];
	return NULL;
}

static void backups_stamp(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char t[32];
	strftime(t, sizeof(t), "%Y%m%dT%H%M%S", &tm);
	snprintf(buf, cap, "%s_%ld", t, (long)getpid());
}

static int backups_prepare_backup(struct backups_source *bs, struct action *a, struct backups_request *r,
                                  char *err, size_t cap)
{
	if (bs->backup == NULL) {
		snprintf(err, cap, "no \"backup\" argv configured for pane %s", bs->src->cfg->id);
		return -1;
	}
	char stamp[48];
	backups_stamp(stamp, sizeof(stamp));
	stamp[15] = '\0'; /* the time alone: 20261207T221500 */
	size_t n = 0;
	while (bs->backup[n] != NULL)
		n++;
	r->argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		/* each element stays one element, whatever the substitution */
		const char *e = bs->backup[i];
		struct util_buf b = {0};
		for (const char *p = e; *p != '\0';) {
			const char *hit = strstr(p, "{time}");
			if (hit == NULL) {
				util_buf_add(&b, p, strlen(p));
				break;
			}
			util_buf_add(&b, p, (size_t)(hit - p));
			util_buf_add(&b, stamp, strlen(stamp));
			p = hit + 6;
		}
		r->argv[i] = b.s != NULL ? b.s : xstrdup("");
	}
	r->timeout_ms = bs->backup_ms;
	char *text = backups_argv_text(r->argv);
	const struct backup_set *set = bs->last;
	char *where = sanitize_str(set != NULL && set->where != NULL ? set->where : bs->be->name);
	char *effect = xasprintf("argv: %s (timeout %u s; its output shown as it runs)\n"
	                         "then check: %s shows a usable backup newer than the press, with its size",
	                         text, r->timeout_ms / 1000, where);
	action_set_effect(a, effect);
	free(effect);
	free(where);
	free(text);
	/* the command, its kill, a read of the source and a margin */
	a->timeout_ms = r->timeout_ms + RUN_DEFAULT_GRACE_MS + 90000;
	return 0;
}

static int backups_prepare_verify(struct backups_source *bs, struct action *a, struct backups_request *r,
                                  char *err, size_t cap)
{
	const struct backup *b = backups_act_newest_good(bs->last);
	if (bs->be->verify_plan == NULL) {
		snprintf(err, cap, "a %s pane cannot verify a restore", bs->be->name);
		return -1;
	}
	if (b == NULL) {
		snprintf(err, cap, "no usable backup to restore%s",
		         bs->last == NULL ? " (not read yet)" : "");
		return -1;
	}
	char stamp[48];
	backups_stamp(stamp, sizeof(stamp));
	if (bs->be->verify_plan(bs, b, &r->plan, stamp, err, cap) != 0)
		return -1;
	r->plan.label = xstrdup(b->label);
	struct util_buf e = {0};
	char *head = xasprintf("restore backup %s into %s (scratch; never production), check it, remove it; "
	                       "each step's timeout %u s:",
	                       b->label, r->plan.target, bs->verify_ms / 1000);
	char *clean = sanitize_str(head);
	util_buf_add(&e, clean, strlen(clean));
	free(clean);
	free(head);
	if (r->plan.mkdir_scratch) {
		char *m = xasprintf("\nsitrep: mkdir %s (mode 0700; refused if it exists)", r->plan.scratch);
		util_buf_add(&e, m, strlen(m));
		free(m);
	}
	static const char *const roles[] = {"setup", "restore", "check", "cleanup"};
	for (size_t i = 0; i < r->plan.n; i++) {
		char *t = backups_argv_text(r->plan.steps[i].argv);
		char *line = xasprintf("\n%s: argv: %s%s", roles[r->plan.steps[i].role], t,
		                       r->plan.steps[i].env != NULL ? " (password in its environment)" : "");
		util_buf_add(&e, line, strlen(line));
		free(line);
		free(t);
	}
	action_set_effect(a, e.s);
	free(e.s);
	free(a->target);
	a->target = xstrdup(bs->name);
	a->timeout_ms = (unsigned)((r->plan.n + 1) * (bs->verify_ms + RUN_DEFAULT_GRACE_MS)) + 5000;
	return 0;
}

/* `sitrep do` prepares before any refresh: the set is read first (the loop
 * is run here, which only `sitrep do` may do: the dashboard has a loop
 * running and has read the set long before a key comes). */
static void backups_read_first(struct source *src)
{
	struct backups_source *bs = src->data;
	if (bs->last != NULL || src->loop == NULL || src->app == NULL || src->app->ui != NULL)
		return;
	source_refresh_now(src);
	uint64_t end = uv_now(src->loop) + 120000;
	while (src->in_flight && uv_now(src->loop) < end && uv_run(src->loop, UV_RUN_ONCE) != 0)
		;
}

int backups_source_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct backups_source *bs = src->data;
	backups_read_first(src);
	bool backup = strcmp(a->verb, "backup") == 0;
	if (!backup && strcmp(a->verb, "verify") != 0) {
		snprintf(err, cap, "a backups pane cannot %s", a->verb);
		return -1;
	}
	struct backups_request *r = xcalloc(1, sizeof(*r));
	r->op = backup ? BACKUPS_BACKUP : BACKUPS_VERIFY;
	if ((backup ? backups_prepare_backup(bs, a, r, err, cap)
	            : backups_prepare_verify(bs, a, r, err, cap)) != 0) {
		backups_request_free(r);
		return -1;
	}
	if (backup) {
		free(a->target);
		a->target = xstrdup(bs->name);
	}
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = r;
	a->request_free = backups_request_free;
	return 0;
}

/* ---- act ---- */

static void backups_job_end(struct backups_job *job, enum action_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void backups_job_end(struct backups_job *job, enum action_result result, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	struct backups_source *bs = job->bs;
	if (bs->job == job)
		bs->job = NULL;
	struct action *a = job->action;
	free(job->ok);
	free(job->why);
	free(job->findings.s);
	free(job);
	action_finish(a, result, "%s", msg);
	free(msg);
	/* the pane shows the new backup (or the set as it is now) at once */
	source_refresh_now(bs->src);
}

static void backups_job_output(const char *data, size_t len, bool is_stderr, void *arg)
{
	action_progress_stream(arg, is_stderr, data, len);
}

/* The backup the press made: the newest usable one newer than it. */
static void backups_backup_check(struct backups_job *job, const char *error)
{
	struct backups_source *bs = job->bs;
	if (error != NULL) {
		backups_job_end(job, ACTION_FAILED,
		                "backup command done in %.1f s, but the backups could not be read back: %s",
		                job->command_s, error);
		return;
	}
	const struct backup_set *set = bs->last;
	const struct backup *made = NULL, *bad = NULL;
	for (size_t i = 0; set != NULL && i < set->nbackups; i++) {
		const struct backup *b = &set->backups[i];
		if (b->time < job->press)
			continue;
		if (b->complete && made == NULL)
			made = b;
		else if (!b->complete && bad == NULL)
			bad = b;
	}
	if (made != NULL) {
		char size[32] = "size unknown";
		if (made->size >= 0)
			util_bytes((double)made->size, size, sizeof(size));
		backups_job_end(job, ACTION_OK,
		                "new backup %s (%s, %s), complete %" PRId64 " s after the press", made->label,
		                made->type, size, made->time - job->press);
	} else if (bad != NULL) {
		backups_job_end(job, ACTION_FAILED,
		                "the command exited 0 but the new backup %s is not usable: %s", bad->label,
		                bad->problem != NULL ? bad->problem : "incomplete");
	} else {
		backups_job_end(job, ACTION_FAILED,
		                "the command exited 0 but no backup newer than the press is in %s",
		                set != NULL && set->where != NULL ? set->where : "the set");
	}
}

void backups_act_fetched(struct backups_source *bs, const char *error)
{
	struct backups_job *job = bs->job;
	if (job == NULL || !job->waiting)
		return;
	if (job->read_again) {
		/* that read began before the command ended: it proves nothing */
		job->read_again = false;
		source_refresh_now(bs->src);
		return;
	}
	backups_backup_check(job, error);
}

static void backups_backup_done(struct run_result *res, void *arg)
{
	struct backups_job *job = arg;
	job->run = NULL;
	job->command_s = res->seconds;
	struct backups_request *r = job->action->request;
	if (res->timed_out) {
		backups_job_end(
		    job, ACTION_UNKNOWN,
		    "backup command killed at its timeout (%u s): whether it left a backup is unknown",
		    r->timeout_ms / 1000);
		return;
	}
	if (res->cancelled) {
		backups_job_end(job, ACTION_UNKNOWN, "sitrep stopped the backup command before it ended");
		return;
	}
	if (res->error != NULL || res->signal != 0 || res->status != 0) {
		char *why = backups_run_error("backup command", res);
		backups_job_end(job, ACTION_FAILED, "%s", why);
		free(why);
		return;
	}
	job->waiting = true;
	struct source *src = job->bs->src;
	if (src->in_flight)
		job->read_again = true; /* its answer may predate the backup; the next one is asked then */
	else
		source_refresh_now(src);
}

static void backups_verify_next(struct backups_job *job);

static void backups_verify_step_done(struct run_result *res, void *arg)
{
	struct backups_job *job = arg;
	job->run = NULL;
	struct backups_request *r = job->action->request;
	const struct backups_step *s = &r->plan.steps[job->step];
	bool ok =
	    res->error == NULL && res->signal == 0 && res->status == 0 && !res->timed_out && !res->cancelled;
	job->ok[job->step] = ok;
	if (ok && s->role == BACKUPS_STEP_RESTORE)
		job->restore_s += res->seconds;
	if (ok && s->role == BACKUPS_STEP_CHECK && s->count) {
		size_t lines = 0;
		for (size_t i = 0; res->out != NULL && i < res->out_len; i++)
			lines += res->out[i] == '\n';
		if (lines == 0 && !job->failed) {
			job->failed = true;
			job->why = xstrdup("restored, but no file came back");
		}
		char *f = xasprintf("%s%zu files%s", job->findings.s != NULL ? "; " : "", lines,
		                    res->out_cut ? " or more" : "");
		util_buf_add(&job->findings, f, strlen(f));
		free(f);
	} else if (ok && s->role == BACKUPS_STEP_CHECK) {
		/* one line: the answer's lines joined, then made inert */
		char *raw = xstrndup(res->out != NULL ? res->out : "", res->out_len);
		for (char *p = raw; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		size_t rl = strlen(raw);
		while (rl > 0 && raw[rl - 1] == ' ')
			raw[--rl] = '\0';
		char *out = sanitize(raw, rl, BACKUPS_FINDING_MAX);
		free(raw);
		size_t len = strlen(out);
		if (len == 0 && r->plan.need_rows && !job->failed) {
			job->failed = true;
			job->why = xstrdup("restored, but it holds no table");
		}
		if (job->findings.s != NULL && job->findings.s[0] != '\0')
			util_buf_add(&job->findings, "; ", 2);
		util_buf_add(&job->findings, out, len);
		free(out);
	}
	if (!ok && !job->failed) {
		job->failed = true;
		char *t = backups_argv_text(s->argv);
		char *why = backups_run_error(s->argv[0], res);
		job->why =
		    xasprintf("%s failed: %s", s->role == BACKUPS_STEP_CLEANUP ? "cleanup" : "step", why);
		free(why);
		free(t);
	}
	job->step++;
	backups_verify_next(job);
}

static void backups_verify_finish(struct backups_job *job)
{
	struct backups_request *r = job->action->request;
	/* the scratch target must be gone, whatever its cleanup steps said */
	bool left = false;
	struct stat st;
	if (r->plan.scratch != NULL && lstat(r->plan.scratch, &st) == 0)
		left = true;
	if (r->plan.scratch != NULL && job->created && left && rmdir(r->plan.scratch) == 0)
		left = false;
	const char *found =
	    job->findings.s != NULL && job->findings.s[0] != '\0' ? job->findings.s : "nothing checked";
	if (job->failed)
		backups_job_end(job, ACTION_FAILED, "verify of %s into %s: %s%s%s", r->plan.label,
		                r->plan.target, job->why,
		                left ? "; the scratch directory is still there: " : "",
		                left ? r->plan.scratch : "");
	else if (left)
		backups_job_end(job, ACTION_FAILED, "restored %s in %.1f s (%s), but %s is still there",
		                r->plan.label, job->restore_s, found, r->plan.scratch);
	else
		backups_job_end(job, ACTION_OK, "restored %s into %s in %.1f s: %s; scratch removed",
		                r->plan.label, r->plan.target, job->restore_s, found);
}

static void backups_verify_next(struct backups_job *job)
{
	struct backups_request *r = job->action->request;
	while (job->step < r->plan.n) {
		const struct backups_step *s = &r->plan.steps[job->step];
		bool run =
		    s->role == BACKUPS_STEP_CLEANUP ? (s->after < 0 || job->ok[s->after]) : !job->failed;
		if (!run) {
			job->step++;
			continue;
		}
		char *t = backups_argv_text(s->argv);
		char *line = xasprintf("$ %s\n", t);
		action_progress(job->action, line, strlen(line));
		free(line);
		free(t);
		struct run_options opt = {
		    .argv = s->argv,
		    .env = s->env,
		    .pass_env = job->bs->src->cfg->pass_env,
		    .timeout_ms = s->timeout_ms,
		    .max_stdout = 64 * 1024,
		    .on_output = backups_job_output,
		    .output_arg = job->action,
		};
		job->run = run_start(job->bs->src->loop, &opt, backups_verify_step_done, job);
		return;
	}
	backups_verify_finish(job);
}

int backups_source_act(struct source *src, const struct action *action)
{
	struct backups_source *bs = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	struct backups_request *r = a->request;
	if (r == NULL || bs->job != NULL || src->loop == NULL)
		return -1;
	struct backups_job *job = xcalloc(1, sizeof(*job));
	job->bs = bs;
	job->action = a;
	bs->job = job;
	if (r->op == BACKUPS_BACKUP) {
		job->press = (int64_t)time(NULL);
		struct run_options opt = {
		    .argv = r->argv,
		    .pass_env = src->cfg->pass_env,
		    .timeout_ms = r->timeout_ms,
		    .max_stdout = 64 * 1024,
		    .max_stderr = 64 * 1024,
		    .on_output = backups_job_output,
		    .output_arg = a,
		};
		job->run = run_start(src->loop, &opt, backups_backup_done, job);
		return 0;
	}
	job->ok = xcalloc(r->plan.n + 1, sizeof(bool));
	if (r->plan.scratch != NULL) {
		/* sitrep's own name, new: never a directory that holds anything */
		struct stat st;
		if (lstat(r->plan.scratch, &st) == 0 || errno != ENOENT) {
			backups_job_end(job, ACTION_FAILED,
			                "%s already exists: not restoring into it; nothing was run",
			                r->plan.scratch);
			return 0;
		}
		if (r->plan.mkdir_scratch) {
			if (mkdir(r->plan.scratch, 0700) != 0) {
				backups_job_end(job, ACTION_FAILED, "cannot make %s: %s; nothing was run",
				                r->plan.scratch, strerror(errno));
				return 0;
			}
			job->created = true;
		}
	}
	backups_verify_next(job);
	return 0;
}

/* Called from the common stop: the command in flight ends (its callback reports). */
void backups_act_stop(struct backups_source *bs)
{
	if (bs->job != NULL && bs->job->run != NULL)
		run_cancel(bs->job->run);
}
