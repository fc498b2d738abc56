/* cdn: the "cdn" source. Every refresh fetches each configured asset
 * from the edge and from the origin at once, all on the one HTTP client
 * (connections reused), hashes the bodies up to a cap, and compares the two
 * copies (backends/cdn-cache.c) into a verdict with its reason. The provider
 * (varnish.c, ...) says how a purge is asked for and where hit ratios come
 * from (a one-shot command such as varnishstat -j, run beside the probes).
 *
 * A purge takes the gate's one road: prepare builds the exact requests from
 * the provider's plan (shown by the dialog, recorded by the audit log), act
 * sends exactly those, reads the provider's answers, and is done only when
 * a re-probe finds the edge serving the origin's copy, or the verification
 * time passes: "3 purged, 3 fresh in 4 s", or "purge accepted, /app.js
 * still stale after 60 s". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backends/cdn.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/kind.h"
#include "sitrep/io/run.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define CDN_DEFAULT_MAX_HASH (2u << 20)
#define CDN_VERIFY_PAUSE_MS  1000

#define CDN_MAX_HOPS 5 /* redirects an edge probe follows on the edge */

#define CDN_RETRIES         3 /* answers of 429 retried, each after its Retry-After */
#define CDN_RETRY_DEFAULT_S 5
#define CDN_RETRY_MAX_S     60

static const struct cdn_provider *const cdn_providers[] = {
    &cdn_provider_varnish,    &cdn_provider_nginx,  &cdn_provider_http,
    &cdn_provider_cloudflare, &cdn_provider_fastly, &cdn_provider_cloudfront,
};

struct cdn_round;

#define CDN_MAX_EDGES 64

/* One edge of the pane: a POP or an edge URL, probed and purged on its own. */
struct cdn_edge {
	char *name;  /* its label in rows and JSON; NULL for a lone "edge_url" */
	char *url;   /* without a trailing '/' */
	void *pdata; /* per_edge providers: the provider's state for this edge */
};

struct cdn_src {
	struct source *src;
	const struct cdn_provider *prov;
	void *pdata;            /* the provider's state (the first edge's when per_edge) */
	struct cdn_edge *edges; /* at least one */
	size_t nedges;
	char *origin_url; /* without a trailing '/' */
	char **assets;    /* the configured ones, NULL-terminated */
	size_t nassets;
	char **discover; /* origin pages whose scripts and styles are probed too, or NULL */
	size_t ndiscover;
	size_t max_assets;
	char **paths; /* what a refresh probes: assets, then the pages and what they reference */
	size_t npaths;
	struct cdn_disc *disc; /* reading the discover pages */
	char **req_headers;    /* "Name: value", NULL-terminated, or NULL */
	char **probe_headers;  /* req_headers plus Accept-Encoding: identity */
	long timeout_ms;
	size_t max_hash;
	double verify_s;
	bool insecure;
	struct cdn_round *round; /* the refresh in flight */
	struct run *stats_run;
	bool stats_pending;
	double hit_ratio, objects;
	char *stats_error;
	struct cdn_purge *purge; /* the purge in flight */
	uv_timer_t verify_timer; /* the pause between verification probes */
	bool timer_open;
	uv_timer_t retry_timer; /* a purge request answered 429, sent again after Retry-After */
	bool retry_open;
	bool stopping; /* sitrep quits: no new refresh */
};

/* One fetch: an asset at the edge or at the origin, HEAD first, then GET
 * when the validators leave the verdict to the body. */
struct cdn_probe {
	struct cdn_round *round;
	size_t asset;
	size_t edge; /* which edge, when not the origin */
	bool origin;
	bool get; /* the GET stage: the body is hashed */
	struct http_call *call;
	struct cdn_side side;
	char error[256];
	char *url;      /* the edge only: where a redirect on the edge led, NULL before one */
	int hops;       /* redirects followed on the edge */
	char left[512]; /* where a redirect led off the edge */
};

typedef void (*cdn_round_cb)(struct cdn_round *r, void *arg);

/* Both fetches of every asset of a set, in flight together. */
struct cdn_round {
	struct cdn_src *cs;
	char **paths; /* owned copies */
	size_t n;
	size_t stride;            /* probes per path: one per edge, then the origin */
	struct cdn_probe *probes; /* stride per path */
	unsigned *heads;          /* per path: HEAD answers still awaited */
	size_t pending;
	cdn_round_cb cb;
	void *arg;
};

/* Where a path of a plan is purged and verified, per edge. */
enum cdn_at {
	CDN_AT_NONE = 0,
	CDN_AT_EDGE,      /* purged there (or by an API that purges every edge), verified there */
	CDN_AT_EDGE_GONE, /* the same, and the origin already answered 404/410 before: the
	                     edge answering 404/410 too is the purge's effect, not a doubt */
};

/* A plan: what prepare built and act sends. */
struct cdn_plan {
	struct cdn_request *reqs;
	size_t nreqs;
	char **paths; /* raw, unique: what is verified afterwards */
	size_t npaths;
	size_t nedges;
	unsigned char *at; /* npaths * nedges enum cdn_at: which edges each path is for */
	size_t *req_edge;  /* per request: the edge it goes to, or SIZE_MAX for an API call */
	bool all;
};

struct cdn_purge {
	struct cdn_src *cs;
	struct action *action;
	struct cdn_plan *plan;
	struct http_call **calls;
	uint64_t *due_ms; /* per request: when a 429'd request goes again, 0 not waiting */
	unsigned *tries;
	size_t pending, accepted;
	char *refusal;  /* the first provider refusal */
	char *redirect; /* the first redirect answered, in words */
	size_t redirected;
	char *ids; /* the provider's purge ids, ", "-joined */
	uint64_t started_ms, deadline_ms;
	struct cdn_round *round; /* the verification probe in flight */
	char *last_bad;          /* what was still stale at the last probe */
};

void cdn_request_clear(struct cdn_request *r)
{
	free(r->method);
	free(r->url);
	free(r->body);
	free(r->content_type);
	free(r->aws_sigv4);
	free(r->user);
	if (r->secret != NULL) {
		explicit_bzero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	for (char **h = r->headers; h != NULL && *h != NULL; h++) {
		explicit_bzero(*h, strlen(*h));
		free(*h);
	}
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

static void cdn_plan_free(void *p)
{
	struct cdn_plan *plan = p;
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->nreqs; i++)
		cdn_request_clear(&plan->reqs[i]);
	free(plan->reqs);
	for (size_t i = 0; i < plan->npaths; i++)
		free(plan->paths[i]);
	free(plan->paths);
	free(plan->at);
	free(plan->req_edge);
	free(plan);
}

/* ---- config ---- */

static int cdn_url(struct config_ctx *ctx, struct jnode *node, const char *key, char **out)
{
	if (config_get_string(ctx, node, key, true, NULL, out) != 0)
		return -1;
	if (strncmp(*out, "http://", 7) != 0 && strncmp(*out, "https://", 8) != 0)
		return config_fail(ctx, jsonc_get(node, key), "expected an http:// or https:// URL");
	size_t n = strlen(*out);
	while (n > 8 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	sanitize_add_url_secret(*out);
	return 0;
}

static int cdn_read_headers(struct cdn_src *cs, struct config_ctx *ctx, struct jnode *node)
{
	struct jnode *obj;
	if (config_get_node(ctx, node, "request_headers", JNODE_OBJECT, false, &obj) != 0)
		return -1;
	if (obj == NULL)
		return 0;
	cs->req_headers = xcalloc(obj->count + 1, sizeof(char *));
	size_t i = 0;
	for (struct jnode *m = obj->child; m != NULL; m = m->next) {
		m->used = true;
		if (m->type != JNODE_STRING)
			return config_fail(ctx, m, "a request header's value is a string");
		bool bad = m->key[0] == '\0' || strpbrk(m->key, " \t:\r\n") != NULL;
		for (const char *p = m->string; !bad && *p != '\0'; p++)
			bad = (unsigned char)*p < 0x20 && *p != '\t';
		if (bad || strlen(m->string) != m->len)
			return config_fail(
			    ctx, m, "a header name without spaces or ':' and a value without control bytes");
		cs->req_headers[i++] = xasprintf("%s: %s", m->key, m->string);
	}
	return 0;
}

/* Both sides are asked for the identity encoding, so lengths and hashes
 * compare; a configured Accept-Encoding wins. */
static void cdn_probe_headers(struct cdn_src *cs)
{
	size_t n = 0;
	bool own = false;
	for (char **h = cs->req_headers; h != NULL && *h != NULL; h++, n++)
		own |= strncasecmp(*h, "Accept-Encoding:", 16) == 0;
	cs->probe_headers = xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		cs->probe_headers[i] = xstrdup(cs->req_headers[i]);
	if (!own)
		cs->probe_headers[n] = xstrdup("Accept-Encoding: identity");
}

/* "edge_url" (one edge), or "edges": [ { "name", "url", "purge_url" } ]. */
static int cdn_read_edges(struct cdn_src *cs, struct config_ctx *ctx, struct jnode *node)
{
	struct jnode *arr;
	if (config_get_node(ctx, node, "edges", JNODE_ARRAY, false, &arr) != 0)
		return -1;
	if (arr == NULL) {
		cs->edges = xcalloc(1, sizeof(*cs->edges));
		cs->nedges = 1;
		return cdn_url(ctx, node, "edge_url", &cs->edges[0].url);
	}
	if (jsonc_get(node, "edge_url") != NULL)
		return config_fail(ctx, jsonc_get(node, "edge_url"), "\"edge_url\" or \"edges\", not both");
	if (arr->count == 0 || arr->count > CDN_MAX_EDGES)
		return config_fail(ctx, arr, "between 1 and %d edges", CDN_MAX_EDGES);
	cs->edges = xcalloc(arr->count, sizeof(*cs->edges));
	for (struct jnode *m = arr->child; m != NULL; m = m->next) {
		if (m->type != JNODE_OBJECT)
			return config_fail(ctx, m,
			                   "an edge is { \"name\": \"fra\", \"url\": \"http://...\" }");
		struct cdn_edge *e = &cs->edges[cs->nedges++]; /* counted first: destroy frees it */
		if (config_get_string(ctx, m, "name", true, NULL, &e->name) != 0 ||
		    cdn_url(ctx, m, "url", &e->url) != 0)
			return -1;
		if (e->name[0] == '\0' || strlen(e->name) > 40 || strpbrk(e->name, " \t\r\n") != NULL)
			return config_fail(ctx, jsonc_get(m, "name"),
			                   "an edge's name is a short word (\"fra\")");
		for (const char *c = e->name; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return config_fail(ctx, jsonc_get(m, "name"),
				                   "an edge's name has no control bytes");
		for (size_t i = 0; i + 1 < cs->nedges; i++)
			if (strcmp(cs->edges[i].name, e->name) == 0)
				return config_fail(ctx, jsonc_get(m, "name"), "two edges named \"%s\"",
				                   e->name);
		/* purge_url is read by the provider, per edge. */
		if (config_check_unknown(ctx, m, "cdn edge") != 0)
			return -1;
	}
	return 0;
}

/* The provider's state: one per edge when it purges each edge, its own
 * purge_url (in the edge's object) or the edge's URL as the default. */
static int cdn_init_provider(struct cdn_src *cs, struct config_ctx *ctx, struct jnode *node)
{
	struct jnode *arr = jsonc_get(node, "edges");
	if (!cs->prov->per_edge || arr == NULL)
		return cs->prov->init(ctx, node, cs->edges[0].url, &cs->pdata);
	if (jsonc_get(node, "purge_url") != NULL && cs->nedges > 1)
		return config_fail(ctx, jsonc_get(node, "purge_url"),
		                   "with several edges, give each edge its own \"purge_url\"");
	size_t i = 0;
	for (struct jnode *m = arr->child; m != NULL && i < cs->nedges; m = m->next, i++) {
		char *purge = NULL;
		if (config_get_string(ctx, m, "purge_url", false, cs->edges[i].url, &purge) != 0)
			return -1;
		int rc = cs->prov->init(ctx, node, purge, &cs->edges[i].pdata);
		free(purge);
		if (rc != 0)
			return -1;
	}
	cs->pdata = cs->edges[0].pdata;
	return 0;
}

static int cdn_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct cdn_src *cs = xcalloc(1, sizeof(*cs));
	src->data = cs;
	cs->src = src;
	cs->hit_ratio = cs->objects = -1;
	char *provider = NULL;
	if (config_get_string(ctx, node, "provider", true, NULL, &provider) != 0)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(cdn_providers); i++)
		if (strcmp(cdn_providers[i]->name, provider) == 0)
			cs->prov = cdn_providers[i];
	if (cs->prov == NULL) {
		free(provider);
		return config_fail(ctx, jsonc_get(node, "provider"),
		                   "unknown CDN provider (this build has: varnish, nginx, http, cloudflare, "
		                   "fastly, cloudfront)");
	}
	free(provider);
	double timeout_s, max_hash, max_assets;
	if (cdn_read_edges(cs, ctx, node) != 0 || cdn_url(ctx, node, "origin_url", &cs->origin_url) != 0 ||
	    config_get_argv(ctx, node, "discover", false, &cs->discover) != 0 ||
	    config_get_argv(ctx, node, "assets", jsonc_get(node, "discover") == NULL, &cs->assets) != 0 ||
	    config_get_number(ctx, node, "max_assets", false, 100, 1, 10000, &max_assets) != 0 ||
	    config_get_number(ctx, node, "timeout_seconds", false, 10, 0.1, 300, &timeout_s) != 0 ||
	    config_get_number(ctx, node, "max_hash_bytes", false, CDN_DEFAULT_MAX_HASH, 1024,
	                      256.0 * 1024 * 1024, &max_hash) != 0 ||
	    config_get_number(ctx, node, "verify_timeout_seconds", false, 60, 1, 3600, &cs->verify_s) != 0 ||
	    config_get_bool(ctx, node, "insecure", false, &cs->insecure) != 0 ||
	    cdn_read_headers(cs, ctx, node) != 0)
		return -1;
	cs->timeout_ms = lround(timeout_s * 1000);
	cs->max_hash = (size_t)max_hash;
	cs->max_assets = (size_t)max_assets;
	cdn_probe_headers(cs);
	if (cs->assets == NULL)
		cs->assets = xcalloc(1, sizeof(char *));
	for (char **a = cs->assets; *a != NULL; a++, cs->nassets++) {
		if ((*a)[0] != '/' || strpbrk(*a, " \t\r\n#") != NULL)
			return config_fail(
			    ctx, jsonc_get(node, "assets"),
			    "every asset is a path that starts with / (\"/static/app.js\"), without spaces");
	}
	for (char **a = cs->discover; a != NULL && *a != NULL; a++, cs->ndiscover++) {
		if ((*a)[0] != '/' || strpbrk(*a, " \t\r\n#") != NULL)
			return config_fail(
			    ctx, jsonc_get(node, "discover"),
			    "every page to discover is a path that starts with / (\"/booking\")");
	}
	if (cs->nassets == 0 && cs->ndiscover == 0)
		return config_fail(ctx, jsonc_get(node, cs->discover != NULL ? "discover" : "assets"),
		                   "name at least one asset (\"/static/app.js\") or page to discover");
	if (cs->nassets > cs->max_assets)
		return config_fail(ctx, jsonc_get(node, "assets"), "more assets than max_assets (%zu)",
		                   cs->max_assets);
	cs->paths = xcalloc(cs->nassets + 1, sizeof(char *));
	for (size_t i = 0; i < cs->nassets; i++)
		cs->paths[i] = xstrdup(cs->assets[i]);
	cs->npaths = cs->nassets;
	return cdn_init_provider(cs, ctx, node);
}

/* ---- probing ---- */

static void cdn_round_free(struct cdn_round *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->stride * r->n; i++) {
		if (r->probes[i].call != NULL)
			http_cancel(r->probes[i].call);
		free(r->probes[i].url);
	}
	for (size_t i = 0; i < r->n; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->probes);
	free(r->heads);
	free(r);
}

static void cdn_probe_done(const struct http_resp *resp, void *arg);

/* The caller has counted this request in r->pending. The edge is asked not
 * to follow redirects: one that stays on the edge is followed here (the
 * edge serves what it leads to), one that leaves it is the edge's answer,
 * or the edge probe would end at the origin and compare it with itself. */
static void cdn_probe_send(struct cdn_probe *p, bool get)
{
	struct cdn_round *r = p->round;
	struct cdn_src *cs = r->cs;
	char *path = cdn_url_path(r->paths[p->asset]);
	char *url = p->url != NULL
	                ? xstrdup(p->url)
	                : xasprintf("%s%s", p->origin ? cs->origin_url : cs->edges[p->edge].url, path);
	free(path);
	p->get = get;
	struct http_req req = {
	    .url = url,
	    .headers = (const char *const *)cs->probe_headers,
	    .timeout_ms = cs->timeout_ms,
	    .max_body = cs->max_hash,
	    .truncate_body = true,
	    .head = !get,
	    .insecure = cs->insecure,
	    .no_follow = !p->origin,
	};
	p->call = http_request(app_http(cs->src->app), &req, cdn_probe_done, p);
	free(url);
}

/* The length of "scheme://host[:port]" at the start of url. */
static size_t cdn_url_site_len(const char *url)
{
	const char *p = strstr(url, "://");
	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

/* An edge's 3xx: true when it was followed on the edge (the probe is out
 * again); else the answer stands, with p->left set when it leaves the edge. */
static bool cdn_probe_redirect(struct cdn_probe *p, const struct http_resp *resp)
{
	long st = resp->status;
	if (p->origin || resp->error != NULL ||
	    (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) ||
	    p->side.hdr.location[0] == '\0')
		return false;
	const char *cur = resp->final_url;
	size_t site = cdn_url_site_len(cur);
	char *path = cdn_html_resolve(cur, cur + site, p->side.hdr.location);
	if (path == NULL) {
		/* Another scheme, host or port: absolute for the reason. */
		const char *loc = p->side.hdr.location;
		const char *scheme_end = strstr(cur, "://");
		char *abs = loc[0] == '/' && loc[1] == '/' && scheme_end != NULL
		                ? xasprintf("%.*s%s", (int)(scheme_end - cur + 1), cur, loc)
		                : xstrdup(loc);
		sanitize_into(p->left, sizeof(p->left), abs, strlen(abs));
		free(abs);
		p->side.left = p->left;
		return false;
	}
	if (p->hops >= CDN_MAX_HOPS) {
		free(path);
		return false;
	}
	p->hops++;
	char *next = xasprintf("%.*s%s", (int)site, cur, path);
	free(path);
	free(p->url);
	p->url = next;
	cdn_probe_send(p, p->get);
	return true;
}

static void cdn_probe_done(const struct http_resp *resp, void *arg)
{
	struct cdn_probe *p = arg;
	struct cdn_round *r = p->round;
	p->call = NULL;
	cdn_side_init(&p->side);
	if (resp->error != NULL) {
		sanitize_into(p->error, sizeof(p->error), resp->error, strlen(resp->error));
		p->side.error = p->error;
	} else {
		p->side.status = resp->status;
		cdn_headers_parse(resp->headers, resp->headers_len, &p->side.hdr);
		if (cdn_probe_redirect(p, resp))
			return; /* still counted in r->pending */
	}
	p->side.redirects = p->origin ? resp->redirects : p->hops;
	if (p->get && p->side.status != 0) {
		/* Past the cap the prefix is hashed: both sides stop at the same byte. */
		cdn_sha256_hex(resp->body, resp->len, p->side.hash);
		p->side.have_hash = true;
		p->side.hash_capped = resp->truncated;
		p->side.body_len = resp->len;
	}
	if (!p->get && --r->heads[p->asset] == 0) {
		/* The origin's body is fetched once for every edge that needs it. */
		struct cdn_probe *row = &r->probes[r->stride * p->asset], *o = &row[r->stride - 1];
		bool origin_get = false;
		for (size_t e = 0; e + 1 < r->stride; e++) {
			if (!cdn_need_body(&row[e].side, &o->side))
				continue;
			r->pending++;
			cdn_probe_send(&row[e], true);
			origin_get = true;
		}
		if (origin_get) {
			r->pending++;
			cdn_probe_send(o, true);
		}
	}
	if (--r->pending == 0)
		r->cb(r, r->arg);
}

static struct cdn_round *cdn_round_start(struct cdn_src *cs, char *const *paths, size_t n, cdn_round_cb cb,
                                         void *arg)
{
	struct cdn_round *r = xcalloc(1, sizeof(*r));
	r->cs = cs;
	r->cb = cb;
	r->arg = arg;
	r->n = n;
	r->stride = cs->nedges + 1;
	size_t total = r->stride * n;
	r->paths = xcalloc(n, sizeof(char *));
	r->probes = xcalloc(total, sizeof(struct cdn_probe));
	r->heads = xcalloc(n, sizeof(*r->heads));
	for (size_t i = 0; i < n; i++) {
		r->paths[i] = xstrdup(paths[i]);
		r->heads[i] = (unsigned)r->stride;
	}
	for (size_t i = 0; i < total; i++) {
		struct cdn_probe *p = &r->probes[i];
		p->round = r;
		p->asset = i / r->stride;
		p->edge = i % r->stride;
		p->origin = p->edge == cs->nedges;
		cdn_side_init(&p->side);
	}
	if (app_http(cs->src->app) == NULL) {
		for (size_t i = 0; i < total; i++) {
			snprintf(r->probes[i].error, sizeof(r->probes[i].error), "no HTTP client");
			r->probes[i].side.error = r->probes[i].error;
		}
		return r; /* the caller sees pending 0 and calls cb itself */
	}
	/* Counted first: an answer may come before the last request is out. */
	r->pending = total;
	for (size_t i = 0; i < total; i++)
		cdn_probe_send(&r->probes[i], false);
	return r;
}

/* Runs cb now when nothing went out (no HTTP client), else when the last answer came. */
static void cdn_round_go(struct cdn_round *r)
{
	if (r->pending == 0)
		r->cb(r, r->arg);
}

static void cdn_fill_asset(struct cdn_src *cs, struct cdn_asset *a, const char *path,
                           const struct cdn_edge *edge, const struct cdn_side *e, const struct cdn_side *o)
{
	a->raw = xstrdup(path);
	a->path = cdn_visible(path, NULL);
	a->edge = edge->name != NULL ? sanitize_str(edge->name) : NULL;
	a->age = e->hdr.age;
	a->edge_status = e->status;
	a->origin_status = o->status;
	a->edge_cache = e->hdr.cache[0] != '\0' ? xstrdup(e->hdr.cache) : NULL;
	a->edge_etag = e->hdr.etag[0] != '\0' ? xstrdup(e->hdr.etag) : NULL;
	a->origin_etag = o->hdr.etag[0] != '\0' ? xstrdup(o->hdr.etag) : NULL;
	if (e->have_hash)
		snprintf(a->edge_hash, sizeof(a->edge_hash), "%s", e->hash);
	if (o->have_hash)
		snprintf(a->origin_hash, sizeof(a->origin_hash), "%s", o->hash);
	snprintf(a->edge_etag_hash, sizeof(a->edge_etag_hash), "%s", e->hdr.etag_hash);
	snprintf(a->origin_etag_hash, sizeof(a->origin_etag_hash), "%s", o->hdr.etag_hash);
	char *reason;
	a->verdict = cdn_compare(e, o, &reason);
	/* the last deploy, from the marks (marks.h): ids there are sanitized
	 * and bounded */
	const struct mark *dep = cs->src->app != NULL ? marks_last_deploy(marks_of(cs->src->app)) : NULL;
	if ((a->verdict == CDN_STALE || a->verdict == CDN_MISSING) && dep != NULL) {
		int64_t now = (int64_t)time(NULL) * 1000;
		double mins = now > dep->time_ms ? (double)(now - dep->time_ms) / 60000 : 0;
		char *with = xasprintf("%s; stale since deploy %s (%.0f min)", reason, dep->id, floor(mins));
		free(reason);
		reason = sanitize_str(with);
		free(with);
	}
	a->detail = reason;
}

static struct cdn_data *cdn_round_data(struct cdn_src *cs, const struct cdn_round *r)
{
	struct cdn_data *d = cdn_data_new(cs->prov->name);
	size_t ne = r->stride - 1;
	d->assets = xcalloc(r->n * ne + 1, sizeof(*d->assets));
	d->nassets = r->n * ne;
	/* One row per asset and edge, an asset's edges together. */
	for (size_t i = 0; i < r->n; i++) {
		const struct cdn_probe *row = &r->probes[r->stride * i];
		for (size_t e = 0; e < ne; e++)
			cdn_fill_asset(cs, &d->assets[i * ne + e], r->paths[i], &cs->edges[e], &row[e].side,
			               &row[ne].side);
	}
	return d;
}

/* ---- discover ---- */

/* One page of "discover", read from the origin and from the edge: an old
 * page cached at the edge references bundles the new one does not, and
 * both sets are worth probing. */
struct cdn_disc_get {
	struct cdn_disc *d;
	size_t page;
	bool origin;
	struct http_call *call;
	long status;
	char *body;
	size_t len;
	char *error;
};

typedef void (*cdn_disc_cb)(struct cdn_src *cs, void *arg);

struct cdn_disc {
	struct cdn_src *cs;
	struct cdn_disc_get *gets; /* 2 per page: edge, origin */
	size_t pending;
	cdn_disc_cb cb;
	void *arg;
};

#define CDN_DISCOVER_MAX_PAGE (4u << 20)

static void cdn_disc_free(struct cdn_disc *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < 2 * d->cs->ndiscover; i++) {
		if (d->gets[i].call != NULL)
			http_cancel(d->gets[i].call);
		free(d->gets[i].body);
		free(d->gets[i].error);
	}
	free(d->gets);
	free(d);
}

/* The paths being gathered: unique, in order; cut at max_assets at the end. */
struct cdn_disc_list {
	const char *base;
	const char *page;
	char **paths;
	size_t n, cap;
};

static void cdn_disc_add(struct cdn_disc_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->paths[i], path) == 0)
			return;
	if (l->n + 1 >= l->cap) {
		l->cap = 2 * (l->n + 8);
		l->paths = xrealloc(l->paths, l->cap * sizeof(char *));
	}
	l->paths[l->n++] = xstrdup(path);
	l->paths[l->n] = NULL;
}

static void cdn_disc_ref(const char *ref, void *arg)
{
	struct cdn_disc_list *l = arg;
	char *path = cdn_html_resolve(l->base, l->page, ref);
	if (path != NULL)
		cdn_disc_add(l, path);
	free(path);
}

/* The pages are in: cs->paths becomes the configured assets, the pages,
 * then what they reference; the note says what was cut or could not be read. */
static void cdn_disc_finish(struct cdn_disc *d)
{
	struct cdn_src *cs = d->cs;
	struct cdn_disc_list l = {0};
	for (size_t i = 0; i < cs->nassets; i++)
		cdn_disc_add(&l, cs->assets[i]);
	for (size_t i = 0; i < cs->ndiscover; i++)
		cdn_disc_add(&l, cs->discover[i]);
	char *problem = NULL;
	for (size_t i = 0; i < 2 * cs->ndiscover; i++) {
		struct cdn_disc_get *g = &d->gets[i];
		if (g->status >= 200 && g->status < 300 && g->body != NULL) {
			l.base = g->origin ? cs->origin_url : cs->edges[0].url;
			l.page = cs->discover[g->page];
			cdn_html_refs(g->body, g->len, cdn_disc_ref, &l);
		} else if (g->origin && problem == NULL) {
			problem = g->status != 0 ? xasprintf("discover %s: the origin answers %ld",
			                                     cs->discover[g->page], g->status)
			                         : xasprintf("discover %s: %s", cs->discover[g->page],
			                                     g->error != NULL ? g->error : "no answer");
		}
	}
	for (size_t i = 0; i < cs->npaths; i++)
		free(cs->paths[i]);
	free(cs->paths);
	size_t total = l.n;
	for (size_t i = cs->max_assets; i < total; i++)
		free(l.paths[i]);
	cs->paths = l.paths;
	cs->npaths = total < cs->max_assets ? total : cs->max_assets;
	char *note = NULL;
	if (total > cs->npaths)
		note = xasprintf("discovered %zu of %zu assets; raise max_assets%s%s", cs->npaths, total,
		                 problem != NULL ? "; " : "", problem != NULL ? problem : "");
	else if (problem != NULL)
		note = xstrdup(problem);
	source_set_note(cs->src, note);
	free(note);
	free(problem);
}

static void cdn_disc_done(const struct http_resp *resp, void *arg)
{
	struct cdn_disc_get *g = arg;
	struct cdn_disc *d = g->d;
	g->call = NULL;
	g->status = resp->status;
	if (resp->error != NULL)
		g->error = sanitize_str(resp->error);
	if (resp->status >= 200 && resp->status < 300) {
		g->body = xmalloc(resp->len + 1);
		memcpy(g->body, resp->body, resp->len);
		g->body[resp->len] = '\0';
		g->len = resp->len;
	}
	if (--d->pending > 0)
		return;
	cdn_disc_finish(d);
	d->cb(d->cs, d->arg);
}

/* Reads every discover page at both sides; cb runs once cs->paths is set
 * (now, when there is no HTTP client). */
static struct cdn_disc *cdn_disc_start(struct cdn_src *cs, cdn_disc_cb cb, void *arg)
{
	struct cdn_disc *d = xcalloc(1, sizeof(*d));
	d->cs = cs;
	d->cb = cb;
	d->arg = arg;
	d->gets = xcalloc(2 * cs->ndiscover, sizeof(*d->gets));
	struct http *h = app_http(cs->src->app);
	for (size_t i = 0; i < 2 * cs->ndiscover; i++) {
		d->gets[i].d = d;
		d->gets[i].page = i / 2;
		d->gets[i].origin = i % 2 == 1;
		if (h == NULL)
			d->gets[i].error = xstrdup("no HTTP client");
	}
	if (h == NULL) {
		cdn_disc_finish(d);
		return d;
	}
	d->pending = 2 * cs->ndiscover;
	for (size_t i = 0; i < 2 * cs->ndiscover; i++) {
		struct cdn_disc_get *g = &d->gets[i];
		char *path = cdn_url_path(cs->discover[g->page]);
		char *url = xasprintf("%s%s", g->origin ? cs->origin_url : cs->edges[0].url, path);
		free(path);
		struct http_req req = {
		    .url = url,
		    .headers = (const char *const *)cs->probe_headers,
		    .timeout_ms = cs->timeout_ms,
		    .max_body = CDN_DISCOVER_MAX_PAGE,
		    .truncate_body = true,
		    .insecure = cs->insecure,
		};
		g->call = http_request(h, &req, cdn_disc_done, g);
		free(url);
	}
	return d;
}

/* ---- refresh ---- */

static void cdn_maybe_publish(struct cdn_src *cs);

static void cdn_refresh_probed(struct cdn_round *r, void *arg)
{
	(void)r;
	cdn_maybe_publish(arg);
}

static void cdn_stats_done(struct run_result *res, void *arg)
{
	struct cdn_src *cs = arg;
	cs->stats_run = NULL;
	cs->stats_pending = false;
	free(cs->stats_error);
	cs->stats_error = NULL;
	char err[256];
	if (res->error != NULL || res->signal != 0 || res->status != 0) {
		run_describe(res, err, sizeof(err));
		cs->stats_error = xasprintf("stats: %s", err);
		cs->hit_ratio = cs->objects = -1;
	} else if (cs->prov->stats_parse(cs->pdata, res->out, res->out_len, &cs->hit_ratio, &cs->objects, err,
	                                 sizeof(err)) != 0) {
		cs->stats_error = xasprintf("stats: %s", err);
		cs->hit_ratio = cs->objects = -1;
	}
	cdn_maybe_publish(cs);
}

/* When no probe of the origin, or of every edge, got an answer (down,
 * refusing, or hanging past the timeout), there is nothing to compare: the
 * pane fails with that side's error, keeping its last good rows. One edge
 * of several down is its rows' error. NULL otherwise. */
static char *cdn_round_down(const struct cdn_round *r, bool origin)
{
	if (r->n == 0)
		return NULL;
	size_t first = origin ? r->stride - 1 : 0, last = origin ? r->stride : r->stride - 1;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = first; k < last; k++)
			if (r->probes[r->stride * i + k].side.status != 0)
				return NULL;
	char *out = NULL;
	for (size_t k = first; k < last; k++) {
		const struct cdn_side *s = &r->probes[k].side;
		const struct cdn_edge *e = origin ? NULL : &r->cs->edges[k];
		char *one = xasprintf(
		    "%s%s%s %s: %s", origin ? "origin" : "edge", e != NULL && e->name != NULL ? " " : "",
		    e != NULL && e->name != NULL ? e->name : "", origin ? r->cs->origin_url : e->url,
		    s->error != NULL ? s->error : "no answer");
		char *next = out == NULL ? one : xasprintf("%s; %s", out, one);
		if (out != NULL) {
			free(out);
			free(one);
		}
		out = next;
	}
	return out;
}

static void cdn_maybe_publish(struct cdn_src *cs)
{
	if (cs->stats_pending || cs->round == NULL || cs->round->pending > 0)
		return;
	struct cdn_round *r = cs->round;
	cs->round = NULL;
	char *edge_down = cdn_round_down(r, false), *origin_down = cdn_round_down(r, true);
	if (edge_down != NULL || origin_down != NULL) {
		cdn_round_free(r);
		source_set_warning(cs->src, cs->stats_error);
		if (edge_down != NULL && origin_down != NULL)
			source_fail(cs->src, "%s; %s", edge_down, origin_down);
		else
			source_fail(cs->src, "%s", edge_down != NULL ? edge_down : origin_down);
		free(edge_down);
		free(origin_down);
		return;
	}
	struct cdn_data *d = cdn_round_data(cs, r);
	cdn_round_free(r);
	d->hit_ratio = cs->hit_ratio;
	d->objects = cs->objects;
	/* Stats are a bonus: without them the pane still compares. */
	source_set_warning(cs->src, cs->stats_error);
	source_publish(cs->src, d);
}

static void cdn_refresh_round(struct cdn_src *cs)
{
	cs->round = cdn_round_start(cs, cs->paths, cs->npaths, cdn_refresh_probed, cs);
	if (cs->round->pending == 0)
		cdn_maybe_publish(cs);
}

static void cdn_refresh_discovered(struct cdn_src *cs, void *arg)
{
	(void)arg;
	struct cdn_disc *d = cs->disc;
	cs->disc = NULL;
	/* Freed after the last callback: its calls are all done. */
	cdn_disc_free(d);
	cdn_refresh_round(cs);
}

static void cdn_refresh(struct source *src)
{
	struct cdn_src *cs = src->data;
	char **argv = cs->prov->stats_argv != NULL ? cs->prov->stats_argv(cs->pdata) : NULL;
	if (argv != NULL) {
		struct run_options opt = {.argv = argv, .timeout_ms = (unsigned)cs->timeout_ms};
		opt.pass_env = src->cfg->pass_env;
		cs->stats_pending = true;
		cs->stats_run = run_start(src->loop, &opt, cdn_stats_done, cs);
		config_free_argv(argv);
	}
	if (cs->ndiscover > 0) {
		cs->disc = cdn_disc_start(cs, cdn_refresh_discovered, NULL);
		if (cs->disc->pending == 0)
			cdn_refresh_discovered(cs, NULL);
		return;
	}
	cdn_refresh_round(cs);
}

static int cdn_start(struct source *src)
{
	struct cdn_src *cs = src->data;
	if (cs->insecure)
		source_set_warning(src, "TLS verify off");
	return 0;
}

/* ---- purge ---- */

/* The index of raw in the plan's paths, added (for no edge yet) when new. */
static size_t cdn_plan_path(struct cdn_plan *plan, const char *raw)
{
	for (size_t i = 0; i < plan->npaths; i++)
		if (strcmp(plan->paths[i], raw) == 0)
			return i;
	plan->paths = xrealloc(plan->paths, (plan->npaths + 1) * sizeof(char *));
	plan->at = xrealloc(plan->at, (plan->npaths + 1) * plan->nedges);
	memset(plan->at + plan->npaths * plan->nedges, CDN_AT_NONE, plan->nedges);
	plan->paths[plan->npaths] = xstrdup(raw);
	return plan->npaths++;
}

/* The edge named name (a row's edge, NULL for a lone edge_url), or SIZE_MAX. */
static size_t cdn_edge_index(const struct cdn_src *cs, const char *name)
{
	for (size_t e = 0; e < cs->nedges; e++)
		if (util_str_same(cs->edges[e].name, name))
			return e;
	return SIZE_MAX;
}

/* The row of d for raw at edge e, or NULL. */
static const struct cdn_asset *cdn_data_row(const struct cdn_src *cs, const struct cdn_data *d,
                                            const char *raw, size_t e)
{
	for (size_t i = 0; d != NULL && i < d->nassets; i++)
		if (strcmp(d->assets[i].raw, raw) == 0 && util_str_same(d->assets[i].edge, cs->edges[e].name))
			return &d->assets[i];
	return NULL;
}

/* Path i is purged at edge e (SIZE_MAX: every edge); a provider that purges
 * through its API purges every edge whatever the row, so every edge is
 * verified. d (may be NULL) is what was seen before: where the edge served
 * a copy the origin no longer has, gone at both afterwards is the effect. */
static void cdn_plan_mark(const struct cdn_src *cs, struct cdn_plan *plan, size_t i, size_t e,
                          const struct cdn_data *d)
{
	for (size_t k = 0; k < plan->nedges; k++) {
		if (e != SIZE_MAX && cs->prov->per_edge && k != e)
			continue;
		const struct cdn_asset *row = cdn_data_row(cs, d, plan->paths[i], k);
		bool origin_gone = row != NULL && row->edge_status >= 200 && row->edge_status < 300 &&
		                   (row->origin_status == 404 || row->origin_status == 410);
		plan->at[i * plan->nedges + k] = origin_gone ? CDN_AT_EDGE_GONE : CDN_AT_EDGE;
	}
}

/* The targets the action names: the selected paths (at the row's edge when
 * it names one), or every stale or missing row of d at its own edge. 0, or
 * -1 with err. */
static int cdn_plan_targets(const struct cdn_src *cs, struct cdn_plan *plan, const struct action *a,
                            const struct cdn_data *d, char *err, size_t cap)
{
	if (a->nselection > 0) {
		const char *name = action_param(a, "edge");
		size_t e = name != NULL ? cdn_edge_index(cs, name) : SIZE_MAX;
		if (name != NULL && e == SIZE_MAX) {
			char *shown = sanitize_str(name);
			snprintf(err, cap, "this pane has no edge named \"%s\"", shown);
			free(shown);
			return -1;
		}
		for (size_t i = 0; i < a->nselection; i++)
			cdn_plan_mark(cs, plan, cdn_plan_path(plan, a->selection[i]), e, d);
		return 0;
	}
	for (size_t i = 0; d != NULL && i < d->nassets; i++) {
		const struct cdn_asset *as = &d->assets[i];
		if (as->verdict != CDN_STALE && as->verdict != CDN_MISSING)
			continue;
		size_t e = cdn_edge_index(cs, as->edge);
		cdn_plan_mark(cs, plan, cdn_plan_path(plan, as->raw), e, d);
	}
	return 0;
}

struct cdn_sync {
	struct cdn_data *data;
};

static void cdn_sync_done(struct cdn_round *r, void *arg)
{
	struct cdn_sync *s = arg;
	s->data = cdn_round_data(r->cs, r);
}

static void cdn_sync_discovered(struct cdn_src *cs, void *arg)
{
	(void)cs;
	*(bool *)arg = true;
}

/* `sitrep do purge --stale` runs no dashboard: nothing has been probed yet.
 * The loop is not running (the gate's caller runs it afterwards), so one
 * probe is run to its end here, before anything is shown or sent. */
static struct cdn_data *cdn_probe_now(struct cdn_src *cs)
{
	struct cdn_sync s = {0};
	if (cs->ndiscover > 0) {
		bool read = false;
		struct cdn_disc *d = cdn_disc_start(cs, cdn_sync_discovered, &read);
		while (d->pending > 0 && !read && uv_run(cs->src->loop, UV_RUN_ONCE) != 0)
			;
		cdn_disc_free(d);
	}
	struct cdn_round *r = cdn_round_start(cs, cs->paths, cs->npaths, cdn_sync_done, &s);
	cdn_round_go(r);
	while (s.data == NULL && uv_run(cs->src->loop, UV_RUN_ONCE) != 0)
		;
	cdn_round_free(r);
	return s.data;
}

static char *cdn_request_line(const struct cdn_request *r)
{
	char *out = xasprintf("%s %s", r->method, r->url);
	for (char **h = r->headers; h != NULL && *h != NULL; h++) {
		char *next = cdn_header_is_secret(*h)
		                 ? xasprintf("%s\n  %.*s: ***", out, (int)strcspn(*h, ":"), *h)
		                 : xasprintf("%s\n  %s", out, *h);
		free(out);
		out = next;
	}
	if (r->aws_sigv4 != NULL) {
		char *next = xasprintf("%s\n  (signed AWS SigV4, %s, key id %s)", out, r->aws_sigv4,
		                       r->user != NULL ? r->user : "?");
		free(out);
		out = next;
	}
	/* The body as sent, each of its lines indented under the request. */
	for (const char *b = r->body; b != NULL;) {
		const char *nl = strchr(b, '\n');
		int n = nl != NULL ? (int)(nl - b) : (int)strlen(b);
		char *next = xasprintf("%s\n  %.*s", out, n, b);
		free(out);
		out = next;
		b = nl != NULL ? nl + 1 : NULL;
	}
	return out;
}

/* The provider's requests: each edge's for its own paths when it purges
 * per edge, else one plan (the API purges every edge). Paths go to the
 * provider as they go into a URL (cdn_url_path). */
static int cdn_plan_requests(struct cdn_src *cs, struct cdn_plan *plan, char *err, size_t cap)
{
	bool each = cs->prov->per_edge;
	for (size_t e = 0; e < (each ? plan->nedges : 1); e++) {
		char **enc = xcalloc(plan->npaths + 1, sizeof(char *));
		size_t n = 0;
		for (size_t i = 0; i < plan->npaths; i++)
			if (!each || plan->at[i * plan->nedges + e] != CDN_AT_NONE)
				enc[n++] = cdn_url_path(plan->paths[i]);
		struct cdn_request *reqs = NULL;
		size_t nr = 0;
		void *pdata = each && cs->edges[e].pdata != NULL ? cs->edges[e].pdata : cs->pdata;
		int rc = n > 0 || plan->all ? cs->prov->plan(pdata, (const char *const *)enc, n, plan->all,
		                                             &reqs, &nr, err, cap)
		                            : 0;
		config_free_argv(enc);
		if (rc != 0)
			return -1;
		plan->reqs = xrealloc(plan->reqs, (plan->nreqs + nr + 1) * sizeof(*plan->reqs));
		plan->req_edge = xrealloc(plan->req_edge, (plan->nreqs + nr + 1) * sizeof(*plan->req_edge));
		if (nr > 0)
			memcpy(plan->reqs + plan->nreqs, reqs, nr * sizeof(*reqs));
		for (size_t k = 0; k < nr; k++)
			plan->req_edge[plan->nreqs + k] = each ? e : SIZE_MAX;
		plan->nreqs += nr;
		free(reqs);
	}
	return 0;
}

/* "fra (http://...)", or "http://..." for a lone edge_url. Caller frees. */
static char *cdn_edge_label(const struct cdn_edge *e)
{
	return e->name != NULL ? xasprintf("%s (%s)", e->name, e->url) : xstrdup(e->url);
}

/* The edges a plan verifies: "" for a lone unnamed edge, " at fra", " at 2
 * edges (fra, lhr)". Caller frees. */
static char *cdn_plan_where(const struct cdn_src *cs, const struct cdn_plan *plan)
{
	if (cs->nedges == 1 && cs->edges[0].name == NULL)
		return xstrdup("");
	char *names = NULL;
	size_t n = 0;
	for (size_t e = 0; e < plan->nedges; e++) {
		bool used = false;
		for (size_t i = 0; i < plan->npaths && !used; i++)
			used = plan->at[i * plan->nedges + e] != CDN_AT_NONE;
		if (!used)
			continue;
		char *next = names == NULL ? xstrdup(cs->edges[e].name)
		                           : xasprintf("%s, %s", names, cs->edges[e].name);
		free(names);
		names = next;
		n++;
	}
	char *out =
	    n == 1 ? xasprintf(" at %s", names) : xasprintf(" at %zu edges (%s)", n, names ? names : "");
	free(names);
	return out;
}

/* Appends line to *out ("\n"-separated). */
static void cdn_lines_add(char **out, const char *line)
{
	char *next = *out == NULL ? xstrdup(line) : xasprintf("%s\n%s", *out, line);
	free(*out);
	*out = next;
}

/* "  /static/\u202eevil.js  (path shown with ...)": a path as the dialog shows it. */
static void cdn_lines_path(char **out, const char *raw)
{
	bool changed;
	char *shown = cdn_visible(raw, &changed);
	char *line = xasprintf("  %s%s%s", shown, changed ? "  " : "", changed ? CDN_VISIBLE_NOTE : "");
	cdn_lines_add(out, line);
	free(line);
	free(shown);
}

/* Which paths go to which edges, in words, before the requests themselves:
 * the dialog and the requests agree on the edges because both come from
 * plan->at. Caller frees. */
static char *cdn_plan_text(const struct cdn_src *cs, const struct cdn_plan *plan, const struct action *a)
{
	char *out = NULL;
	if (!cs->prov->per_edge) {
		char *edges = NULL;
		for (size_t e = 0; e < cs->nedges; e++) {
			char *l = cdn_edge_label(&cs->edges[e]);
			char *next = edges == NULL ? l : xasprintf("%s, %s", edges, l);
			if (edges != NULL) {
				free(edges);
				free(l);
			}
			edges = next;
		}
		char *head =
		    cs->nedges == 1
		        ? xasprintf("through the %s API (verified at the edge %s)", cs->prov->name, edges)
		        : xasprintf("through the %s API, which purges at every edge of the CDN (verified at "
		                    "%s)%s",
		                    cs->prov->name, edges,
		                    action_param(a, "edge") != NULL ? "; it cannot purge the row's edge alone"
		                                                    : "");
		cdn_lines_add(&out, head);
		free(head);
		free(edges);
		for (size_t i = 0; !plan->all && i < plan->npaths; i++)
			cdn_lines_path(&out, plan->paths[i]);
		return out;
	}
	char *skipped = NULL;
	for (size_t e = 0; e < plan->nedges; e++) {
		size_t n = 0;
		for (size_t i = 0; i < plan->npaths; i++)
			n += plan->at[i * plan->nedges + e] != CDN_AT_NONE;
		if (n == 0) {
			char *next = skipped == NULL ? xstrdup(cs->edges[e].name)
			                             : xasprintf("%s, %s", skipped, cs->edges[e].name);
			free(skipped);
			skipped = next;
			continue;
		}
		char *label = cdn_edge_label(&cs->edges[e]);
		char *head = plan->all ? xasprintf("at %s %s: everything",
		                                   cs->edges[e].name != NULL ? "edge" : "the edge", label)
		                       : xasprintf("at %s %s: %zu asset%s",
		                                   cs->edges[e].name != NULL ? "edge" : "the edge", label, n,
		                                   n == 1 ? "" : "s");
		cdn_lines_add(&out, head);
		free(head);
		free(label);
		for (size_t i = 0; !plan->all && i < plan->npaths; i++)
			if (plan->at[i * plan->nedges + e] != CDN_AT_NONE)
				cdn_lines_path(&out, plan->paths[i]);
	}
	if (skipped != NULL) {
		char *line = xasprintf("nothing is sent to %s", skipped);
		cdn_lines_add(&out, line);
		free(line);
		free(skipped);
	}
	return out;
}

static int cdn_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct cdn_src *cs = src->data;
	bool all = a->verb == &kind_cdn_purge_all;
	if (!all && a->verb != &kind_cdn_purge) {
		snprintf(err, cap, "a cdn pane cannot %s", a->verb->name);
		return -1;
	}
	struct cdn_plan *plan = xcalloc(1, sizeof(*plan));
	plan->all = all;
	plan->nedges = cs->nedges;
	struct cdn_data *probed = NULL;
	const struct cdn_data *d = src->snap.data;
	if (all) {
		for (size_t i = 0; i < cs->npaths; i++)
			cdn_plan_mark(cs, plan, cdn_plan_path(plan, cs->paths[i]), SIZE_MAX, d);
	} else {
		if (a->nselection == 0 && d == NULL) {
			if (src->app != NULL && src->app->ui == NULL && src->loop != NULL)
				d = probed = cdn_probe_now(cs);
			if (d == NULL) {
				snprintf(err, cap,
				         "the edge has not been probed yet; wait for the first refresh");
				cdn_plan_free(plan);
				return -1;
			}
		}
		int rc = cdn_plan_targets(cs, plan, a, d, err, cap);
		size_t nassets = d != NULL ? d->nassets : 0;
		cdn_data_free(probed);
		if (rc != 0) {
			cdn_plan_free(plan);
			return -1;
		}
		if (plan->npaths == 0) {
			snprintf(err, cap,
			         "nothing is stale at the edge (%zu asset%s probed); nothing to purge",
			         nassets, nassets == 1 ? "" : "s");
			cdn_plan_free(plan);
			return -1;
		}
	}
	if (cdn_plan_requests(cs, plan, err, cap) != 0) {
		cdn_plan_free(plan);
		return -1;
	}
	char *effect = cdn_plan_text(cs, plan, a);
	for (size_t i = 0; i < plan->nreqs; i++) {
		char *line = cdn_request_line(&plan->reqs[i]);
		cdn_lines_add(&effect, line);
		free(line);
	}
	char *where = cdn_plan_where(cs, plan);
	char *verify =
	    xasprintf("then re-probe %zu asset%s%s until the edge serves the origin's copy (at most %.0f s)",
	              plan->npaths, plan->npaths == 1 ? "" : "s", where, cs->verify_s);
	cdn_lines_add(&effect, verify);
	action_set_effect(a, effect);
	a->ntargets = plan->npaths;
	free(verify);
	free(where);
	free(effect);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = plan;
	a->request_free = cdn_plan_free;
	/* Sending (with room for one wait on a 429), then verifying: longer
	 * than the gate's default. */
	a->timeout_ms =
	    (unsigned)(cs->verify_s * 1000 + 2.0 * (double)cs->timeout_ms + 5000 + CDN_RETRY_MAX_S * 1000);
	return 0;
}

static void cdn_purge_end(struct cdn_purge *p, enum action_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cdn_purge_end(struct cdn_purge *p, enum action_result result, const char *fmt, ...)
{
	struct cdn_src *cs = p->cs;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < p->plan->nreqs; i++)
		if (p->calls[i] != NULL)
			http_cancel(p->calls[i]);
	cdn_round_free(p->round);
	if (cs->timer_open)
		uv_timer_stop(&cs->verify_timer);
	if (cs->retry_open)
		uv_timer_stop(&cs->retry_timer);
	cs->purge = NULL;
	struct action *a = p->action;
	free(p->calls);
	free(p->due_ms);
	free(p->tries);
	free(p->refusal);
	free(p->redirect);
	free(p->ids);
	free(p->last_bad);
	free(p);
	action_finish(a, result, "%s", msg);
	free(msg);
	/* The pane shows the new state without waiting for its tick. */
	if (!cs->stopping && cs->src->app != NULL && cs->src->app->ui != NULL)
		source_refresh_now(cs->src);
}

static void cdn_verify_probe(struct cdn_purge *p);

static void cdn_verify_tick(uv_timer_t *t)
{
	struct cdn_src *cs = t->data;
	if (cs->purge != NULL)
		cdn_verify_probe(cs->purge);
}

/* What a verified row that is not fresh says, for the outcome. */
static const char *cdn_unfresh_word(const struct cdn_asset *as)
{
	switch (as->verdict) {
	case CDN_STALE: return "still stale";
	case CDN_MISSING: return "missing at the edge";
	case CDN_GONE: return "gone at edge and origin, not verified";
	case CDN_FRESH:
	case CDN_UNVERIFIED:
	case CDN_ERROR: break;
	}
	return "unverified";
}

/* Fresh is said only of a row whose verdict is fresh (the same validator or
 * body, compared whole); gone counts only where the origin had lost the
 * asset before the purge. At the deadline, a row seen stale or missing at
 * the edge fails the purge; rows that could only not be compared (gone at
 * both sides, unverified, a probe error) leave it unverified. */
static void cdn_verified(struct cdn_round *r, void *arg)
{
	struct cdn_purge *p = arg;
	struct cdn_src *cs = p->cs;
	const struct cdn_plan *plan = p->plan;
	struct cdn_data *d = cdn_round_data(cs, r);
	p->round = NULL;
	cdn_round_free(r);
	size_t fresh = 0, removed = 0, n = 0, wrong = 0;
	char *bad = NULL;
	for (size_t i = 0; i < plan->npaths; i++) {
		for (size_t e = 0; e < plan->nedges; e++) {
			unsigned char at = plan->at[i * plan->nedges + e];
			if (at == CDN_AT_NONE)
				continue;
			n++;
			const struct cdn_asset *as = &d->assets[i * plan->nedges + e];
			if (as->verdict == CDN_FRESH) {
				fresh++;
				continue;
			}
			if (as->verdict == CDN_GONE && at == CDN_AT_EDGE_GONE) {
				removed++;
				continue;
			}
			wrong += as->verdict == CDN_STALE || as->verdict == CDN_MISSING;
			if (bad != NULL && strlen(bad) >= 160)
				continue;
			char *next =
			    bad == NULL
			        ? xasprintf("%s%s%s %s (%s)", as->path, as->edge != NULL ? " at " : "",
			                    as->edge != NULL ? as->edge : "", cdn_unfresh_word(as),
			                    as->detail)
			        : xasprintf("%s; %s%s%s %s", bad, as->path, as->edge != NULL ? " at " : "",
			                    as->edge != NULL ? as->edge : "", cdn_unfresh_word(as));
			free(bad);
			bad = next;
		}
	}
	cdn_data_free(d);
	uint64_t now = util_mono_ms();
	double secs = (double)(now - p->started_ms) / 1000;
	char ids[200] = "";
	if (p->ids != NULL)
		snprintf(ids, sizeof(ids), " (%s id %s)", cs->prov->name, p->ids);
	char gone[64] = "";
	if (removed > 0)
		snprintf(gone, sizeof(gone), ", %zu removed (gone at the origin too)", removed);
	if (fresh + removed == n) {
		free(bad);
		char *where = cdn_plan_where(cs, plan);
		size_t purged = cs->prov->per_edge ? n : plan->npaths;
		if (plan->all)
			cdn_purge_end(p, ACTION_OK,
			              "everything purged%s, %zu of %zu assets fresh%s%s in %.0f s", ids,
			              fresh, n, gone, where, secs);
		else
			cdn_purge_end(p, ACTION_OK, "%zu purged%s, %zu fresh%s%s in %.0f s", purged, ids,
			              fresh, gone, where, secs);
		free(where);
		return;
	}
	free(p->last_bad);
	p->last_bad = bad;
	if (now >= p->deadline_ms) {
		if (wrong > 0)
			cdn_purge_end(p, ACTION_FAILED, "purge accepted%s, %s after %.0f s; %zu of %zu fresh",
			              ids, p->last_bad, secs, fresh, n);
		else
			cdn_purge_end(p, ACTION_UNVERIFIED,
			              "purge accepted%s, unverified after %.0f s: %s; %zu of %zu fresh", ids,
			              secs, p->last_bad, fresh, n);
		return;
	}
	uint64_t wait =
	    now + CDN_VERIFY_PAUSE_MS > p->deadline_ms ? p->deadline_ms - now : CDN_VERIFY_PAUSE_MS;
	uv_timer_start(&cs->verify_timer, cdn_verify_tick, wait, 0);
}

static void cdn_verify_probe(struct cdn_purge *p)
{
	p->round = cdn_round_start(p->cs, p->plan->paths, p->plan->npaths, cdn_verified, p);
	cdn_round_go(p->round);
}

static bool cdn_purge_retry(struct cdn_purge *p, size_t i, const struct http_resp *resp);

/* The answer to request i of the purge in flight. */
struct cdn_answer_ctx {
	struct cdn_purge *p;
	size_t i;
};

static bool cdn_redirect_status(long st)
{
	return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

static void cdn_purge_done(const struct http_resp *resp, void *arg)
{
	struct cdn_answer_ctx *ctx = arg;
	struct cdn_purge *p = ctx->p;
	struct cdn_src *cs = p->cs;
	const struct cdn_request *r = &p->plan->reqs[ctx->i];
	p->calls[ctx->i] = NULL;
	char err[300] = "";
	char *id = NULL;
	if (resp->status == 429 && cdn_purge_retry(p, ctx->i, resp)) {
		free(ctx);
		return;
	}
	if (resp->error == NULL && cdn_redirect_status(resp->status)) {
		/* Never followed (no_follow): the redirect is the outcome, and
		 * nothing but the requests shown was sent. */
		struct cdn_headers *h = xmalloc(sizeof(*h));
		cdn_headers_parse(resp->headers, resp->headers_len, h);
		char *who =
		    cs->prov->per_edge ? xstrdup("the edge") : xasprintf("the %s API", cs->prov->name);
		if (p->redirect == NULL)
			p->redirect = xasprintf(
			    "%s %s: %s redirected the purge to %s (%ld); nothing else was sent", r->method,
			    r->url, who, h->location[0] != '\0' ? h->location : "?", resp->status);
		p->redirected++;
		free(who);
		free(h);
	} else if (cs->prov->answer(cs->pdata, resp, &id, err, sizeof(err)) == 0) {
		p->accepted++;
		if (id != NULL) {
			char *next = p->ids == NULL ? xstrdup(id) : xasprintf("%s, %s", p->ids, id);
			free(p->ids);
			p->ids = next;
		}
	} else if (p->refusal == NULL) {
		p->refusal = xasprintf("%s %s: %s", r->method, r->url, err);
	}
	free(id);
	free(ctx);
	if (--p->pending > 0)
		return;
	size_t n = p->plan->nreqs;
	if (p->redirect != NULL) {
		char *why = xasprintf("%s (%zu of %zu purge requests redirected%s%s)", p->redirect,
		                      p->redirected, n, p->refusal != NULL ? "; also refused: " : "",
		                      p->refusal != NULL ? p->refusal : "");
		cdn_purge_end(p, ACTION_FAILED, "%s", why);
		free(why);
		return;
	}
	if (p->refusal != NULL) {
		char *why = xstrdup(p->refusal);
		size_t acc = p->accepted;
		cdn_purge_end(p, ACTION_FAILED, "%zu of %zu purge requests refused: %s", n - acc, n, why);
		free(why);
		return;
	}
	p->started_ms = util_mono_ms();
	p->deadline_ms = p->started_ms + (uint64_t)(cs->verify_s * 1000);
	cdn_verify_probe(p);
}

/* Sends request i of the purge in flight, exactly as planned. */
static void cdn_purge_send(struct cdn_purge *p, size_t i)
{
	struct cdn_src *cs = p->cs;
	const struct cdn_request *r = &p->plan->reqs[i];
	struct http_req req = {
	    .method = r->method,
	    .url = r->url,
	    .body = r->body,
	    .body_len = r->body != NULL ? strlen(r->body) : 0,
	    .content_type = r->content_type,
	    .headers = (const char *const *)r->headers,
	    .timeout_ms = cs->timeout_ms,
	    .insecure = cs->insecure,
	    .aws_sigv4 = r->aws_sigv4,
	    .user = r->user,
	    .secret = r->secret,
	    /* Only what the dialog showed is sent: a redirect is an answer. */
	    .no_follow = true,
	};
	struct cdn_answer_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->p = p;
	ctx->i = i;
	p->calls[i] = http_request(app_http(cs->src->app), &req, cdn_purge_done, ctx);
}

static void cdn_retry_tick(uv_timer_t *t)
{
	struct cdn_src *cs = t->data;
	struct cdn_purge *p = cs->purge;
	if (p == NULL)
		return;
	uint64_t now = util_mono_ms(), next = 0;
	for (size_t i = 0; i < p->plan->nreqs; i++) {
		if (p->due_ms[i] == 0)
			continue;
		if (p->due_ms[i] <= now + 5) {
			p->due_ms[i] = 0;
			cdn_purge_send(p, i);
		} else if (next == 0 || p->due_ms[i] < next) {
			next = p->due_ms[i];
		}
	}
	if (next != 0)
		uv_timer_start(&cs->retry_timer, cdn_retry_tick, next - now, 0);
}

/* A 429: the same request again after the API's Retry-After (seconds; a
 * date or nothing counts as 5 s), at most CDN_RETRIES times and never past
 * the action's own time. false: give up, the provider reads the answer. */
static bool cdn_purge_retry(struct cdn_purge *p, size_t i, const struct http_resp *resp)
{
	struct cdn_src *cs = p->cs;
	if (p->tries[i] >= CDN_RETRIES || !cs->retry_open)
		return false;
	struct cdn_headers h;
	cdn_headers_parse(resp->headers, resp->headers_len, &h);
	char *end;
	double s = strtod(h.retry_after, &end);
	if (h.retry_after[0] == '\0' || *end != '\0' || !(s >= 0))
		s = CDN_RETRY_DEFAULT_S;
	if (s > CDN_RETRY_MAX_S)
		return false;
	uint64_t now = util_mono_ms();
	uint64_t due = now + (uint64_t)(s * 1000);
	if (due + (uint64_t)cs->timeout_ms + (uint64_t)(cs->verify_s * 1000) >
	    p->started_ms + p->action->timeout_ms)
		return false;
	p->tries[i]++;
	p->due_ms[i] = due;
	uint64_t first = due;
	for (size_t k = 0; k < p->plan->nreqs; k++)
		if (p->due_ms[k] != 0 && p->due_ms[k] < first)
			first = p->due_ms[k];
	uv_timer_start(&cs->retry_timer, cdn_retry_tick, first - now, 0);
	return true;
}

static int cdn_act(struct source *src, const struct action *action)
{
	struct cdn_src *cs = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	struct cdn_plan *plan = a->request;
	struct http *h = app_http(src->app);
	if (plan == NULL || a->request_free != cdn_plan_free || h == NULL || cs->purge != NULL)
		return -1;
	if (!cs->timer_open) {
		uv_timer_init(src->loop, &cs->verify_timer);
		cs->verify_timer.data = cs;
		cs->timer_open = true;
	}
	if (!cs->retry_open) {
		uv_timer_init(src->loop, &cs->retry_timer);
		cs->retry_timer.data = cs;
		cs->retry_open = true;
	}
	struct cdn_purge *p = xcalloc(1, sizeof(*p));
	p->cs = cs;
	p->action = a;
	p->plan = plan;
	p->calls = xcalloc(plan->nreqs, sizeof(*p->calls));
	p->due_ms = xcalloc(plan->nreqs, sizeof(*p->due_ms));
	p->tries = xcalloc(plan->nreqs, sizeof(*p->tries));
	p->pending = plan->nreqs;
	p->started_ms = util_mono_ms();
	cs->purge = p;
	/* What was confirmed is what is sent: the plan's requests, as built. */
	for (size_t i = 0; i < plan->nreqs; i++)
		cdn_purge_send(p, i);
	return 0;
}

/* ---- lifetime ---- */

static void cdn_timer_closed(uv_handle_t *h)
{
	struct cdn_src *cs = h->data;
	cs->timer_open = false;
}

static void cdn_retry_closed(uv_handle_t *h)
{
	struct cdn_src *cs = h->data;
	cs->retry_open = false;
}

static void cdn_stop(struct source *src)
{
	struct cdn_src *cs = src->data;
	if (cs == NULL)
		return;
	cs->stopping = true;
	cdn_round_free(cs->round);
	cs->round = NULL;
	cdn_disc_free(cs->disc);
	cs->disc = NULL;
	if (cs->stats_run != NULL) {
		run_cancel(cs->stats_run);
		cs->stats_pending = false;
	}
	if (cs->purge != NULL)
		cdn_purge_end(cs->purge, ACTION_FAILED, "cancelled: sitrep is quitting");
	if (cs->timer_open && !uv_is_closing((uv_handle_t *)&cs->verify_timer))
		uv_close((uv_handle_t *)&cs->verify_timer, cdn_timer_closed);
	if (cs->retry_open && !uv_is_closing((uv_handle_t *)&cs->retry_timer))
		uv_close((uv_handle_t *)&cs->retry_timer, cdn_retry_closed);
}

static void cdn_destroy(struct source *src)
{
	struct cdn_src *cs = src->data;
	if (cs == NULL)
		return;
	cdn_stop(src);
	bool each = false;
	for (size_t i = 0; i < cs->nedges; i++) {
		if (cs->edges[i].pdata != NULL && cs->prov != NULL && cs->prov->free != NULL) {
			cs->prov->free(cs->edges[i].pdata);
			each = true;
		}
		free(cs->edges[i].name);
		free(cs->edges[i].url);
	}
	free(cs->edges);
	if (!each && cs->prov != NULL && cs->prov->free != NULL)
		cs->prov->free(cs->pdata);
	free(cs->origin_url);
	config_free_argv(cs->assets);
	config_free_argv(cs->discover);
	for (size_t i = 0; i < cs->npaths; i++)
		free(cs->paths[i]);
	free(cs->paths);
	config_free_argv(cs->req_headers);
	config_free_argv(cs->probe_headers);
	free(cs->stats_error);
	free(cs);
	src->data = NULL;
}

const struct source_ops source_cdn = {
    .name = "cdn",
    .kind = "cdn",
    .init = cdn_init,
    .start = cdn_start,
    .refresh = cdn_refresh,
    .prepare = cdn_prepare,
    .act = cdn_act,
    .stop = cdn_stop,
    .destroy = cdn_destroy,
    .runs_commands = true,
};
