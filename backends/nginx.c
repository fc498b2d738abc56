/* nginx: the cdn provider for an nginx caching proxy with the cache purge
 * module (libnginx-mod-http-cache-purge): `proxy_cache_purge PURGE from
 * 127.0.0.1;` in the cached location takes a PURGE of a URL and evicts the
 * entry under that URL's cache key. The module purges one key at a time:
 * there is no purge-all, and sitrep says so rather than pretend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cdn.h"
#include "sitrep/core/util.h"

struct nginx {
	char *purge_url; /* where PURGE goes: the cache's own address */
	char *purge_method;
};

static int nginx_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	struct nginx *n = xcalloc(1, sizeof(*n));
	*pdata = n;
	if (cdn_config_url(ctx, node, "purge_url", edge_url, &n->purge_url) != 0 ||
	    config_get_string(ctx, node, "purge_method", false, "PURGE", &n->purge_method) != 0)
		return -1;
	if (n->purge_method[0] == '\0' ||
	    strspn(n->purge_method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") != strlen(n->purge_method))
		return config_fail(ctx, jsonc_get(node, "purge_method"),
		                   "expected an HTTP method in capitals, such as \"PURGE\"");
	return 0;
}

static int nginx_plan(void *pdata, const char *const *paths, size_t n, bool all, struct cdn_request **out,
                      size_t *nout, char *err, size_t cap)
{
	struct nginx *ng = pdata;
	if (all) {
		snprintf(err, cap,
		         "nginx's cache purge module has no purge-all: purge the paths (p), or empty "
		         "the proxy_cache_path directory on the host");
		return -1;
	}
	struct cdn_request *r = xcalloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].method = xstrdup(ng->purge_method);
		r[i].url = xasprintf("%s%s", ng->purge_url, paths[i]);
	}
	*out = r;
	*nout = n;
	return 0;
}

/* 200 "Successful purge"; 404: nothing cached under that key (the
 * re-probe tells whether the edge is fresh anyway); 403/405: not allowed. */
static int nginx_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (resp->error != NULL && strstr(resp->error, "Empty reply") != NULL) {
		/* What a worker that dies on the request looks like from here. */
		snprintf(err, cap,
		         "nginx closed the connection without an answer (did the worker crash? its error "
		         "log says \"exited on signal 11\" then)");
		return -1;
	}
	if (cdn_answer_transport(resp, "nginx", err, cap) != 0)
		return -1;
	if ((resp->status >= 200 && resp->status < 300) || resp->status == 404)
		return 0;
	if (resp->status == 403)
		snprintf(err, cap, "nginx refused with 403 (is this address in proxy_cache_purge ... from?)");
	else if (resp->status == 405)
		snprintf(err, cap, "nginx answered 405: this location has no proxy_cache_purge");
	else
		snprintf(err, cap, "nginx answered %ld", resp->status);
	return -1;
}

static void nginx_free(void *pdata)
{
	struct nginx *n = pdata;
	if (n == NULL)
		return;
	free(n->purge_url);
	free(n->purge_method);
	free(n);
}

const struct cdn_provider cdn_provider_nginx = {
    .name = "nginx",
    .per_edge = true,
    .init = nginx_init,
    .plan = nginx_plan,
    .answer = nginx_answer,
    .free = nginx_free,
};
