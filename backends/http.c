/* http: the "http" source of a checks pane: synthetic checks run on the
 * loop. An HTTP(S) check is one request on the shared curl multi (its URL,
 * timeouts, TLS and credentials read like every HTTP source's, through
 * endpoint.c), judged by the checks model (status, text or regex in the
 * body, latency). A TCP check is a uv_tcp_connect with its own timer, to an
 * IP address or localhost only: names are resolved off the loop by http.c,
 * which this file cannot reach, and a blocking lookup has no place here.
 *
 * A refresh starts every check at once and publishes one snapshot when the
 * last has answered; each check keeps its latency history here, across
 * snapshots. The body is searched and dropped: only the config's words
 * reach the reason, so a hostile page cannot write on the screen. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <errno.h>
#include <string.h>

#include "sitrep/core/app.h"
#include "sitrep/kinds/checks.h"
#include "sitrep/core/config.h"
#include "sitrep/io/endpoint.h"
#include "sitrep/io/http.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* How much of a body is searched; a longer one is cut there (not failed). */
#define HC_MAX_BODY              (1u << 20)
#define HC_TCP_TIMEOUT_DEFAULT_S 3.0

struct hc_source;
struct hc_tcp;

struct hc_check {
	struct hc_source *hs;
	char *name;
	char *target; /* shown: "GET http://...", "tcp 127.0.0.1:22" */
	enum check_type type;
	struct check_expect expect;
	/* http */
	struct endpoint *ep;
	char *method;
	const char *path; /* "/" when the configured URL ended with one (endpoint drops it) */
	struct http_call *call;
	bool https;
	double min_tls_days; /* 0: the certificate's days left are shown, not judged */
	int tls_days;        /* days left on the certificate, -1 unknown */
	/* tcp */
	struct sockaddr_storage addr;
	uint64_t timeout_ms;
	struct hc_tcp *attempt; /* the connect in flight, NULL when none */
	/* this round's result */
	bool done, ok;
	long status;
	double latency_ms;
	char *reason;
	/* latencies, oldest first; NaN: no answer */
	double history[CHECKS_HISTORY];
	size_t nhistory;
};

struct hc_source {
	struct source *src;
	struct hc_check *checks;
	size_t nchecks;
	size_t pending; /* checks of this round still running */
};

/* One TCP connect: its socket and its timer, freed when both have closed. */
struct hc_tcp {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_timer_t timer;
	struct hc_check *check; /* NULL once detached (answered, timed out, stopped) */
	uint64_t started_ns;
	int open; /* handles not yet closed */
};

static const char *const hc_methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

static void hc_check_clear(struct hc_check *c)
{
	free(c->name);
	free(c->target);
	free(c->method);
	free(c->reason);
	checks_expect_clear(&c->expect);
	endpoint_free(c->ep);
}

static int hc_read_tcp(struct config_ctx *ctx, struct jnode *node, struct hc_check *c)
{
	char *host = NULL;
	double port = 0, timeout = 0;
	if (config_get_string(ctx, node, "host", true, NULL, &host) != 0 ||
	    config_get_number(ctx, node, "port", true, 0, 1, 65535, &port) != 0 ||
	    config_get_number(ctx, node, "timeout_seconds", false, HC_TCP_TIMEOUT_DEFAULT_S, 0.1, 300,
	                      &timeout) != 0) {
		free(host);
		return -1;
	}
	const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
	int rc = uv_ip4_addr(ip, (int)port, (struct sockaddr_in *)&c->addr);
	if (rc != 0)
		rc = uv_ip6_addr(ip, (int)port, (struct sockaddr_in6 *)&c->addr);
	if (rc != 0) {
		free(host);
		return config_fail(ctx, jsonc_get(node, "host"),
		                   "expected an IP address or \"localhost\" (a tcp check resolves no names)");
	}
	bool v6 = strchr(host, ':') != NULL;
	c->target = xasprintf("tcp %s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", (int)port);
	c->timeout_ms = (uint64_t)(timeout * 1000);
	free(host);
	return 0;
}

static int hc_read_http(struct config_ctx *ctx, struct jnode *node, struct hc_check *c)
{
	char *text = NULL, *regex = NULL;
	double status = 0;
	c->tls_days = -1;
	if (endpoint_read(ctx, node, &c->ep) != 0 ||
	    config_get_number(ctx, node, "min_tls_days", false, 0, 0, 3650, &c->min_tls_days) != 0 ||
	    config_get_string(ctx, node, "method", false, "GET", &c->method) != 0 ||
	    config_get_number(ctx, node, "expect_status", false, 0, 100, 599, &status) != 0 ||
	    config_get_string(ctx, node, "expect_text", false, NULL, &text) != 0 ||
	    config_get_string(ctx, node, "expect_regex", false, NULL, &regex) != 0)
		goto fail;
	bool known = false;
	for (size_t i = 0; i < ARRAY_LEN(hc_methods); i++)
		known |= strcmp(c->method, hc_methods[i]) == 0;
	if (!known) {
		config_fail(ctx, jsonc_get(node, "method"),
		            "expected one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
		goto fail;
	}
	if (text != NULL && text[0] == '\0') {
		config_fail(ctx, jsonc_get(node, "expect_text"), "expected a non-empty text");
		goto fail;
	}
	if ((text != NULL || regex != NULL) && strcmp(c->method, "HEAD") == 0) {
		config_fail(ctx, jsonc_get(node, text != NULL ? "expect_text" : "expect_regex"),
		            "a HEAD request has no body to search");
		goto fail;
	}
	char err[256];
	if (regex != NULL && checks_expect_regex(&c->expect, regex, err, sizeof(err)) != 0) {
		config_fail(ctx, jsonc_get(node, "expect_regex"), "%s", err);
		goto fail;
	}
	free(regex);
	c->expect.status = (long)status;
	c->expect.text = text;
	const struct jnode *url = jsonc_get(node, "url");
	c->path = url->len > 0 && url->string[url->len - 1] == '/' ? "/" : "";
	c->target = xasprintf("%s %s%s", c->method, endpoint_display(c->ep), c->path);
	c->https = strncmp(endpoint_base(c->ep), "https:", 6) == 0;
	return 0;
fail:
	free(text);
	free(regex);
	return -1;
}

static int hc_read_check(struct config_ctx *ctx, struct jnode *node, struct hc_source *hs, struct hc_check *c)
{
	char *type = NULL;
	double max_ms = 0;
	if (node->type != JNODE_OBJECT)
		return config_fail(ctx, node, "expected a check object { \"name\", \"url\", ... }");
	if (config_get_string(ctx, node, "name", true, NULL, &c->name) != 0 ||
	    config_get_string(ctx, node, "type", false, "http", &type) != 0 ||
	    config_get_number(ctx, node, "max_latency_ms", false, 0, 1, 600000, &max_ms) != 0) {
		free(type);
		return -1;
	}
	for (size_t i = 0; i + 1 < hs->nchecks; i++) {
		if (strcmp(hs->checks[i].name, c->name) == 0) {
			free(type);
			return config_fail(ctx, jsonc_get(node, "name"),
			                   "a check of this name comes earlier");
		}
	}
	int rc;
	if (strcmp(type, "http") == 0) {
		c->type = CHECK_HTTP;
		rc = hc_read_http(ctx, node, c);
	} else if (strcmp(type, "tcp") == 0) {
		c->type = CHECK_TCP;
		rc = hc_read_tcp(ctx, node, c);
	} else {
		rc = config_fail(ctx, jsonc_get(node, "type"), "expected \"http\" or \"tcp\"");
	}
	free(type);
	if (rc != 0)
		return -1;
	c->expect.max_latency_ms = max_ms;
	return config_check_unknown(ctx, node, c->type == CHECK_TCP ? "tcp check" : "http check");
}

static int hc_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct hc_source *hs = xcalloc(1, sizeof(*hs));
	src->data = hs;
	hs->src = src;
	struct jnode *checks = NULL;
	if (config_get_node(ctx, node, "checks", JNODE_ARRAY, true, &checks) != 0)
		return -1;
	if (checks->count == 0)
		return config_fail(ctx, checks, "expected at least one check");
	hs->checks = xcalloc(checks->count, sizeof(*hs->checks));
	for (struct jnode *n = checks->child; n != NULL; n = n->next) {
		struct hc_check *c =
		    &hs->checks[hs->nchecks++]; /* counted first: destroy frees a half-read one */
		c->hs = hs;
		if (hc_read_check(ctx, n, hs, c) != 0)
			return -1;
	}
	return 0;
}

static int hc_start(struct source *src)
{
	struct hc_source *hs = src->data;
	for (size_t i = 0; i < hs->nchecks; i++) {
		const char *w = hs->checks[i].ep != NULL ? endpoint_warning(hs->checks[i].ep) : NULL;
		if (w != NULL) {
			source_set_warning(src, w);
			break;
		}
	}
	return 0;
}

/* The snapshot: every check's last result and its history, sanitized. */
static void hc_publish(struct hc_source *hs)
{
	struct checks_data *d = checks_data_new(hs->nchecks);
	for (size_t i = 0; i < hs->nchecks; i++) {
		const struct hc_check *c = &hs->checks[i];
		struct check *o = &d->checks[i];
		o->name = sanitize_str(c->name);
		o->target = sanitize_str(c->target);
		o->type = c->type;
		o->checked = c->done;
		o->ok = c->ok;
		o->status = c->status;
		o->latency_ms = c->latency_ms;
		o->tls_days = c->type == CHECK_HTTP ? c->tls_days : -1;
		o->reason = c->reason != NULL ? xstrdup(c->reason)
		                              : NULL; /* made by checks_judge or here: sanitized */
		o->nhistory = c->nhistory;
		if (c->nhistory > 0) {
			o->history = xmalloc(c->nhistory * sizeof(double));
			memcpy(o->history, c->history, c->nhistory * sizeof(double));
		}
	}
	source_publish(hs->src, d);
}

static void hc_record(struct hc_check *c, bool ok, long status, double latency_ms, char *reason)
{
	c->done = true;
	c->ok = ok;
	c->status = status;
	c->latency_ms = latency_ms;
	free(c->reason);
	c->reason = reason;
	if (c->nhistory == CHECKS_HISTORY) {
		memmove(c->history, c->history + 1, (CHECKS_HISTORY - 1) * sizeof(double));
		c->nhistory--;
	}
	c->history[c->nhistory++] = latency_ms >= 0 ? latency_ms : NAN;
	struct hc_source *hs = c->hs;
	if (hs->pending > 0 && --hs->pending == 0)
		hc_publish(hs);
}

/* curl's words for a failed transfer, made short for a row. */
static char *hc_transport_reason(const char *error)
{
	char *out;
	if (strstr(error, "Connection refused") != NULL)
		out = xstrdup("connect refused");
	else if (strstr(error, "Couldn't connect to server") != NULL)
		out = xstrdup("cannot connect");
	else if (strncmp(error, "timed out", 9) == 0) {
		/* "timed out: Operation timed out after 1000 milliseconds with 0 bytes received" */
		const char *after = strstr(error, " after ");
		unsigned long ms;
		bool conn = strstr(error, "onnect") != NULL;
		if (after != NULL && sscanf(after, " after %lu millisecond", &ms) == 1)
			out = xasprintf("%s after %lu ms", conn ? "connect timed out" : "timed out", ms);
		else
			out = xstrdup(error);
	} else
		out = xasprintf("no answer: %s", error);
	char *s = sanitize(out, strlen(out), 200);
	free(out);
	return s;
}

static void hc_http_done(const struct http_resp *resp, void *arg)
{
	struct hc_check *c = arg;
	c->call = NULL;
	if (resp->error != NULL) {
		/* curl says "Couldn't connect" for every failed connect; the errno knows */
		hc_record(c, false, 0, -1,
		          resp->os_errno == ECONNREFUSED ? xstrdup("connect refused") : hc_transport_reason(resp->error));
		return;
	}
	double ms = resp->seconds * 1000;
	char *reason;
	bool ok =
	    checks_judge(&c->expect, true, resp->status, resp->body, resp->len, resp->truncated, ms, &reason);
	if (resp->cert_expiry > 0) {
		long left = resp->cert_expiry - (long)time(NULL);
		c->tls_days = left < 0 ? -((int)((-left) / 86400) + 1) : (int)(left / 86400);
		if (ok && c->min_tls_days > 0 && c->tls_days < c->min_tls_days) {
			ok = false;
			free(reason);
			reason = c->tls_days < 0 ? xstrdup("certificate expired")
			                         : xasprintf("certificate expires in %d days (< %.0f)", c->tls_days,
			                                     c->min_tls_days);
		}
	}
	hc_record(c, ok, resp->status, ms, reason);
}

static void hc_http_start(struct hc_check *c, struct http *h)
{
	struct http_req req = {0};
	req.method = c->method;
	req.head = strcmp(c->method, "HEAD") == 0;
	req.max_body = HC_MAX_BODY;
	req.truncate_body = true;
	req.certinfo = c->https;
	c->call = endpoint_request(c->ep, h, c->path, &req, hc_http_done, c);
}

/* --- tcp --- */

static void hc_tcp_closed(uv_handle_t *handle)
{
	struct hc_tcp *t = handle->data;
	if (--t->open == 0)
		free(t);
}

/* Detaches the attempt from its check and closes its handles. */
static void hc_tcp_end(struct hc_tcp *t)
{
	if (t->check != NULL)
		t->check->attempt = NULL;
	t->check = NULL;
	uv_timer_stop(&t->timer);
	if (!uv_is_closing((uv_handle_t *)&t->timer))
		uv_close((uv_handle_t *)&t->timer, hc_tcp_closed);
	if (!uv_is_closing((uv_handle_t *)&t->tcp))
		uv_close((uv_handle_t *)&t->tcp, hc_tcp_closed);
}

static void hc_tcp_connected(uv_connect_t *req, int status)
{
	struct hc_tcp *t = req->data;
	struct hc_check *c = t->check;
	if (c == NULL)
		return; /* timed out or stopped: already recorded */
	double ms = (double)(uv_hrtime() - t->started_ns) / 1e6;
	hc_tcp_end(t);
	if (status != 0) {
		char *why = status == UV_ECONNREFUSED ? xstrdup("connect refused")
		                                      : xasprintf("connect failed: %s", uv_strerror(status));
		hc_record(c, false, 0, -1, why);
		return;
	}
	char *reason;
	bool ok = checks_judge(&c->expect, false, 0, NULL, 0, false, ms, &reason);
	hc_record(c, ok, 0, ms, reason);
}

static void hc_tcp_timeout(uv_timer_t *timer)
{
	struct hc_tcp *t = timer->data;
	struct hc_check *c = t->check;
	hc_tcp_end(t);
	if (c != NULL)
		hc_record(c, false, 0, -1,
		          xasprintf("connect timed out after %llu ms", (unsigned long long)c->timeout_ms));
}

static void hc_tcp_start(struct hc_check *c, uv_loop_t *loop)
{
	struct hc_tcp *t = xcalloc(1, sizeof(*t));
	t->check = c;
	t->tcp.data = t->timer.data = t->conn.data = t;
	uv_tcp_init(loop, &t->tcp);
	uv_timer_init(loop, &t->timer);
	t->open = 2;
	c->attempt = t;
	t->started_ns = uv_hrtime();
	int rc = uv_tcp_connect(&t->conn, &t->tcp, (const struct sockaddr *)&c->addr, hc_tcp_connected);
	if (rc != 0) {
		hc_tcp_end(t);
		hc_record(c, false, 0, -1,
		          rc == UV_ECONNREFUSED ? xstrdup("connect refused")
		                                : xasprintf("connect failed: %s", uv_strerror(rc)));
		return;
	}
	uv_timer_start(&t->timer, hc_tcp_timeout, c->timeout_ms, 0);
}

static void hc_refresh(struct source *src)
{
	struct hc_source *hs = src->data;
	struct http *h = app_http(src->app);
	/* Counted before any starts: a check may answer at once (refused). */
	hs->pending = hs->nchecks + 1;
	for (size_t i = 0; i < hs->nchecks; i++) {
		struct hc_check *c = &hs->checks[i];
		if (c->type == CHECK_TCP)
			hc_tcp_start(c, src->loop);
		else if (h != NULL)
			hc_http_start(c, h);
		else
			hc_record(c, false, 0, -1, xstrdup("no HTTP client"));
	}
	if (--hs->pending == 0)
		hc_publish(hs);
}

static void hc_stop(struct source *src)
{
	struct hc_source *hs = src->data;
	if (hs == NULL)
		return;
	for (size_t i = 0; i < hs->nchecks; i++) {
		struct hc_check *c = &hs->checks[i];
		if (c->call != NULL) {
			http_cancel(c->call);
			c->call = NULL;
		}
		if (c->attempt != NULL)
			hc_tcp_end(c->attempt);
	}
	hs->pending = 0;
}

static void hc_destroy(struct source *src)
{
	struct hc_source *hs = src->data;
	if (hs == NULL)
		return;
	hc_stop(src);
	for (size_t i = 0; i < hs->nchecks; i++)
		hc_check_clear(&hs->checks[i]);
	free(hs->checks);
	free(hs);
	src->data = NULL;
}

const struct source_ops source_http = {
    .name = "http",
    .kind = "checks",
    .init = hc_init,
    .start = hc_start,
    .refresh = hc_refresh,
    .stop = hc_stop,
    .destroy = hc_destroy,
};
