/* cdnhttp: the "http" cdn provider, for a purge endpoint sitrep has no
 * file for. The config names the method, a URL template per path and,
 * optionally, one for everything, a body template, headers and a token:
 *
 *   "purge_method": "POST", "purge_url": "https://cdn.internal/purge?u={url}",
 *   "purge_body": "{\"path\": \"{path}\"}", "purge_all_url": "...",
 *   "purge_headers": { "X-Team": "web" }, "token_env": "PURGE_TOKEN"
 *
 * Placeholders: {path}, {path_encoded}, {host} and {url} (the edge URL plus
 * the path). A value is escaped for where it lands: percent-encoded in a
 * URL's query, JSON-escaped in a JSON body (a quoted string outside one),
 * entities in XML, percent-encoded in a form, so no path can change the
 * shape of the request. Any 2xx is accepted; the re-probe decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/cdn.h"
#include "sitrep/core/util.h"

struct cdnhttp {
	char *edge_url;
	char *method, *url, *body, *content_type;
	enum cdn_syntax body_syn, all_body_syn;
	char *all_method, *all_url, *all_body;
	char **headers; /* "Name: value", with the token's Authorization last */
	size_t nheaders;
};

static int cdnhttp_headers(struct cdnhttp *c, struct config_ctx *ctx, struct jnode *node)
{
	struct jnode *obj;
	char *token = NULL;
	if (config_get_node(ctx, node, "purge_headers", JNODE_OBJECT, false, &obj) != 0)
		return -1;
	c->headers = xcalloc((obj != NULL ? obj->count : 0) + 2, sizeof(char *));
	for (struct jnode *m = obj != NULL ? obj->child : NULL; m != NULL; m = m->next) {
		m->used = true;
		if (m->type != JNODE_STRING || m->key[0] == '\0' || strpbrk(m->key, " \t:\r\n") != NULL ||
		    strpbrk(m->string, "\r\n") != NULL || strlen(m->string) != m->len)
			return config_fail(ctx, m,
			                   "a header: a name without spaces or ':', a one-line string value");
		c->headers[c->nheaders++] = xasprintf("%s: %s", m->key, m->string);
	}
	if (config_get_secret(ctx, node, "token_env", "token_file", &token) != 0)
		return -1;
	if (token != NULL)
		c->headers[c->nheaders++] = xasprintf("Authorization: Bearer %s", token);
	config_free_secret(token);
	return 0;
}

static bool cdnhttp_method_ok(const char *m)
{
	return m[0] != '\0' && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == strlen(m);
}

static int cdnhttp_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	struct cdnhttp *c = xcalloc(1, sizeof(*c));
	*pdata = c;
	c->edge_url = xstrdup(edge_url);
	if (config_get_string(ctx, node, "purge_method", false, "PURGE", &c->method) != 0 ||
	    config_get_string(ctx, node, "purge_url", false, "{url}", &c->url) != 0 ||
	    config_get_string(ctx, node, "purge_body", false, NULL, &c->body) != 0 ||
	    config_get_string(ctx, node, "purge_content_type", false, "application/json", &c->content_type) !=
	        0 ||
	    config_get_string(ctx, node, "purge_all_method", false, NULL, &c->all_method) != 0 ||
	    config_get_string(ctx, node, "purge_all_url", false, NULL, &c->all_url) != 0 ||
	    config_get_string(ctx, node, "purge_all_body", false, NULL, &c->all_body) != 0 ||
	    cdnhttp_headers(c, ctx, node) != 0)
		return -1;
	if (!cdnhttp_method_ok(c->method))
		return config_fail(ctx, jsonc_get(node, "purge_method"),
		                   "expected an HTTP method in capitals");
	if (c->all_method != NULL && !cdnhttp_method_ok(c->all_method))
		return config_fail(ctx, jsonc_get(node, "purge_all_method"),
		                   "expected an HTTP method in capitals");
	/* The templates must give an http(s) URL whatever the path. */
	const char *urls[] = {c->url, c->all_url};
	const char *keys[] = {"purge_url", "purge_all_url"};
	for (size_t i = 0; i < 2; i++) {
		if (urls[i] == NULL)
			continue;
		char *u = cdn_template(urls[i], edge_url, "/x");
		bool ok = (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
		          strpbrk(u, " \t\r\n") == NULL;
		free(u);
		if (!ok)
			return config_fail(ctx, jsonc_get(node, keys[i]),
			                   "expected an http:// or https:// URL template, such as "
			                   "\"https://cdn.internal/purge{path}\"");
	}
	/* A JSON body must be JSON once filled; escaping keeps it so for any
	 * path, so one sample tells. */
	const char *bodies[] = {c->body, c->all_body};
	const char *bkeys[] = {"purge_body", "purge_all_body"};
	enum cdn_syntax *syns[] = {&c->body_syn, &c->all_body_syn};
	for (size_t i = 0; i < 2; i++) {
		*syns[i] = cdn_body_syntax(c->content_type, bodies[i]);
		if (bodies[i] == NULL || *syns[i] != CDN_SYNTAX_JSON)
			continue;
		char *b = cdn_template_in(bodies[i], edge_url, "/x\"y", CDN_SYNTAX_JSON);
		cJSON *o = cJSON_Parse(b);
		bool ok = o != NULL;
		cJSON_Delete(o);
		free(b);
		if (!ok)
			return config_fail(ctx, jsonc_get(node, bkeys[i]),
			                   "expected a JSON body template (the content type is %s), such as "
			                   "\"{\\\"path\\\": \\\"{path}\\\"}\"",
			                   c->content_type);
	}
	return 0;
}

static void cdnhttp_fill(struct cdnhttp *c, struct cdn_request *r, const char *method, const char *url,
                         const char *body, enum cdn_syntax syn, const char *path)
{
	r->method = xstrdup(method);
	r->url = cdn_template(url, c->edge_url, path);
	if (body != NULL) {
		r->body = cdn_template_in(body, c->edge_url, path, syn);
		r->content_type = xstrdup(c->content_type);
	}
	r->headers = xcalloc(c->nheaders + 1, sizeof(char *));
	for (size_t i = 0; i < c->nheaders; i++)
		r->headers[i] = xstrdup(c->headers[i]);
}

static int cdnhttp_plan(void *pdata, const char *const *paths, size_t n, bool all, struct cdn_request **out,
                        size_t *nout, char *err, size_t cap)
{
	struct cdnhttp *c = pdata;
	if (all && c->all_url == NULL) {
		snprintf(err, cap, "no \"purge_all_url\" in this pane's config: purge-all is not set up");
		return -1;
	}
	size_t count = all ? 1 : n;
	struct cdn_request *r = xcalloc(count, sizeof(*r));
	for (size_t i = 0; i < count; i++) {
		if (all)
			cdnhttp_fill(c, &r[i], c->all_method != NULL ? c->all_method : c->method, c->all_url,
			             c->all_body, c->all_body_syn, "/");
		else
			cdnhttp_fill(c, &r[i], c->method, c->url, c->body, c->body_syn, paths[i]);
	}
	*out = r;
	*nout = count;
	return 0;
}

static int cdnhttp_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (cdn_answer_transport(resp, "purge endpoint", err, cap) != 0)
		return -1;
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	char body[128];
	cdn_body_snippet(resp->body, resp->len, body, sizeof(body));
	snprintf(err, cap, "purge endpoint answered %ld: %s", resp->status, body);
	return -1;
}

static void cdnhttp_free(void *pdata)
{
	struct cdnhttp *c = pdata;
	if (c == NULL)
		return;
	free(c->edge_url);
	free(c->method);
	free(c->url);
	free(c->body);
	free(c->content_type);
	free(c->all_method);
	free(c->all_url);
	free(c->all_body);
	for (size_t i = 0; i < c->nheaders; i++) {
		explicit_bzero(c->headers[i], strlen(c->headers[i]));
		free(c->headers[i]);
	}
	free(c->headers);
	free(c);
}

const struct cdn_provider cdn_provider_http = {
    .name = "http",
    .per_edge = true,
    .init = cdnhttp_init,
    .plan = cdnhttp_plan,
    .answer = cdnhttp_answer,
    .free = cdnhttp_free,
};
