/* alertmanager: the "alerts" pane fed by Alertmanager's API v2. A refresh is
 * one GET /api/v2/alerts through the shared HTTP client; the answer becomes a
 * sorted, sanitized alerts snapshot. The raw labels of the last answer stay
 * here, by fingerprint, so a silence made from the pane matches exactly what
 * Alertmanager holds. The silence action (POST /api/v2/silences) arrives
 * through the action gate (core/action.c) and never by any other road. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/alertmanager-parse.h"
#include "sitrep/core/action.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/kinds/alerts.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/io/endpoint.h"
#include "sitrep/io/http.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

struct am_source {
	struct source *src;
	struct endpoint *ep; /* url, timeout, TLS and credentials */
	double silence_s;    /* default silence duration */
	struct http_call *call;
	struct am_raw *raw; /* labels of the last good answer */
	size_t nraw;
	struct am_silence *silences; /* silences in flight */
};

struct am_silence {
	struct am_source *as;
	struct action *action;
	struct http_call *call;
	struct am_silence *next;
};

static int am_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct am_source *as = xcalloc(1, sizeof(*as));
	src->data = as;
	as->src = src;
	char *dur = NULL;
	if (endpoint_read(ctx, node, &as->ep) != 0 ||
	    config_get_string(ctx, node, "silence_duration", false, "2h", &dur) != 0) {
		free(dur);
		return -1;
	}
	as->silence_s = action_parse_duration(dur);
	free(dur);
	if (as->silence_s <= 0)
		return config_fail(ctx, jsonc_get(node, "silence_duration"),
		                   "expected a duration such as \"30m\", \"2h\" or \"1d\"");
	return 0;
}

static int am_start(struct source *src)
{
	struct am_source *as = src->data;
	source_set_warning(src, endpoint_warning(as->ep));
	return 0;
}

static void am_done(const struct http_resp *resp, void *arg)
{
	struct am_source *as = arg;
	struct source *src = as->src;
	as->call = NULL;
	if (resp->error != NULL) {
		source_fail(src, "%s", resp->error);
		return;
	}
	struct alerts_data *d;
	struct am_raw *raw;
	size_t nraw;
	char *err;
	if (am_parse_alerts(resp->body, resp->len, resp->status, &d, &raw, &nraw, &err) != 0) {
		source_fail(src, "%s", err);
		free(err);
		return;
	}
	am_raw_free(as->raw, as->nraw);
	as->raw = raw;
	as->nraw = nraw;
	d->silence_seconds = as->silence_s;
	source_publish(src, d);
}

static void am_refresh(struct source *src)
{
	struct am_source *as = src->data;
	if (app_http(src->app) == NULL) {
		source_fail(src, "no HTTP client");
		return;
	}
	as->call =
	    endpoint_request(as->ep, app_http(src->app),
	                     "/api/v2/alerts?active=true&silenced=true&inhibited=true", NULL, am_done, as);
}

static void am_silence_remove(struct am_silence *s)
{
	struct am_silence **pp = &s->as->silences;
	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp == s)
		*pp = s->next;
	free(s);
}

static void am_silence_done(const struct http_resp *resp, void *arg)
{
	struct am_silence *s = arg;
	struct am_source *as = s->as;
	struct action *a = s->action;
	am_silence_remove(s);
	if (resp->error != NULL) {
		action_finish(a, ACTION_FAILED, "silence not created: %s", resp->error);
		return;
	}
	if (resp->status >= 300 && resp->status < 400) {
		/* The POST is never followed (no_follow): only what the dialog
		 * showed is sent, and a redirect is the outcome. */
		char *loc = http_resp_header(resp, "Location");
		action_finish(a, ACTION_FAILED,
		              "silence not created: alertmanager redirected the silence to %s (%ld); nothing "
		              "else was sent",
		              loc != NULL ? loc : "?", resp->status);
		free(loc);
		return;
	}
	char *id, *err;
	if (am_parse_silence_reply(resp->body, resp->len, resp->status, &id, &err) != 0) {
		action_finish(a, ACTION_FAILED, "silence not created: %s", err);
		free(err);
		return;
	}
	action_finish(a, ACTION_OK, "silence %s created", id);
	free(id);
	/* Show the alert as silenced without waiting for the next tick. */
	source_refresh_now(as->src);
}

/* The raw alert the pane's row stands for: the same fingerprint and, since a
 * hostile server may send one fingerprint twice, the same labels as the row
 * showed them (selection[1..], "name=value" sanitized). Exactly one must fit. */
static const struct am_raw *am_find_raw(const struct am_source *as, const struct action *a, size_t *matches)
{
	const struct am_raw *found = NULL;
	*matches = 0;
	for (size_t i = 0; i < as->nraw; i++) {
		const struct am_raw *r = &as->raw[i];
		if (strcmp(r->fingerprint, a->key) != 0)
			continue;
		bool same = a->nselection <= 1 || r->nlabels == a->nselection - 1;
		for (size_t j = 0; same && a->nselection > 1 && j < r->nlabels; j++) {
			char *n = sanitize_str(r->labels[j].name), *v = sanitize_str(r->labels[j].value);
			char *pair = xasprintf("%s=%s", n, v);
			same = strcmp(pair, a->selection[j + 1]) == 0;
			free(pair);
			free(n);
			free(v);
		}
		if (same) {
			found = r;
			(*matches)++;
		}
	}
	return found;
}

static void am_request_free(void *p)
{
	free(p);
}

/* Builds the silence exactly as it will be sent, so the dialog shows the
 * request itself: the URL, and the body with its matchers and times. */
static int am_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct am_source *as = src->data;
	if (a->verb != &kind_alerts_silence) {
		snprintf(err, cap, "an alerts pane cannot %s", a->verb->name);
		return -1;
	}
	if (a->nparams == 0 && a->key != NULL) {
		/* From the pane: the exact labels of the selected alert. */
		size_t matches;
		const struct am_raw *r = am_find_raw(as, a, &matches);
		if (matches > 1) {
			snprintf(err, cap, "%zu alerts share this identity; nothing silenced (select by name with sitrep do)",
			         matches);
			return -1;
		}
		for (size_t j = 0; r != NULL && j < r->nlabels; j++)
			action_add_param(a, r->labels[j].name, r->labels[j].value);
	}
	if (a->nparams == 0) {
		snprintf(err, cap, "the alert is no longer firing; nothing silenced");
		return -1;
	}
	if (a->duration_s <= 0)
		a->duration_s = as->silence_s;
	time_t now = time(NULL);
	char *body = am_silence_body(a->params, a->nparams, now, now + (time_t)a->duration_s, a->user,
	                             a->comment != NULL ? a->comment : "silenced from sitrep");
	char *head = endpoint_describe(as->ep, "POST", "/api/v2/silences");
	char *effect = xasprintf("%s\n%s", head, body);
	action_set_effect(a, effect);
	free(effect);
	free(head);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = body;
	a->request_free = am_request_free;
	return 0;
}

static int am_act(struct source *src, const struct action *action)
{
	struct am_source *as = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	if (a->verb != &kind_alerts_silence || a->request == NULL || app_http(src->app) == NULL)
		return -1;
	/* What was confirmed is what is sent: the body prepare() built. */
	const char *body = a->request;
	struct http_req req = {0};
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.no_follow = true; /* exactly the request confirmed: a redirect is the answer */
	struct am_silence *s = xcalloc(1, sizeof(*s));
	s->as = as;
	s->action = a;
	s->next = as->silences;
	as->silences = s;
	s->call = endpoint_request(as->ep, app_http(src->app), "/api/v2/silences", &req, am_silence_done, s);
	return 0;
}

static void am_stop(struct source *src)
{
	struct am_source *as = src->data;
	if (as == NULL)
		return;
	if (as->call != NULL) {
		http_cancel(as->call);
		as->call = NULL;
	}
	while (as->silences != NULL) {
		struct am_silence *s = as->silences;
		http_cancel(s->call);
		action_finish(s->action, ACTION_FAILED, "cancelled: sitrep is quitting");
		am_silence_remove(s);
	}
}

static void am_destroy(struct source *src)
{
	struct am_source *as = src->data;
	if (as == NULL)
		return;
	am_stop(src);
	am_raw_free(as->raw, as->nraw);
	endpoint_free(as->ep);
	free(as);
	src->data = NULL;
}

const struct source_ops source_alertmanager = {
    .name = "alertmanager",
    .kind = "alerts",
    .init = am_init,
    .start = am_start,
    .refresh = am_refresh,
    .prepare = am_prepare,
    .act = am_act,
    .stop = am_stop,
    .destroy = am_destroy,
};
