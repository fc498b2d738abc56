/* helm: the "helm" deploys source: `helm history RELEASE -o json` (one
 * one-shot run, argv, never a shell). A deploy is a revision: its number,
 * when it was updated, its status as helm names it (deployed, superseded,
 * failed, pending-upgrade, ...), the chart and app version it ran and helm's
 * description. The newest "deployed" revision is current; "failed" ones are
 * bad (rollback refuses them).
 *
 * Rollback: `helm rollback [-n NS] -- RELEASE REVISION`, then the restart argv when one
 * is configured, then the history is read again: helm records a rollback as
 * a new revision, so the check is that a newer revision than the one rolled
 * back from is now "deployed" and runs the target's chart and app version. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/deploys-common.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define HELM_READ_MS 30000

struct helm {
	struct deploys_common common; /* first: the family's hooks reach it */
	char *release;
	char *ns;      /* -n, NULL: helm's default */
	char *context; /* --kube-context, NULL: the current one */
	unsigned max;
};

static const char *helm_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : NULL;
}

int helm_parse_history(struct deploys_data *d, const char *json, size_t len, char *err, size_t cap)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsArray(root)) {
		snprintf(err, cap, "helm history printed no JSON array");
		cJSON_Delete(root);
		return -1;
	}
	int n = 0;
	int64_t cur_rev = -1;
	const cJSON *it;
	cJSON_ArrayForEach(it, root)
	{
		const cJSON *rv = cJSON_GetObjectItemCaseSensitive(it, "revision");
		if (!cJSON_IsNumber(rv) || rv->valuedouble < 1 || rv->valuedouble > 1e9)
			continue;
		char id[32];
		snprintf(id, sizeof(id), "%.0f", rv->valuedouble);
		if (deploys_find(d, id) != NULL)
			continue;
		struct deploy *p = deploys_add(d, id);
		const char *s;
		if ((s = helm_str(it, "updated")) != NULL)
			p->time = deploys_parse_time(s, strlen(s));
		const char *status = helm_str(it, "status");
		deploys_set(&p->status, status, (size_t)-1);
		const char *chart = helm_str(it, "chart"), *app = helm_str(it, "app_version");
		char *version =
		    xasprintf("%s%s%s", chart != NULL ? chart : "",
		              app != NULL && app[0] != '\0' ? " app " : "", app != NULL ? app : "");
		deploys_set(&p->version, version, (size_t)-1);
		free(version);
		if (app != NULL)
			deploys_set(&p->revision, app, (size_t)-1);
		char *msg = xasprintf("%s%s%s", p->version, p->version[0] != '\0' ? ": " : "",
		                      (s = helm_str(it, "description")) != NULL ? s : "");
		deploys_set(&p->message, msg, (size_t)-1);
		free(msg);
		p->bad = status != NULL && strcmp(status, "failed") == 0;
		if (status != NULL && strcmp(status, "deployed") == 0 && (int64_t)rv->valuedouble > cur_rev)
			cur_rev = (int64_t)rv->valuedouble;
		n++;
	}
	cJSON_Delete(root);
	deploys_sort(d, true);
	if (cur_rev > 0) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)cur_rev);
		deploys_set_current(d, id);
	}
	return n;
}

/* helm VERB [-n NS] [--kube-context C] [OPTION...] -- RELEASE [REVISION]:
 * the options first and "--" before the release and revision, so neither
 * is ever read as an option. The options end with NULL. */
static char **helm_argv(const struct helm *h, const char *verb, const char *revision, ...)
    __attribute__((sentinel));

static char **helm_argv(const struct helm *h, const char *verb, const char *revision, ...)
{
	char **argv = deploys_argv("helm", verb, NULL);
	if (h->ns != NULL)
		deploys_argv_push(&argv, "-n", h->ns, NULL);
	if (h->context != NULL)
		deploys_argv_push(&argv, "--kube-context", h->context, NULL);
	va_list ap;
	va_start(ap, revision);
	for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *))
		deploys_argv_push(&argv, s, NULL);
	va_end(ap);
	deploys_argv_push(&argv, "--", h->release, NULL);
	if (revision != NULL)
		deploys_argv_push(&argv, revision, NULL);
	return argv;
}

struct helm_read {
	deploys_read_cb cb;
	void *arg;
};

static void helm_read_done(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct helm *h = (struct helm *)c;
	struct helm_read *rd = arg;
	struct deploys_data *d = NULL;
	char err[400] = "";
	if (deploys_run_failed(res)) {
		char how[200];
		run_describe(res, how, sizeof(how));
		char *tail = deploys_run_tail(res);
		snprintf(err, sizeof(err), "helm history %s%s%s", how, tail[0] != '\0' ? ": " : "", tail);
		free(tail);
	} else {
		d = deploys_data_new();
		d->path = sanitize_str(h->release);
		if (helm_parse_history(d, res->out, res->out_len, err, sizeof(err)) < 0) {
			deploys_data_free(d);
			d = NULL;
		}
	}
	rd->cb(c, d, d != NULL ? NULL : err, rd->arg);
	free(rd);
}

static void helm_read(struct deploys_common *c, deploys_read_cb cb, void *arg)
{
	struct helm *h = (struct helm *)c;
	struct helm_read *rd = xcalloc(1, sizeof(*rd));
	rd->cb = cb;
	rd->arg = arg;
	char max[32];
	snprintf(max, sizeof(max), "%u", h->max);
	char **argv = helm_argv(h, "history", NULL, "-o", "json", "--max", max, NULL);
	deploys_exec(c, argv, HELM_READ_MS, helm_read_done, rd);
	config_free_argv(argv);
}

static char *helm_rollback(struct deploys_common *c, const struct deploy *to, char ***argv, char *err,
                           size_t cap)
{
	struct helm *h = (struct helm *)c;
	/* helm's revisions are numbers: anything else is not one of them */
	if (strspn(to->id, "0123456789") != strlen(to->id) || to->id[0] == '\0' || to->id[0] == '0') {
		char *t = sanitize_str(to->id);
		snprintf(err, cap, "%s is not a helm revision number", t);
		free(t);
		return NULL;
	}
	*argv = helm_argv(h, "rollback", to->id, NULL);
	return xasprintf("then check: helm history %s: a revision newer than the current one is deployed "
	                 "and runs %s",
	                 h->release, to->version[0] != '\0' ? to->version : "the same chart");
}

static char *helm_identity(struct deploys_common *c, const struct deploy *to)
{
	(void)c;
	return xasprintf("revision %s%s%s", to->id, to->version[0] != '\0' ? ", running " : "", to->version);
}

static void helm_verified(struct deploys_common *c, struct deploys_data *d, const char *err, void *arg)
{
	(void)c;
	struct deploys_job *job = arg;
	const struct deploys_request *r = job->req;
	if (d == NULL) {
		deploys_job_fail(job, "rollback to %s not verified: %s", r->to, err);
		return;
	}
	const struct deploy *now = deploys_find(d, d->current);
	const struct deploy *to = deploys_find(d, r->to);
	long long from = r->from != NULL ? strtoll(r->from, NULL, 10) : 0;
	if (now == NULL) {
		deploys_job_fail(job, "rollback to %s not verified: no revision is deployed now", r->to);
	} else if (strtoll(now->id, NULL, 10) <= from) {
		deploys_job_fail(job, "rollback to %s not verified: revision %s is still the deployed one",
		                 r->to, now->id);
	} else if (to != NULL && strcmp(now->version, to->version) != 0) {
		deploys_job_fail(job, "rollback to %s not verified: revision %s runs %s, not %s", r->to,
		                 now->id, now->version, to->version);
	} else if (to == NULL && strcmp(now->revision, r->to_commit) != 0) {
		deploys_job_fail(job, "rollback to %s not verified: revision %s runs app %s, not %s", r->to,
		                 now->id, now->revision, r->to_commit);
	} else {
		deploys_job_ok(job, "rolled back to %s; revision %s deployed, runs %s", r->to, now->id,
		               now->version[0] != '\0' ? now->version : "the same chart");
	}
	deploys_data_free(d);
}

static void helm_verify(struct deploys_job *job)
{
	helm_read(job->c, helm_verified, job);
}

static const struct deploys_backend helm_backend = {
    .read = helm_read,
    .rollback = helm_rollback,
    .verify = helm_verify,
    .identity = helm_identity,
};

static bool helm_name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '-';
}

static int helm_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct helm *h = xcalloc(1, sizeof(*h));
	src->data = h;
	double max = 50;
	if (deploys_common_init(&h->common, src, &helm_backend, ctx, node) != 0 ||
	    config_get_string(ctx, node, "release", true, NULL, &h->release) != 0 ||
	    config_get_string(ctx, node, "namespace", false, NULL, &h->ns) != 0 ||
	    config_get_string(ctx, node, "kube_context", false, NULL, &h->context) != 0 ||
	    config_get_number(ctx, node, "max", false, 50, 1, 1000, &max) != 0)
		return -1;
	h->max = (unsigned)max;
	if (!helm_name_ok(h->release))
		return config_fail(ctx, jsonc_get(node, "release"), "expected the helm release's name");
	if (h->ns != NULL && !helm_name_ok(h->ns))
		return config_fail(ctx, jsonc_get(node, "namespace"), "expected a namespace");
	if (h->context != NULL && !helm_name_ok(h->context))
		return config_fail(ctx, jsonc_get(node, "kube_context"), "expected a kubeconfig context");
	return 0;
}

static void helm_destroy(struct source *src)
{
	struct helm *h = src->data;
	if (h == NULL)
		return;
	deploys_common_free(&h->common);
	free(h->release);
	free(h->ns);
	free(h->context);
	free(h);
	src->data = NULL;
}

const struct source_ops source_helm = {
    .name = "helm",
    .kind = "deploys",
    .init = helm_init,
    .refresh = deploys_common_refresh,
    .prepare = deploys_common_prepare,
    .act = deploys_common_act,
    .stop = deploys_common_stop,
    .destroy = helm_destroy,
    .runs_commands = true,
};
