/* loki: the "loki" log input. Polls /loki/api/v1/query_range through the
 * shared HTTP client, forward in time, with start just after the newest line
 * already seen: nothing is delivered twice and, because a full page (limit
 * lines) is followed at once by the next page, nothing is skipped. The first
 * poll looks back "since_seconds". X-Scope-OrgID and a bearer token (from
 * token_env / token_file, never inline) are sent when configured; the server
 * keys (url, timeout, TLS, token) are those of every HTTP source (endpoint.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sitrep/io/endpoint.h"
#include "sitrep/io/http.h"
#include "backends/loginput.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

struct loki {
	struct log_input *in;
	struct endpoint *ep; /* url, timeout, TLS and credentials */
	char *query, *org_id;
	double poll_s, limit, since_s;
	int64_t newest_ns; /* newest line delivered; 0: none yet */
	struct http_call *call;
	uv_timer_t timer;
	bool timer_open;
	int open_closes;
};

static int64_t loki_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *loki_query_url(const char *base, const char *query, int64_t start_ns, int64_t end_ns, unsigned limit)
{
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	char *q = http_urlencode("", query);
	char *url = xasprintf("%.*s/loki/api/v1/query_range?query=%s&start=%lld&end=%lld&limit=%u"
	                      "&direction=forward",
	                      (int)bl, base, q, (long long)start_ns, (long long)end_ns, limit);
	free(q);
	return url;
}

void loki_entries_free(struct loki_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].line);
	free(e);
}

static int loki_cmp(const void *a, const void *b)
{
	const struct loki_entry *x = a, *y = b;
	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

int loki_parse(const char *body, size_t len, struct loki_entry **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		*err = xstrdup("Loki answer is not JSON");
		return -1;
	}
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "resultType");
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
	if (!cJSON_IsString(status) || status->valuestring == NULL ||
	    strcmp(status->valuestring, "success") != 0 || !cJSON_IsArray(result)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
		*err =
		    xasprintf("Loki: %s", cJSON_IsString(e) && e->valuestring != NULL ? e->valuestring
		                                                                      : "unexpected answer");
		cJSON_Delete(root);
		return -1;
	}
	if (cJSON_IsString(type) && type->valuestring != NULL && strcmp(type->valuestring, "streams") != 0) {
		*err = xasprintf("Loki: the query returns %s, not log lines", type->valuestring);
		cJSON_Delete(root);
		return -1;
	}
	size_t cap = 0;
	const cJSON *stream;
	cJSON_ArrayForEach(stream, result)
	{
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(stream, "values");
		const cJSON *v;
		cJSON_ArrayForEach(v, values)
		{
			const cJSON *ts = cJSON_GetArrayItem(v, 0), *line = cJSON_GetArrayItem(v, 1);
			if (!cJSON_IsString(ts) || ts->valuestring == NULL || !cJSON_IsString(line) ||
			    line->valuestring == NULL)
				continue;
			/* a timestamp that is not a plain positive count would let the
			 * next poll's start (newest + 1) overflow */
			char *end;
			errno = 0;
			long long ns = strtoll(ts->valuestring, &end, 10);
			if (errno != 0 || end == ts->valuestring || *end != '\0' || ns <= 0 ||
			    ns == LLONG_MAX)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				*out = xrealloc(*out, cap * sizeof(**out));
			}
			struct loki_entry *e = &(*out)[(*n)++];
			e->ns = ns;
			e->len = strlen(line->valuestring);
			e->line = xstrdup(line->valuestring);
		}
	}
	cJSON_Delete(root);
	/* Streams come one after another; the pane wants one time line. */
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), loki_cmp);
	return 0;
}

static void loki_poll(struct loki *lk);

static void loki_timer_cb(uv_timer_t *h)
{
	loki_poll(h->data);
}

static void loki_done(const struct http_resp *resp, void *arg)
{
	struct loki *lk = arg;
	lk->call = NULL;
	char *err = NULL;
	struct loki_entry *e = NULL;
	size_t n = 0;
	if (resp->error != NULL) {
		err = xasprintf("%s: %s", endpoint_display(lk->ep), resp->error);
	} else if (resp->status != 200) {
		err = xasprintf("%s: HTTP %ld", endpoint_display(lk->ep), resp->status);
	} else if (loki_parse(resp->body, resp->len, &e, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			/* start is inclusive: a line at exactly newest_ns was seen. */
			if (e[i].ns <= lk->newest_ns)
				continue;
			/* an entry is one record: a trace joined by the shipper
			 * (promtail's multiline stage) is one event */
			loginput_record(lk->in, lk->in->label, e[i].ns / 1000000, -1, e[i].line, e[i].len,
			                false);
			lk->newest_ns = e[i].ns;
		}
	}
	loginput_error(lk->in, err);
	loginput_ready(lk->in);
	free(err);
	loki_entries_free(e, n);
	/* A full page means more is waiting: fetch it now, not a poll later. */
	bool more = err == NULL && n >= (size_t)lk->limit;
	if (lk->timer_open)
		uv_timer_start(&lk->timer, loki_timer_cb, more ? 0 : (uint64_t)(lk->poll_s * 1000), 0);
}

static void loki_poll(struct loki *lk)
{
	struct http *http = loginput_http(lk->in);
	if (http == NULL) {
		loginput_error(lk->in, "no HTTP client");
		loginput_ready(lk->in);
		return;
	}
	int64_t now = loki_now_ns();
	int64_t start = lk->newest_ns > 0 ? lk->newest_ns + 1 : now - (int64_t)(lk->since_s * 1e9);
	/* No base: the path and query, which the endpoint puts after its URL. */
	char *path = loki_query_url("", lk->query, start, now, (unsigned)lk->limit);
	char *org = lk->org_id != NULL ? xasprintf("X-Scope-OrgID: %s", lk->org_id) : NULL;
	const char *headers[] = {org, NULL};
	struct http_req req = {.headers = org != NULL ? headers : NULL};
	lk->call = endpoint_request(lk->ep, http, path, &req, loki_done, lk);
	free(path);
	free(org);
}

static int loki_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct loki *lk = xcalloc(1, sizeof(*lk));
	in->data = lk;
	lk->in = in;
	if (endpoint_read(ctx, node, &lk->ep) < 0 ||
	    config_get_string(ctx, node, "query", true, NULL, &lk->query) < 0 ||
	    config_get_string(ctx, node, "org_id", false, NULL, &lk->org_id) < 0 ||
	    config_get_number(ctx, node, "poll_seconds", false, 2, 0.2, 3600, &lk->poll_s) < 0 ||
	    config_get_number(ctx, node, "limit", false, 1000, 1, 5000, &lk->limit) < 0 ||
	    config_get_number(ctx, node, "since_seconds", false, 300, 0, 30 * 86400, &lk->since_s) < 0)
		return -1;
	if (in->name == NULL)
		in->name = xstrdup("loki");
	return 0;
}

static int loki_start(struct log_input *in)
{
	struct loki *lk = in->data;
	uv_timer_init(in->loop, &lk->timer);
	lk->timer.data = lk;
	lk->timer_open = true;
	/* A log input has no badge: the warning is a line of its own, once. */
	if (endpoint_warning(lk->ep) != NULL) {
		char *line = xasprintf("sitrep: %s: %s", endpoint_display(lk->ep), endpoint_warning(lk->ep));
		loginput_line(in, in->label, 0, LOG_SEV_WARN, line, strlen(line), false);
		free(line);
	}
	loki_poll(lk);
	return 0;
}

static void loki_timer_closed(uv_handle_t *h)
{
	struct loki *lk = h->data;
	loginput_closed(lk->in);
}

static void loki_stop(struct log_input *in)
{
	struct loki *lk = in->data;
	if (lk->call != NULL) {
		http_cancel(lk->call);
		lk->call = NULL;
	}
	if (lk->timer_open) {
		lk->timer_open = false;
		uv_close((uv_handle_t *)&lk->timer, loki_timer_closed);
	} else {
		loginput_closed(in);
	}
}

static void loki_destroy(struct log_input *in)
{
	struct loki *lk = in->data;
	if (lk == NULL)
		return;
	endpoint_free(lk->ep);
	free(lk->query);
	free(lk->org_id);
	free(lk);
	in->data = NULL;
}

const struct log_input_ops loginput_loki = {
    .type = "loki",
    .init = loki_init,
    .start = loki_start,
    .stop = loki_stop,
    .destroy = loki_destroy,
};
