/* prometheus: the "metrics" pane fed by a Prometheus server. Each refresh
 * sends, per configured query, an instant query (the current value) and a
 * range query (the sparkline) through the shared HTTP client, all in parallel;
 * when the last answer is in, one snapshot is published. A query that fails
 * keeps its last good values with the backend's error on its series; when no
 * query got an answer at all, the whole pane fails and shows its old data as
 * stale. A query returning many series keeps the top N by value, so the
 * busiest hosts come first. The range query asks for one point per cell of
 * the pane's sparkline (src->view_cells, which the pane sets with source_set_view_cells), so
 * the whole window fits the pane; Prometheus's 11,000-point cap bounds it.
 * Only what can be shown is kept: as an answer arrives, the instant result is
 * cut to its top N series and the range result to their histories, so the
 * memory of a query is bounded by its "top", not by what Prometheus returns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/prometheus-parse.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/io/endpoint.h"
#include "sitrep/io/http.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/metrics.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* Expressions longer than this go in a POST form body instead of the URL. */
#define PROM_MAX_GET_URL 1500
/* History points when neither the config nor the pane's width says. */
#define PROM_DEFAULT_POINTS 60

struct prom_query {
	char *name, *expr, *unit, *by;
	bool has_warn, has_crit;
	double warn, crit;
	size_t top;
	/* This refresh. */
	struct prom_result now, range;
	size_t now_total; /* series in the instant answer before the cut to top */
	bool now_done, range_done;
	bool answered; /* Prometheus itself answered (not a transport failure or 5xx) */
	char *fail;    /* transport or HTTP failure text of this refresh */
	/* Last good answers, shown again (with the error) when a refresh fails. */
	struct prom_result last_now, last_range;
	size_t last_total;
	bool have_last;
};

struct prom_fetch {
	struct prom_source *ps;
	size_t qi;
	bool range;
	struct http_call *call;
};

struct prom_source {
	struct source *src;
	struct endpoint *ep; /* url, timeout, TLS and credentials */
	double window_s;
	size_t points; /* 0: one per sparkline cell of the pane (src->view_cells) */
	struct prom_query *queries;
	size_t nqueries;
	struct prom_fetch *fetches; /* 2 per query */
	size_t pending;
	double start, step;
	size_t npoints;
};

static void prom_query_clear(struct prom_query *q)
{
	prom_result_free(&q->now);
	prom_result_free(&q->range);
	free(q->fail);
	q->fail = NULL;
	q->now_done = q->range_done = q->answered = false;
	q->now_total = 0;
}

static int prom_init_query(struct config_ctx *ctx, struct jnode *node, struct prom_query *q)
{
	double warn = 0, crit = 0, top = 10;
	if (node->type != JNODE_OBJECT)
		return config_fail(ctx, node, "expected a query object { \"name\", \"expr\", ... }");
	q->has_warn = jsonc_get(node, "warn") != NULL;
	q->has_crit = jsonc_get(node, "crit") != NULL;
	if (config_get_string(ctx, node, "name", true, NULL, &q->name) != 0 ||
	    config_get_string(ctx, node, "expr", true, NULL, &q->expr) != 0 ||
	    config_get_string(ctx, node, "unit", false, "", &q->unit) != 0 ||
	    config_get_string(ctx, node, "by", false, NULL, &q->by) != 0 ||
	    config_get_number(ctx, node, "warn", false, 0, -1e300, 1e300, &warn) != 0 ||
	    config_get_number(ctx, node, "crit", false, 0, -1e300, 1e300, &crit) != 0 ||
	    config_get_number(ctx, node, "top", false, 10, 1, 1000, &top) != 0)
		return -1;
	q->warn = warn;
	q->crit = crit;
	q->top = (size_t)top;
	return config_check_unknown(ctx, node, "prometheus query");
}

static int prom_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct prom_source *ps = xcalloc(1, sizeof(*ps));
	src->data = ps;
	ps->src = src;
	struct jnode *queries = NULL;
	double window_min = 30, points = 0;
	if (endpoint_read(ctx, node, &ps->ep) != 0 ||
	    config_get_node(ctx, node, "queries", JNODE_ARRAY, true, &queries) != 0 ||
	    config_get_number(ctx, node, "window_minutes", false, 30, 1, 60 * 24 * 31, &window_min) != 0 ||
	    config_get_number(ctx, node, "points", false, 0, 2, 2000, &points) != 0)
		return -1;
	if (queries->count == 0)
		return config_fail(ctx, queries, "expected at least one query");
	ps->window_s = window_min * 60;
	ps->points = (size_t)points;
	ps->queries = xcalloc(queries->count, sizeof(*ps->queries));
	/* before the queries: destroy walks 2 * nqueries fetches even after a bad query */
	ps->fetches = xcalloc(2 * queries->count, sizeof(*ps->fetches));
	for (struct jnode *q = queries->child; q != NULL; q = q->next) {
		ps->nqueries++; /* counted first, so destroy frees a half-read query */
		if (prom_init_query(ctx, q, &ps->queries[ps->nqueries - 1]) != 0)
			return -1;
	}
	return 0;
}

static int prom_start(struct source *src)
{
	struct prom_source *ps = src->data;
	source_set_warning(src, endpoint_warning(ps->ep));
	return 0;
}

static int prom_value_desc(const void *a, const void *b)
{
	double x = (*(const struct prom_series *const *)a)->value;
	double y = (*(const struct prom_series *const *)b)->value;
	/* NaN last: a broken series must not push real ones off screen. */
	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x < y) - (x > y);
}

/* Keeps the series of r marked in keep, in their order; frees the others. */
static void prom_result_keep(struct prom_result *r, const bool *keep)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nseries; i++)
		n += keep[i];
	if (n == r->nseries)
		return;
	struct prom_result drop = {.series = xcalloc(r->nseries - n, sizeof(*drop.series))};
	struct prom_series *kept = xcalloc(n + 1, sizeof(*kept));
	size_t k = 0;
	for (size_t i = 0; i < r->nseries; i++) {
		if (keep[i])
			kept[k++] = r->series[i];
		else
			drop.series[drop.nseries++] = r->series[i];
	}
	free(r->series);
	r->series = kept;
	r->nseries = n;
	prom_result_free(&drop);
}

/* The instant answer cut to the q->top series prom_add_query shows (the
 * same sort, so the same series). */
static void prom_keep_top(struct prom_query *q, struct prom_result *r)
{
	if (r->nseries <= q->top)
		return;
	const struct prom_series **order = xcalloc(r->nseries, sizeof(*order));
	for (size_t i = 0; i < r->nseries; i++)
		order[i] = &r->series[i];
	qsort(order, r->nseries, sizeof(*order), prom_value_desc);
	bool *keep = xcalloc(r->nseries, sizeof(*keep));
	for (size_t i = 0; i < q->top; i++)
		keep[order[i] - r->series] = true;
	free(order);
	prom_result_keep(r, keep);
	free(keep);
}

/* The range answer cut to the histories of the series in now. */
static void prom_keep_shown(struct prom_result *range, const struct prom_result *now)
{
	if (range->nseries == 0)
		return;
	bool *keep = xcalloc(range->nseries, sizeof(*keep));
	for (size_t k = 0; k < range->nseries; k++)
		for (size_t i = 0; i < now->nseries && !keep[k]; i++)
			keep[k] = strcmp(range->series[k].key, now->series[i].key) == 0;
	prom_result_keep(range, keep);
	free(keep);
}

static void prom_add_query(struct metrics_data *m, struct prom_query *q, const char *error,
                           const struct prom_result *now, size_t total, const struct prom_result *range)
{
	if (now == NULL || now->nseries == 0) {
		struct metric_series *s = metrics_add_series(m, q->name, q->unit);
		s->has_warn = q->has_warn;
		s->warn = q->warn;
		s->has_crit = q->has_crit;
		s->crit = q->crit;
		s->status = LEVEL_UNKNOWN;
		if (error != NULL)
			s->error = xstrdup(error);
		else
			s->detail = xstrdup("no data (empty result)");
		return;
	}
	const struct prom_series **order = xcalloc(now->nseries, sizeof(*order));
	for (size_t i = 0; i < now->nseries; i++)
		order[i] = &now->series[i];
	qsort(order, now->nseries, sizeof(*order), prom_value_desc);
	size_t shown = now->nseries < q->top ? now->nseries : q->top;
	for (size_t i = 0; i < shown; i++) {
		const struct prom_series *ps = order[i];
		struct metric_series *s = metrics_add_series(m, q->name, q->unit);
		for (size_t j = 0; j < ps->nlabels; j++)
			if (q->by == NULL || strcmp(ps->labels[j].name, q->by) == 0)
				metrics_add_label(s, ps->labels[j].name, ps->labels[j].value);
		s->has_warn = q->has_warn;
		s->warn = q->warn;
		s->has_crit = q->has_crit;
		s->crit = q->crit;
		metrics_set_value(s, ps->value);
		for (size_t k = 0; range != NULL && k < range->nseries; k++) {
			if (strcmp(range->series[k].key, ps->key) == 0) {
				metrics_set_history(s, range->series[k].points, range->series[k].npoints);
				break;
			}
		}
		if (error != NULL)
			s->error = xstrdup(error);
	}
	if (total > shown)
		m->series[m->nseries - 1].detail = xasprintf("top %zu of %zu", shown, total);
	free(order);
}

static void prom_finish(struct prom_source *ps)
{
	struct source *src = ps->src;
	struct metrics_data *m = metrics_data_new();
	size_t answered = 0;
	char *first_fail = NULL; /* copied: the query's own text is cleared below */
	for (size_t i = 0; i < ps->nqueries; i++) {
		struct prom_query *q = &ps->queries[i];
		if (q->answered)
			answered++;
		else if (first_fail == NULL && q->fail != NULL)
			first_fail = xstrdup(q->fail);
		const char *err = q->fail != NULL        ? q->fail
		                  : q->now.error != NULL ? q->now.error
		                                         : q->range.error;
		if (err == NULL) {
			/* Both answers are good: they become the last good ones. */
			prom_result_free(&q->last_now);
			prom_result_free(&q->last_range);
			q->last_now = q->now;
			q->last_range = q->range;
			q->last_total = q->now_total;
			memset(&q->now, 0, sizeof(q->now));
			memset(&q->range, 0, sizeof(q->range));
			q->have_last = true;
			prom_add_query(m, q, NULL, &q->last_now, q->last_total, &q->last_range);
		} else if (q->now.error == NULL && q->fail == NULL) {
			/* The value came but the history did not: show the value. */
			prom_add_query(m, q, err, &q->now, q->now_total,
			               q->have_last ? &q->last_range : NULL);
		} else {
			prom_add_query(m, q, err, q->have_last ? &q->last_now : NULL, q->last_total,
			               q->have_last ? &q->last_range : NULL);
		}
		prom_query_clear(q);
	}
	if (answered == 0) {
		metrics_data_free(m);
		if (ps->nqueries == 1)
			source_fail(src, "%s", first_fail != NULL ? first_fail : "no answer");
		else
			source_fail(src, "%s (all %zu queries failed)",
			            first_fail != NULL ? first_fail : "no answer", ps->nqueries);
		free(first_fail);
		return;
	}
	free(first_fail);
	source_publish(src, m);
}

static void prom_done(const struct http_resp *resp, void *arg)
{
	struct prom_fetch *f = arg;
	struct prom_source *ps = f->ps;
	struct prom_query *q = &ps->queries[f->qi];
	f->call = NULL;
	if (resp->error != NULL || resp->status >= 500 || resp->status == 0) {
		struct prom_result tmp = {0};
		if (resp->error == NULL) /* a 5xx: the body may still say why (errorType) */
			prom_parse_query(resp->body, resp->len, resp->status, &tmp);
		if (q->fail == NULL)
			q->fail = resp->error != NULL ? xstrdup(resp->error)
			                              : xstrdup(tmp.error != NULL ? tmp.error : "HTTP error");
		prom_result_free(&tmp);
	} else {
		struct prom_result *r = f->range ? &q->range : &q->now;
		if (f->range)
			prom_parse_range(resp->body, resp->len, resp->status, ps->start, ps->step,
			                 ps->npoints, r);
		else
			prom_parse_query(resp->body, resp->len, resp->status, r);
		if (!f->range) {
			q->now_total = r->nseries;
			prom_keep_top(q, r);
		}
		/* Prometheus's own errors belong to the query; anything else
		 * (malformed JSON, a proxy's HTML page) means the backend failed. */
		if (r->api_answer)
			q->answered = true;
		else if (q->fail == NULL)
			q->fail = xstrdup(r->error != NULL ? r->error : "unexpected answer");
	}
	if (f->range)
		q->range_done = true;
	else
		q->now_done = true;
	/* Both in: only the shown series' histories are needed. */
	if (q->now_done && q->range_done && q->fail == NULL && q->now.error == NULL)
		prom_keep_shown(&q->range, &q->now);
	if (--ps->pending == 0)
		prom_finish(ps);
}

static void prom_send(struct prom_source *ps, struct prom_fetch *f, const char *path, const char *params)
{
	struct prom_query *q = &ps->queries[f->qi];
	char *form = http_urlencode("query=", q->expr);
	char *full = xasprintf("%s%s", form, params);
	free(form);
	char *target = xasprintf("%s?%s", path, full);
	char *url = endpoint_url(ps->ep, target);
	struct http_req req = {0};
	if (strlen(url) > PROM_MAX_GET_URL) {
		/* Long expressions travel as a form body; Prometheus accepts POST. */
		strcpy(target, path);
		req.body = full;
		req.body_len = strlen(full);
	}
	f->call = endpoint_request(ps->ep, app_http(ps->src->app), target, &req, prom_done, f);
	free(url);
	free(target);
	free(full);
}

static void prom_refresh(struct source *src)
{
	struct prom_source *ps = src->data;
	if (app_http(src->app) == NULL) {
		source_fail(src, "no HTTP client");
		return;
	}
	/* Unless fixed in the config, one point per cell of the pane's
	 * sparkline: the pane tells its width when drawn; 60 until then. */
	size_t points = ps->points;
	if (points == 0)
		points = src->view_cells >= 2 ? (size_t)src->view_cells : PROM_DEFAULT_POINTS;
	ps->step = prom_step(ps->window_s, points);
	ps->npoints = (size_t)(ps->window_s / ps->step) + 1;
	double now = (double)time(NULL);
	/* Aligned to the step, so successive refreshes draw the same buckets. */
	double end = ceil(now / ps->step) * ps->step;
	ps->start = end - (double)(ps->npoints - 1) * ps->step;
	char range[160];
	snprintf(range, sizeof(range), "&start=%.0f&end=%.0f&step=%.0f", ps->start, end, ps->step);
	ps->pending = 2 * ps->nqueries;
	for (size_t i = 0; i < ps->nqueries; i++) {
		struct prom_fetch *fn = &ps->fetches[2 * i], *fr = &ps->fetches[2 * i + 1];
		*fn = (struct prom_fetch){.ps = ps, .qi = i, .range = false};
		*fr = (struct prom_fetch){.ps = ps, .qi = i, .range = true};
		prom_send(ps, fn, "/api/v1/query", "");
		prom_send(ps, fr, "/api/v1/query_range", range);
	}
}

static void prom_stop(struct source *src)
{
	struct prom_source *ps = src->data;
	if (ps == NULL)
		return;
	for (size_t i = 0; i < 2 * ps->nqueries; i++) {
		if (ps->fetches[i].call != NULL) {
			http_cancel(ps->fetches[i].call);
			ps->fetches[i].call = NULL;
		}
	}
}

static void prom_destroy(struct source *src)
{
	struct prom_source *ps = src->data;
	if (ps == NULL)
		return;
	prom_stop(src);
	for (size_t i = 0; i < ps->nqueries; i++) {
		struct prom_query *q = &ps->queries[i];
		prom_query_clear(q);
		prom_result_free(&q->last_now);
		prom_result_free(&q->last_range);
		free(q->name);
		free(q->expr);
		free(q->unit);
		free(q->by);
	}
	free(ps->queries);
	free(ps->fetches);
	endpoint_free(ps->ep);
	free(ps);
	src->data = NULL;
}

const struct source_ops source_prometheus = {
    .name = "prometheus",
    .kind = "metrics",
    .init = prom_init,
    .start = prom_start,
    .refresh = prom_refresh,
    .stop = prom_stop,
    .destroy = prom_destroy,
};
