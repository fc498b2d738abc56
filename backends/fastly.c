/* fastly: the cdn provider for Fastly. One URL is purged with
 * POST {api_url}/purge/{host}{path}, everything with
 * POST {api_url}/service/{service_id}/purge_all; the API key goes in the
 * Fastly-Key header (token_env or token_file), and "soft_purge": true adds
 * Fastly-Soft-Purge: 1 (the object is marked stale, not evicted). Fastly
 * answers {"status": "ok", "id": "..."}; errors carry "msg" and "detail". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/cdn.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

struct fastly {
	char *api_url;
	char *service_id; /* NULL: no purge-all */
	char *host;       /* the public host name objects are cached under */
	char *key;
	bool soft;
};

static int fastly_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	struct fastly *f = xcalloc(1, sizeof(*f));
	*pdata = f;
	char *def_host = cdn_url_host(edge_url);
	int rc = cdn_config_url(ctx, node, "api_url", "https://api.fastly.com", &f->api_url) != 0 ||
	                 config_get_string(ctx, node, "service_id", false, NULL, &f->service_id) != 0 ||
	                 config_get_string(ctx, node, "purge_host", false, def_host, &f->host) != 0 ||
	                 config_get_bool(ctx, node, "soft_purge", false, &f->soft) != 0 ||
	                 config_get_secret(ctx, node, "token_env", "token_file", &f->key) != 0
	             ? -1
	             : 0;
	free(def_host);
	if (rc != 0)
		return -1;
	if (f->host[0] == '\0' || strpbrk(f->host, "/ \t\r\n?#") != NULL)
		return config_fail(ctx, jsonc_get(node, "purge_host"),
		                   "expected the site's host name (\"www.example.com\")");
	if (f->service_id != NULL &&
	    (f->service_id[0] == '\0' ||
	     strspn(f->service_id, "0123456789abcdefghijklmnopqrstuvwxyz"
	                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(f->service_id)))
		return config_fail(ctx, jsonc_get(node, "service_id"),
		                   "expected the service's id (letters and digits)");
	if (f->key == NULL)
		return config_fail(ctx, node,
		                   "a fastly pane needs \"token_env\" or \"token_file\" "
		                   "(an API token with the purge_select scope)");
	return 0;
}

static int fastly_plan(void *pdata, const char *const *paths, size_t n, bool all, struct cdn_request **out,
                       size_t *nout, char *err, size_t cap)
{
	struct fastly *f = pdata;
	if (all && f->service_id == NULL) {
		snprintf(err, cap, "purge-all needs the pane's \"service_id\"");
		return -1;
	}
	size_t count = all ? 1 : n;
	struct cdn_request *r = xcalloc(count, sizeof(*r));
	char *key = xasprintf("Fastly-Key: %s", f->key);
	for (size_t i = 0; i < count; i++) {
		r[i].method = xstrdup("POST");
		r[i].url = all ? xasprintf("%s/service/%s/purge_all", f->api_url, f->service_id)
		               : xasprintf("%s/purge/%s%s", f->api_url, f->host, paths[i]);
		r[i].headers = cdn_header_list(3, key, "Accept: application/json",
		                               f->soft ? "Fastly-Soft-Purge: 1" : NULL);
	}
	explicit_bzero(key, strlen(key));
	free(key);
	*out = r;
	*nout = count;
	return 0;
}

int fastly_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap)
{
	*id = NULL;
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (status >= 200 && status < 300 && cJSON_IsString(st) && st->valuestring != NULL &&
	    strcmp(st->valuestring, "ok") == 0) {
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(root, "id");
		if (cJSON_IsString(pid) && pid->valuestring != NULL)
			*id = sanitize(pid->valuestring, strlen(pid->valuestring), 64);
		cJSON_Delete(root);
		return 0;
	}
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
	char m[150], d[150] = "";
	if (cJSON_IsString(msg) && msg->valuestring != NULL) {
		sanitize_into(m, sizeof(m), msg->valuestring, strlen(msg->valuestring));
		if (cJSON_IsString(detail) && detail->valuestring != NULL) {
			char t[140];
			sanitize_into(t, sizeof(t), detail->valuestring, strlen(detail->valuestring));
			snprintf(d, sizeof(d), " (%s)", t);
		}
	} else {
		cdn_body_snippet(body, len, m, sizeof(m));
	}
	snprintf(err, cap, "fastly refused (%ld): %s%s", status, m, d);
	cJSON_Delete(root);
	return -1;
}

static int fastly_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (cdn_answer_transport(resp, "fastly", err, cap) != 0)
		return -1;
	return fastly_parse_answer(resp->status, resp->body, resp->len, id, err, cap);
}

static void fastly_free(void *pdata)
{
	struct fastly *f = pdata;
	if (f == NULL)
		return;
	free(f->api_url);
	free(f->service_id);
	free(f->host);
	config_free_secret(f->key);
	free(f);
}

const struct cdn_provider cdn_provider_fastly = {
    .name = "fastly",
    .init = fastly_init,
    .plan = fastly_plan,
    .answer = fastly_answer,
    .free = fastly_free,
};
