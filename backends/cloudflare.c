/* cloudflare: the cdn provider for Cloudflare. A purge is
 * POST {api_url}/zones/{zone_id}/purge_cache with {"files": [URL, ...]}
 * (at most 100 URLs a request, so more paths make more requests) or
 * {"purge_everything": true}, with the API token as a bearer credential
 * (token_env or token_file). The answer is the v4 envelope: "success",
 * "errors" [{code, message}], "result": {"id"}. A 429 is sent again after
 * its Retry-After by the cdn source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/cdn.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define CLOUDFLARE_BATCH 100

struct cloudflare {
	char *api_url;
	char *zone_id;
	char *site_url; /* the public URL the files are cached under */
	char *token;
};

static int cloudflare_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	struct cloudflare *c = xcalloc(1, sizeof(*c));
	*pdata = c;
	if (cdn_config_url(ctx, node, "api_url", "https://api.cloudflare.com/client/v4", &c->api_url) != 0 ||
	    config_get_string(ctx, node, "zone_id", true, NULL, &c->zone_id) != 0 ||
	    cdn_config_url(ctx, node, "site_url", edge_url, &c->site_url) != 0 ||
	    config_get_secret(ctx, node, "token_env", "token_file", &c->token) != 0)
		return -1;
	if (c->zone_id[0] == '\0' || strspn(c->zone_id, "0123456789abcdefABCDEF") != strlen(c->zone_id))
		return config_fail(ctx, jsonc_get(node, "zone_id"),
		                   "expected the zone's id (32 hex digits, from the zone's overview page)");
	if (c->token == NULL)
		return config_fail(ctx, node,
		                   "a cloudflare pane needs \"token_env\" or \"token_file\" "
		                   "(an API token with the Cache Purge permission)");
	return 0;
}

static void cloudflare_request(struct cloudflare *c, struct cdn_request *r, cJSON *body)
{
	char *auth = xasprintf("Authorization: Bearer %s", c->token);
	r->method = xstrdup("POST");
	r->url = xasprintf("%s/zones/%s/purge_cache", c->api_url, c->zone_id);
	r->body = cJSON_PrintUnformatted(body);
	r->content_type = xstrdup("application/json");
	r->headers = cdn_header_list(1, auth);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	cJSON_Delete(body);
}

static int cloudflare_plan(void *pdata, const char *const *paths, size_t n, bool all,
                           struct cdn_request **out, size_t *nout, char *err, size_t cap)
{
	struct cloudflare *c = pdata;
	(void)err, (void)cap;
	size_t count = all ? 1 : (n + CLOUDFLARE_BATCH - 1) / CLOUDFLARE_BATCH;
	struct cdn_request *r = xcalloc(count, sizeof(*r));
	for (size_t b = 0; b < count; b++) {
		cJSON *body = cJSON_CreateObject();
		if (all) {
			cJSON_AddTrueToObject(body, "purge_everything");
		} else {
			cJSON *files = cJSON_AddArrayToObject(body, "files");
			for (size_t i = b * CLOUDFLARE_BATCH; i < n && i < (b + 1) * CLOUDFLARE_BATCH; i++) {
				char *url = xasprintf("%s%s", c->site_url, paths[i]);
				cJSON_AddItemToArray(files, cJSON_CreateString(url));
				free(url);
			}
		}
		cloudflare_request(c, &r[b], body);
	}
	*out = r;
	*nout = count;
	return 0;
}

int cloudflare_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap)
{
	*id = NULL;
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *success = cJSON_GetObjectItemCaseSensitive(root, "success");
	if (!cJSON_IsObject(root) || !cJSON_IsBool(success)) {
		char snip[128];
		cdn_body_snippet(body, len, snip, sizeof(snip));
		snprintf(err, cap, "cloudflare answered %ld with no API envelope: %s", status, snip);
		cJSON_Delete(root);
		return -1;
	}
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(root, "result");
	const cJSON *rid = cJSON_IsObject(result) ? cJSON_GetObjectItemCaseSensitive(result, "id") : NULL;
	if (cJSON_IsTrue(success) && status >= 200 && status < 300) {
		if (cJSON_IsString(rid) && rid->valuestring != NULL)
			*id = sanitize(rid->valuestring, strlen(rid->valuestring), 64);
		cJSON_Delete(root);
		return 0;
	}
	/* "errors": [{"code": 10000, "message": "Authentication error"}, ...] */
	char what[200] = "no error given";
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
	const cJSON *first = cJSON_IsArray(errors) ? cJSON_GetArrayItem(errors, 0) : NULL;
	if (cJSON_IsObject(first)) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(first, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(first, "message");
		char m[150] = "?";
		if (cJSON_IsString(msg) && msg->valuestring != NULL)
			sanitize_into(m, sizeof(m), msg->valuestring, strlen(msg->valuestring));
		if (cJSON_IsNumber(code))
			snprintf(what, sizeof(what), "%s (code %.0f)", m, code->valuedouble);
		else
			snprintf(what, sizeof(what), "%s", m);
		int more = cJSON_GetArraySize(errors) - 1;
		if (more > 0) {
			size_t l = strlen(what);
			snprintf(what + l, sizeof(what) - l, " and %d more", more);
		}
	}
	snprintf(err, cap, "cloudflare refused (%ld, success false): %s", status, what);
	cJSON_Delete(root);
	return -1;
}

static int cloudflare_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (cdn_answer_transport(resp, "cloudflare", err, cap) != 0)
		return -1;
	return cloudflare_parse_answer(resp->status, resp->body, resp->len, id, err, cap);
}

static void cloudflare_free(void *pdata)
{
	struct cloudflare *c = pdata;
	if (c == NULL)
		return;
	free(c->api_url);
	free(c->zone_id);
	free(c->site_url);
	config_free_secret(c->token);
	free(c);
}

const struct cdn_provider cdn_provider_cloudflare = {
    .name = "cloudflare",
    .init = cloudflare_init,
    .plan = cloudflare_plan,
    .answer = cloudflare_answer,
    .free = cloudflare_free,
};
