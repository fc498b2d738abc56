/* kubectl: the "kubectl" deploys source: the rollout history of a
 * Deployment. Two one-shot runs (argv, never a shell): `kubectl rollout
 * history deployment/NAME` gives the revisions and their change-cause (a
 * text table, read by its header and leading numbers, so extra columns or
 * blank lines do not matter), and `kubectl get deployment NAME -o json`
 * gives the current revision (the deployment.kubernetes.io/revision
 * annotation) and the images it runs. The history has no times: a deploy
 * seen while sitrep runs is stamped when it is seen.
 *
 * Restart is `kubectl rollout restart deployment/NAME` unless the pane
 * names another argv. Rollback: `kubectl rollout undo deployment/NAME
 * --to-revision=N`, then `kubectl rollout status --timeout=...`, then the
 * revision annotation must have moved past the one rolled back from
 * (Kubernetes gives the restored template a new revision number). */
#include <ctype.h>
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

#define KUBECTL_READ_MS 30000

struct kubectl {
	struct deploys_common common; /* first: the family's hooks reach it */
	char *deployment;
	char *ns;      /* -n, NULL: the context's namespace */
	char *context; /* --context, NULL: the current one */
	unsigned rollout_ms;
};

int kubectl_parse_history(struct deploys_data *d, const char *text, size_t len, char *err, size_t cap)
{
	const char *end = text + len;
	bool header = false;
	int n = 0;
	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		p += l + 1;
		while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			l--;
		size_t i = 0;
		while (i < l && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (!header) {
			header = l - i >= 8 && strncmp(line + i, "REVISION", 8) == 0;
			continue;
		}
		size_t digits = 0;
		while (i + digits < l && isdigit((unsigned char)line[i + digits]))
			digits++;
		/* a revision row: a number, blanks, the change-cause */
		if (digits == 0 || digits > 9 ||
		    (i + digits < l && line[i + digits] != ' ' && line[i + digits] != '\t'))
			continue;
		char *id = xstrndup(line + i, digits);
		i += digits;
		while (i < l && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (deploys_find(d, id) == NULL) {
			struct deploy *dep = deploys_add(d, id);
			if (!(l - i == 6 && strncmp(line + i, "<none>", 6) == 0))
				deploys_set(&dep->message, line + i, l - i);
			n++;
		}
		free(id);
	}
	if (!header) {
		snprintf(err, cap, "kubectl rollout history printed no REVISION table");
		return -1;
	}
	deploys_sort(d, true);
	return n;
}

int kubectl_parse_deployment(const char *json, size_t len, char **revision, char **images, char *err,
                             size_t cap)
{
	*revision = NULL;
	if (images != NULL)
		*images = NULL;
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(ann, "deployment.kubernetes.io/revision");
	if (!cJSON_IsObject(root)) {
		snprintf(err, cap, "kubectl get deployment printed no JSON object");
		cJSON_Delete(root);
		return -1;
	}
	size_t digits = 0;
	if (cJSON_IsString(rev) && rev->valuestring != NULL)
		while (isdigit((unsigned char)rev->valuestring[digits]))
			digits++;
	if (digits == 0 || digits > 9 || rev->valuestring[digits] != '\0') {
		snprintf(err, cap, "the deployment has no deployment.kubernetes.io/revision annotation");
		cJSON_Delete(root);
		return -1;
	}
	*revision = xstrdup(rev->valuestring);
	if (images != NULL) {
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
		const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(spec, "template");
		const cJSON *pspec = cJSON_GetObjectItemCaseSensitive(tmpl, "spec");
		const cJSON *containers = cJSON_GetObjectItemCaseSensitive(pspec, "containers");
		char *all = xstrdup("");
		const cJSON *it;
		const cJSON *list = cJSON_IsArray(containers) ? containers : NULL;
		cJSON_ArrayForEach(it, list)
		{
			const cJSON *img = cJSON_GetObjectItemCaseSensitive(it, "image");
			if (!cJSON_IsString(img) || img->valuestring == NULL || strlen(all) > 400)
				continue;
			char *next = xasprintf("%s%s%s", all, all[0] != '\0' ? ", " : "", img->valuestring);
			free(all);
			all = next;
		}
		*images = NULL;
		deploys_set(images, all, (size_t)-1);
		free(all);
	}
	cJSON_Delete(root);
	return 0;
}

static char **kubectl_argv(const struct kubectl *k, const char *first, ...) __attribute__((sentinel));

/* kubectl ARGS... [-n NS] [--context C] */
static char **kubectl_argv(const struct kubectl *k, const char *first, ...)
{
	char **argv = deploys_argv("kubectl", NULL);
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		deploys_argv_push(&argv, s, NULL);
	va_end(ap);
	if (k->ns != NULL)
		deploys_argv_push(&argv, "-n", k->ns, NULL);
	if (k->context != NULL)
		deploys_argv_push(&argv, "--context", k->context, NULL);
	return argv;
}

/* ---- reading: the history, then the deployment ---- */

struct kubectl_read {
	deploys_read_cb cb;
	void *arg;
	struct deploys_data *d;
};

static void kubectl_read_end(struct deploys_common *c, struct kubectl_read *rd, const char *err)
{
	if (err != NULL) {
		deploys_data_free(rd->d);
		rd->d = NULL;
	}
	rd->cb(c, rd->d, err, rd->arg);
	free(rd);
}

static bool kubectl_read_failed(struct deploys_common *c, struct kubectl_read *rd, const char *what,
                                struct run_result *res)
{
	if (!deploys_run_failed(res))
		return false;
	char how[200];
	run_describe(res, how, sizeof(how));
	char *tail = deploys_run_tail(res);
	char *msg = xasprintf("%s %s%s%s", what, how, tail[0] != '\0' ? ": " : "", tail);
	kubectl_read_end(c, rd, msg);
	free(msg);
	free(tail);
	return true;
}

static void kubectl_read_deployment(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct kubectl_read *rd = arg;
	if (kubectl_read_failed(c, rd, "kubectl get deployment", res))
		return;
	char err[300];
	char *rev = NULL, *images = NULL;
	if (kubectl_parse_deployment(res->out, res->out_len, &rev, &images, err, sizeof(err)) != 0) {
		kubectl_read_end(c, rd, err);
		return;
	}
	struct deploy *p = deploys_find(rd->d, rev);
	if (p == NULL) {
		/* a revision the history does not list yet (it raced a rollout) */
		p = deploys_add(rd->d, rev);
		deploys_sort(rd->d, true);
		p = deploys_find(rd->d, rev);
	}
	free(p->version);
	p->version = images;
	deploys_set_current(rd->d, rev);
	free(rev);
	kubectl_read_end(c, rd, NULL);
}

static void kubectl_read_history(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct kubectl *k = (struct kubectl *)c;
	struct kubectl_read *rd = arg;
	if (kubectl_read_failed(c, rd, "kubectl rollout history", res))
		return;
	char err[300];
	rd->d = deploys_data_new();
	rd->d->path = xasprintf("deployment/%s", k->deployment);
	if (kubectl_parse_history(rd->d, res->out, res->out_len, err, sizeof(err)) < 0) {
		kubectl_read_end(c, rd, err);
		return;
	}
	char **argv = kubectl_argv(k, "get", "deployment", k->deployment, "-o", "json", NULL);
	deploys_exec(c, argv, KUBECTL_READ_MS, kubectl_read_deployment, rd);
	config_free_argv(argv);
}

static void kubectl_read(struct deploys_common *c, deploys_read_cb cb, void *arg)
{
	struct kubectl *k = (struct kubectl *)c;
	struct kubectl_read *rd = xcalloc(1, sizeof(*rd));
	rd->cb = cb;
	rd->arg = arg;
	char *target = xasprintf("deployment/%s", k->deployment);
	char **argv = kubectl_argv(k, "rollout", "history", target, NULL);
	deploys_exec(c, argv, KUBECTL_READ_MS, kubectl_read_history, rd);
	config_free_argv(argv);
	free(target);
}

/* ---- rollback: undo, wait for the rollout, check the revision moved ---- */

static char *kubectl_rollback(struct deploys_common *c, const struct deploy *to, char ***argv, char *err,
                              size_t cap)
{
	struct kubectl *k = (struct kubectl *)c;
	/* a revision is a number, given as --to-revision=N: never an option of its own */
	if (strspn(to->id, "0123456789") != strlen(to->id) || to->id[0] == '\0' || to->id[0] == '0') {
		char *t = sanitize_str(to->id);
		snprintf(err, cap, "%s is not a rollout revision number", t);
		free(t);
		return NULL;
	}
	char *target = xasprintf("deployment/%s", k->deployment);
	char *rev = xasprintf("--to-revision=%s", to->id);
	*argv = kubectl_argv(k, "rollout", "undo", target, rev, NULL);
	char *timeout = xasprintf("--timeout=%us", k->rollout_ms / 1000);
	char **status = kubectl_argv(k, "rollout", "status", target, timeout, NULL);
	char *status_text = deploys_argv_text(status);
	char *out = xasprintf(
	    "then wait: %s\nthen check: the deployment's revision moved past the current one", status_text);
	free(status_text);
	config_free_argv(status);
	free(timeout);
	free(rev);
	free(target);
	return out;
}

static char *kubectl_identity(struct deploys_common *c, const struct deploy *to)
{
	struct kubectl *k = (struct kubectl *)c;
	return xasprintf("revision %s of deployment/%s%s%s", to->id, k->deployment,
	                 to->message[0] != '\0' ? ", change-cause: " : "", to->message);
}

static void kubectl_checked(struct deploys_common *c, struct run_result *res, void *arg)
{
	(void)c;
	struct deploys_job *job = arg;
	const struct deploys_request *r = job->req;
	char how[200], err[300];
	run_describe(res, how, sizeof(how));
	char *rev = NULL, *images = NULL;
	if (deploys_run_failed(res)) {
		char *tail = deploys_run_tail(res);
		deploys_job_fail(job, "rollback to %s not verified: kubectl get deployment %s%s%s", r->to,
		                 how, tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		return;
	}
	if (kubectl_parse_deployment(res->out, res->out_len, &rev, &images, err, sizeof(err)) != 0) {
		deploys_job_fail(job, "rollback to %s not verified: %s", r->to, err);
		return;
	}
	long long from = r->from != NULL ? strtoll(r->from, NULL, 10) : 0;
	if (strtoll(rev, NULL, 10) <= from)
		deploys_job_fail(job, "rollback to %s not verified: the deployment is still at revision %s",
		                 r->to, rev);
	else
		deploys_job_ok(job, "rolled back to %s; now revision %s%s%s, rollout complete", r->to, rev,
		               images[0] != '\0' ? " running " : "", images);
	free(rev);
	free(images);
}

static void kubectl_rolled_out(struct deploys_common *c, struct run_result *res, void *arg)
{
	struct kubectl *k = (struct kubectl *)c;
	struct deploys_job *job = arg;
	char how[200];
	run_describe(res, how, sizeof(how));
	if (deploys_run_failed(res)) {
		char *tail = deploys_run_tail(res);
		deploys_job_fail(job, "rollback to %s: kubectl rollout status %s%s%s%s", job->req->to, how,
		                 res->timed_out ? " (killed at its timeout)" : "",
		                 tail[0] != '\0' ? ": " : "", tail);
		free(tail);
		return;
	}
	char **argv = kubectl_argv(k, "get", "deployment", k->deployment, "-o", "json", NULL);
	deploys_exec(c, argv, KUBECTL_READ_MS, kubectl_checked, job);
	config_free_argv(argv);
}

static void kubectl_verify(struct deploys_job *job)
{
	struct kubectl *k = (struct kubectl *)job->c;
	char *target = xasprintf("deployment/%s", k->deployment);
	char *timeout = xasprintf("--timeout=%us", k->rollout_ms / 1000);
	char **argv = kubectl_argv(k, "rollout", "status", target, timeout, NULL);
	/* kubectl stops at its own --timeout; ours is the backstop */
	deploys_exec(job->c, argv, k->rollout_ms + 10000, kubectl_rolled_out, job);
	config_free_argv(argv);
	free(timeout);
	free(target);
}

static const struct deploys_backend kubectl_backend = {
    .read = kubectl_read,
    .rollback = kubectl_rollback,
    .verify = kubectl_verify,
    .identity = kubectl_identity,
};

static bool kubectl_name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '-' && strchr(s, '/') == NULL;
}

static int kubectl_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct kubectl *k = xcalloc(1, sizeof(*k));
	src->data = k;
	double rollout = 120;
	if (deploys_common_init(&k->common, src, &kubectl_backend, ctx, node) != 0 ||
	    config_get_string(ctx, node, "deployment", true, NULL, &k->deployment) != 0 ||
	    config_get_string(ctx, node, "namespace", false, NULL, &k->ns) != 0 ||
	    config_get_string(ctx, node, "context", false, NULL, &k->context) != 0 ||
	    config_get_number(ctx, node, "rollout_timeout_seconds", false, 120, 1, 3600, &rollout) != 0)
		return -1;
	if (!kubectl_name_ok(k->deployment))
		return config_fail(ctx, jsonc_get(node, "deployment"), "expected the Deployment's name");
	if (k->ns != NULL && !kubectl_name_ok(k->ns))
		return config_fail(ctx, jsonc_get(node, "namespace"), "expected a namespace");
	if (k->context != NULL && (k->context[0] == '\0' || k->context[0] == '-'))
		return config_fail(ctx, jsonc_get(node, "context"), "expected a kubeconfig context");
	k->rollout_ms = (unsigned)(rollout * 1000);
	k->common.extra_ms = k->rollout_ms + 10000;
	if (k->common.restart == NULL) {
		char *target = xasprintf("deployment/%s", k->deployment);
		k->common.restart = kubectl_argv(k, "rollout", "restart", target, NULL);
		k->common.restart_default = true;
		free(target);
	}
	return 0;
}

static void kubectl_destroy(struct source *src)
{
	struct kubectl *k = src->data;
	if (k == NULL)
		return;
	deploys_common_free(&k->common);
	free(k->deployment);
	free(k->ns);
	free(k->context);
	free(k);
	src->data = NULL;
}

const struct source_ops source_kubectl = {
    .name = "kubectl",
    .kind = "deploys",
    .init = kubectl_init,
    .refresh = deploys_common_refresh,
    .prepare = deploys_common_prepare,
    .act = deploys_common_act,
    .stop = deploys_common_stop,
    .destroy = kubectl_destroy,
    .runs_commands = true,
};
