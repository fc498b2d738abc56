/* git: the "git" deploys source. The history is either the deploy tags
 * of a repository that match a pattern ("tags": "deploy-*", newest first by
 * their creation time) or the first-parent commits of a branch ("branch":
 * "production", in git's order), read with one-shot `git -C REPO ...` runs
 * (argv, never a shell). git prints NUL-separated fields (git refuses NUL in
 * names and subjects), so no commit subject can shift a field.
 *
 * current is the deploy at the commit of "current_ref" (HEAD by default),
 * or the id or commit printed by "current_command". Rollback runs the
 * configured "rollback" argv with every "{release}" replaced by the id (in
 * its element: the id stays one argument), then the restart argv, then
 * checks that the configured ref or command now names the target; with
 * neither configured, only the exit status vouches for it, and the outcome
 * says so. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/deploys-common.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define GITLOG_FIELDS  5
#define GITLOG_READ_MS 30000

struct git_deploys {
	struct deploys_common common; /* first: the family's hooks reach it */
	char *repo;
	char *tags;      /* a for-each-ref pattern under refs/tags/, or NULL */
	char *branch;    /* or a branch's first parents */
	char *ref;       /* current: this ref's commit (HEAD by default) */
	char **cur_argv; /* or what this prints */
	bool verify;     /* a ref or command was configured: rollback is checked with it */
	char **rollback; /* argv with {release} */
	unsigned max;
};

static bool git_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* The first line a command printed, blanks trimmed. Caller frees. */
static char *git_first_line(const char *out)
{
	while (isspace((unsigned char)*out))
		out++;
	size_t n = strcspn(out, "\r\n");
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	return xstrndup(out, n);
}

size_t git_parse(struct deploys_data *d, const char *text, size_t len, size_t *skipped)
{
	size_t added = 0, refused = 0;
	const char *end = text + len;
	const char *p = text;
	while (p < end) {
		const char *f[GITLOG_FIELDS];
		size_t fl[GITLOG_FIELDS];
		int n = 0;
		while (n < GITLOG_FIELDS && p < end) {
			const char *z = memchr(p, '\0', (size_t)(end - p));
			if (z == NULL)
				break;
			f[n] = p;
			fl[n] = (size_t)(z - p);
			n++;
			p = z + 1;
		}
		if (n < GITLOG_FIELDS) {
			/* the newline after the last record, or a cut record */
			bool blank = true;
			for (const char *q = n > 0 ? f[0] : p; q < end; q++)
				if (!isspace((unsigned char)*q))
					blank = false;
			if (!blank)
				refused++;
			break;
		}
		/* records after the first start with git's newline */
		if (fl[0] > 0 && f[0][0] == '\n')
			f[0]++, fl[0]--;
		bool ok = fl[0] > 0 && (fl[1] == 40 || fl[1] == 64) && git_hex(f[1], fl[1]) && fl[2] > 0 &&
		          fl[2] <= 11;
		for (size_t i = 0; ok && i < fl[2]; i++)
			ok = isdigit((unsigned char)f[2][i]);
		if (!ok) {
			refused++;
			continue;
		}
		char *id = xstrndup(f[0], fl[0]);
		struct deploy *dep = deploys_add(d, id);
		free(id);
		deploys_set(&dep->revision, f[1], fl[1]);
		dep->time = deploys_parse_time(f[2], fl[2]);
		deploys_set(&dep->author, f[3], fl[3]);
		deploys_set(&dep->message, f[4], fl[4]);
		added++;
	}
	if (skipped != NULL)
		*skipped = refused;
	return added;
}

/* The deploy that text (an id, a full or abbreviated commit) names, newest first. */
static struct deploy *git_match(struct deploys_data *d, const char *text)
{
	size_t n = strlen(text);
	if (n == 0)
		return NULL;
	struct deploy *p = deploys_find(d, text);
	if (p != NULL)
		return p;
	for (size_t i = 0; n >= 7 && git_hex(text, n) && i < d->n; i++)
		if (strncasecmp(d->deploys[i].revision, text, n) == 0)
			return &d->deploys[i];
	return NULL;
}

static char **git_list_argv(const struct git_deploys *g)
{
	char count[32];
	snprintf(count, sizeof(count), "%u", g->max);
	if (g->tags != NULL) {
		char *pattern = xasprintf("refs/tags/%s", g->tags);
		char *countopt = xasprintf("--count=%s", count);
		/* the commit a tag points at, the tagger (else the author), the commit's subject */
		char **argv = deploys_argv(
		    "git", "-C", g->repo, "for-each-ref", "--sort=-creatordate", countopt,
		    "--format=%(refname:lstrip=2)%00%(if)%(*objectname)%(then)%(*objectname)%(else)%("
		    "objectname)%("
		    "end)%00%(creatordate:unix)%00%(if)%(taggername)%(then)%(taggername)%(else)%(authorname)%"
		    "(end)%"
		    "00%(if)%(*objectname)%(then)%(*contents:subject)%(else)%(contents:subject)%(end)%00",
		    pattern, NULL);
		free(pattern);
		free(countopt);
		return argv;
	}
	/* --end-of-options: the branch is a revision, never an option */
	return deploys_argv("git", "-C", g->repo, "log", "--first-parent", "-n", count, "--abbrev=12",
	                    "--format=tformat:%h%x00%H%x00%ct%x00%an%x00%s%x00", "--end-of-options",
	                    g->branch, "--", NULL);
}

static char **git_current_argv(const struct git_deploys *g)
{
	if (g->cur_argv != NULL)
		return deploys_argv_copy(g->cur_argv);
	char *spec = xasprintf("%s^{commit}", g->ref);
	char **argv = deploys_argv("git", "-C", g->repo, "rev-parse", "--verify", "--quiet",
	                           "--end-of-options", spec, NULL);
	free(spec);
	return argv;
}

/* "git rev-parse HEAD" or the current_command, for messages. */
static char *git_current_text(const struct git_deploys *g)
{
	if (g->cur_argv != NULL)
		return deploys_argv_text(g->cur_argv);
	return sanitize_str(g->ref);
}

/* ---- reading ---- */

struct git_read {
	deploys_read_cb cb;
	void *arg;
	struct deploys_data *d;
};

static void git_read_end(struct deploys_common *c, struct git_read *rd, const char *err)
{
	struct deploys_data *d = rd->d;
	if (err != NULL) {
		deploys_data_free(d);
		d = NULL;
	}
	rd->cb(c, d, err, rd->arg);
	free(rd);
}

static void git_read_fail(struct deploys_common *c, struct git_read *rd, const char *what,
                             struct run_result *res)
{
	char how[200];
	run_describe(res, how, sizeof(how));
	char *tail = deploys_run_tail(res);
	char *msg = xasprintf("%s %s%s%s", what, how, tail[0] != '\0' ? ": " : "", tail);
	git_read_end(c, rd, msg);
	free(msg);
	free(tail);
}

static void git_read_current(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct git_deploys *g = (struct git_deploys *)c;
	struct git_read *rd = arg;
	if (deploys_run_failed(res)) {
		char *what = git_current_text(g);
		char *label = xasprintf("%s%s", g->cur_argv != NULL ? "" : "git rev-parse ", what);
		git_read_fail(c, rd, label, res);
		free(label);
		free(what);
		return;
	}
	char *line = git_first_line(res->out);
	const char *s = line;
	struct deploy *p = git_match(rd->d, s);
	deploys_set_current(rd->d, p != NULL ? p->id : NULL);
	if (p == NULL && s[0] != '\0') {
		char *t = sanitize(s, strlen(s), 80);
		char *note = xasprintf("current (%s) is none of the %zu deploys listed", t, rd->d->n);
		source_set_note(c->src, note);
		free(note);
		free(t);
	} else {
		source_set_note(c->src, NULL);
	}
	free(line);
	git_read_end(c, rd, NULL);
}

static void git_read_list(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct git_deploys *g = (struct git_deploys *)c;
	struct git_read *rd = arg;
	if (deploys_run_failed(res)) {
		git_read_fail(c, rd, g->tags != NULL ? "git for-each-ref" : "git log", res);
		return;
	}
	rd->d = deploys_data_new();
	rd->d->path = sanitize_str(g->repo);
	size_t skipped = 0;
	git_parse(rd->d, res->out, res->out_len, &skipped);
	if (g->tags != NULL)
		deploys_sort(rd->d, false); /* by the tags' times, ties by name (deploy-10 after deploy-9) */
	char **argv = git_current_argv(g);
	deploys_exec(c, argv, GITLOG_READ_MS, git_read_current, rd);
	config_free_argv(argv);
}

static void git_read(struct deploys_common *c, deploys_read_cb cb, void *arg)
{
	struct git_deploys *g = (struct git_deploys *)c;
	struct git_read *rd = xcalloc(1, sizeof(*rd));
	rd->cb = cb;
	rd->arg = arg;
	char **argv = git_list_argv(g);
	deploys_exec(c, argv, GITLOG_READ_MS, git_read_list, rd);
	config_free_argv(argv);
}

/* ---- rollback ---- */

static char *git_rollback(struct deploys_common *c, const struct deploy *to, char ***argv, char *err,
                             size_t cap)
{
	struct git_deploys *g = (struct git_deploys *)c;
	if (g->rollback == NULL) {
		snprintf(err, cap, "no \"rollback\" argv configured for pane %s", c->src->cfg->id);
		return NULL;
	}
	const char *why = deploys_not_target(to);
	if (why != NULL) {
		snprintf(err, cap, "deploy %s is never a rollback target: %s", to->id, why);
		return NULL;
	}
	*argv = deploys_argv_subst(g->rollback, to->id);
	if (!g->verify)
		return xstrdup(
		    "then check: the exit status only (no current_ref or current_command configured)");
	char *what = git_current_text(g);
	char *out = g->cur_argv != NULL
	                ? xasprintf("then check: `%s` prints %s or %s", what, to->id, to->revision)
	                : xasprintf("then check: %s is at %s (%s)", what, to->revision, to->id);
	free(what);
	return out;
}

static char *git_identity(struct deploys_common *c, const struct deploy *to)
{
	const struct git_deploys *g = (const struct git_deploys *)c;
	if (g->tags != NULL)
		return xasprintf("tag %s at commit %s", to->id, to->revision);
	return xasprintf("commit %s", to->revision);
}

static void git_verify_done(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct deploys_job *job = arg;
	const struct deploys_request *r = job->req;
	struct git_deploys *g = (struct git_deploys *)c;
	char *what = git_current_text(g);
	if (deploys_run_failed(res)) {
		char how[200];
		run_describe(res, how, sizeof(how));
		char *tail = deploys_run_tail(res);
		deploys_job_fail(job, "rollback to %s not verified: %s %s%s%s", r->to, what, how,
		                 tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		free(what);
		return;
	}
	char *now = git_first_line(res->out);
	size_t n = strlen(now);
	bool ok = strcmp(now, r->to) == 0 ||
	          (n >= 7 && git_hex(now, n) && strncasecmp(r->to_commit, now, n) == 0);
	char *shown = sanitize(now, n, 80);
	if (ok)
		deploys_job_ok(job, "rolled back to %s; current verified: %s -> %s", r->to, what, shown);
	else
		deploys_job_fail(job, "rollback to %s not verified: %s -> %s, not %s", r->to, what,
		                 n > 0 ? shown : "(nothing)", r->to_commit);
	free(shown);
	free(now);
	free(what);
}

static void git_verify(struct deploys_job *job)
{
	struct git_deploys *g = (struct git_deploys *)job->c;
	if (!g->verify) {
		deploys_job_ok(job,
		               "rolled back to %s; verified by exit status only (no current_ref or "
		               "current_command configured)",
		               job->req->to);
		return;
	}
	char **argv = git_current_argv(g);
	deploys_exec(job->c, argv, GITLOG_READ_MS, git_verify_done, job);
	config_free_argv(argv);
}

static const struct deploys_backend git_backend = {
    .read = git_read,
    .rollback = git_rollback,
    .verify = git_verify,
    .identity = git_identity,
};

static int git_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct git_deploys *g = xcalloc(1, sizeof(*g));
	src->data = g;
	double max = 50;
	if (deploys_common_init(&g->common, src, &git_backend, ctx, node) != 0 ||
	    config_get_string(ctx, node, "repo", true, NULL, &g->repo) != 0 ||
	    config_get_string(ctx, node, "tags", false, NULL, &g->tags) != 0 ||
	    config_get_string(ctx, node, "branch", false, NULL, &g->branch) != 0 ||
	    config_get_string(ctx, node, "current_ref", false, NULL, &g->ref) != 0 ||
	    config_get_argv(ctx, node, "current_command", false, &g->cur_argv) != 0 ||
	    config_get_argv(ctx, node, "rollback", false, &g->rollback) != 0 ||
	    config_get_number(ctx, node, "max", false, 50, 1, 1000, &max) != 0)
		return -1;
	g->max = (unsigned)max;
	if (g->repo[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "repo"), "expected the repository's directory");
	if ((g->tags == NULL) == (g->branch == NULL))
		return config_fail(ctx, node,
		                   "a git deploys pane needs either \"tags\" (a pattern such as "
		                   "\"deploy-*\") or \"branch\"");
	const char *sel = g->tags != NULL ? g->tags : g->branch;
	if (sel[0] == '\0' || sel[0] == '-')
		return config_fail(
		    ctx, jsonc_get(node, g->tags != NULL ? "tags" : "branch"),
		    "expected a tag pattern or branch name (not empty, not starting with '-')");
	if (g->ref != NULL && g->cur_argv != NULL)
		return config_fail(ctx, jsonc_get(node, "current_command"),
		                   "give \"current_ref\" or \"current_command\", not both");
	if (g->ref != NULL && (g->ref[0] == '\0' || g->ref[0] == '-'))
		return config_fail(ctx, jsonc_get(node, "current_ref"),
		                   "expected a ref such as \"HEAD\" or "
		                   "\"refs/heads/production\"");
	if (g->cur_argv != NULL && g->cur_argv[0] == NULL)
		return config_fail(ctx, jsonc_get(node, "current_command"), "expected a non-empty argv");
	g->verify = g->ref != NULL || g->cur_argv != NULL;
	if (g->ref == NULL && g->cur_argv == NULL)
		g->ref = xstrdup("HEAD");
	if (g->rollback != NULL) {
		bool has = false;
		for (size_t i = 0; g->rollback[i] != NULL; i++)
			has = has || strstr(g->rollback[i], "{release}") != NULL;
		if (g->rollback[0] == NULL || !has)
			return config_fail(
			    ctx, jsonc_get(node, "rollback"),
			    "expected an argv with a \"{release}\" element (the deploy to go to)");
	}
	return 0;
}

static void git_destroy(struct source *src)
{
	struct git_deploys *g = src->data;
	if (g == NULL)
		return;
	deploys_common_free(&g->common);
	free(g->repo);
	free(g->tags);
	free(g->branch);
	free(g->ref);
	config_free_argv(g->cur_argv);
	config_free_argv(g->rollback);
	free(g);
	src->data = NULL;
}

const struct source_ops source_git = {
    .name = "git",
    .kind = "deploys",
    .init = git_init,
    .refresh = deploys_common_refresh,
    .prepare = deploys_common_prepare,
    .act = deploys_common_act,
    .stop = deploys_common_stop,
    .destroy = git_destroy,
    .runs_commands = true,
};
