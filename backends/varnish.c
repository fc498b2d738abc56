/* varnish: the cdn provider for a Varnish edge. Purges go through the VCL:
 * an HTTP PURGE per path (or the configured "purge_method"), and for
 * everything a BAN (or "ban_method") of "/", which the VCL turns into a ban
 * of the whole cache; docs/configuration.md shows such a VCL. Hit ratio and
 * object count come from `varnishstat -j` (optionally -n NAME), both its
 * 6.5+ shape and the older flat one, as deltas between refreshes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/cdn.h"
#include "sitrep/core/util.h"

struct varnish {
	char *purge_url; /* the edge, where PURGE and BAN go */
	char *purge_method;
	char *ban_method;
	char *name; /* varnishstat -n */
	bool stats;
	double last_hit, last_miss; /* the previous counters, -1 before the first */
};

static int varnish_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	struct varnish *v = xcalloc(1, sizeof(*v));
	*pdata = v;
	v->last_hit = v->last_miss = -1;
	if (config_get_string(ctx, node, "purge_url", false, edge_url, &v->purge_url) != 0 ||
	    config_get_string(ctx, node, "purge_method", false, "PURGE", &v->purge_method) != 0 ||
	    config_get_string(ctx, node, "ban_method", false, "BAN", &v->ban_method) != 0 ||
	    config_get_string(ctx, node, "varnish_name", false, NULL, &v->name) != 0 ||
	    config_get_bool(ctx, node, "varnishstat", true, &v->stats) != 0)
		return -1;
	const char *methods[] = {v->purge_method, v->ban_method};
	for (size_t i = 0; i < 2; i++) {
		if (methods[i][0] == '\0' ||
		    strspn(methods[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") != strlen(methods[i]))
			return config_fail(ctx, jsonc_get(node, i == 0 ? "purge_method" : "ban_method"),
			                   "expected an HTTP method in capitals, such as \"PURGE\"");
	}
	size_t n = strlen(v->purge_url);
	while (n > 0 && v->purge_url[n - 1] == '/')
		v->purge_url[--n] = '\0';
	return 0;
}

static int varnish_plan(void *pdata, const char *const *paths, size_t n, bool all, struct cdn_request **out,
                        size_t *nout, char *err, size_t cap)
{
	struct varnish *v = pdata;
	(void)err, (void)cap;
	size_t count = all ? 1 : n;
	struct cdn_request *r = xcalloc(count, sizeof(*r));
	for (size_t i = 0; i < count; i++) {
		r[i].method = xstrdup(all ? v->ban_method : v->purge_method);
		r[i].url = xasprintf("%s%s", v->purge_url, all ? "/" : paths[i]);
	}
	*out = r;
	*nout = count;
	return 0;
}

/* The VCL answers a purge itself (a synthetic 200); 405 means its ACL said no. */
static int varnish_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (resp->error != NULL) {
		snprintf(err, cap, "%s", resp->error);
		return -1;
	}
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	if (resp->status == 405 || resp->status == 403)
		snprintf(err, cap, "varnish refused with %ld (does the VCL allow purges from here?)",
		         resp->status);
	else if (resp->status == 501)
		snprintf(err, cap, "varnish answered 501: the VCL does not handle this method");
	else
		snprintf(err, cap, "varnish answered %ld", resp->status);
	return -1;
}

static char **varnish_stats_argv(void *pdata)
{
	struct varnish *v = pdata;
	if (!v->stats)
		return NULL;
	char **argv = xcalloc(5, sizeof(*argv));
	size_t i = 0;
	argv[i++] = xstrdup("varnishstat");
	argv[i++] = xstrdup("-j");
	if (v->name != NULL) {
		argv[i++] = xstrdup("-n");
		argv[i++] = xstrdup(v->name);
	}
	return argv;
}

static double varnish_counter(const cJSON *counters, const char *name)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(counters, name);
	const cJSON *val = cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, "value") : NULL;
	if (!cJSON_IsNumber(val) || !isfinite(val->valuedouble) || val->valuedouble < 0)
		return -1;
	return val->valuedouble;
}

int varnish_parse_stats(const char *json, size_t len, struct varnish_stats *st, char *err, size_t cap)
{
	st->hit = st->miss = st->objects = -1;
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		snprintf(err, cap, "varnishstat -j: not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *counters = cJSON_GetObjectItemCaseSensitive(root, "counters");
	if (!cJSON_IsObject(counters))
		counters = root; /* before 6.5 the counters sat at the top */
	st->hit = varnish_counter(counters, "MAIN.cache_hit");
	st->miss = varnish_counter(counters, "MAIN.cache_miss");
	st->objects = varnish_counter(counters, "MAIN.n_object");
	cJSON_Delete(root);
	if (st->hit < 0 || st->miss < 0) {
		snprintf(err, cap, "varnishstat -j: no MAIN.cache_hit and MAIN.cache_miss counters");
		return -1;
	}
	return 0;
}

static int varnish_stats_parse(void *pdata, const char *out, size_t len, double *hit_ratio, double *objects,
                               char *err, size_t cap)
{
	struct varnish *v = pdata;
	struct varnish_stats st;
	if (varnish_parse_stats(out, len, &st, err, cap) != 0)
		return -1;
	double hit = st.hit, miss = st.miss;
	/* Since the last refresh when the counters only grew (a restart resets them). */
	if (v->last_hit >= 0 && st.hit >= v->last_hit && st.miss >= v->last_miss &&
	    st.hit + st.miss > v->last_hit + v->last_miss) {
		hit = st.hit - v->last_hit;
		miss = st.miss - v->last_miss;
	}
	v->last_hit = st.hit;
	v->last_miss = st.miss;
	*hit_ratio = hit + miss > 0 ? hit / (hit + miss) : -1;
	*objects = st.objects;
	return 0;
}

static void varnish_free(void *pdata)
{
	struct varnish *v = pdata;
	if (v == NULL)
		return;
	free(v->purge_url);
	free(v->purge_method);
	free(v->ban_method);
	free(v->name);
	free(v);
}

const struct cdn_provider cdn_provider_varnish = {
    .name = "varnish",
    .per_edge = true,
    .init = varnish_init,
    .plan = varnish_plan,
    .answer = varnish_answer,
    .stats_argv = varnish_stats_argv,
    .stats_parse = varnish_stats_parse,
    .free = varnish_free,
};
