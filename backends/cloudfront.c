/* cloudfront: the cdn provider for Amazon CloudFront. A purge is a
 * CreateInvalidation: POST {api_url}/2020-05-31/distribution/{id}/invalidation
 * with an InvalidationBatch (the paths, or "/" followed by "*" for everything, and a caller
 * reference made when the purge is prepared), signed with AWS SigV4 by the
 * HTTP client ("aws:amz:us-east-1:cloudfront": CloudFront's API lives in
 * us-east-1). The answer, 201 with an <Invalidation>, gives the id and the
 * status (InProgress); an <ErrorResponse> gives a code and a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/cdn.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define CLOUDFRONT_SIGV4 "aws:amz:us-east-1:cloudfront"
#define CLOUDFRONT_BATCH 1000 /* paths per invalidation (the API takes up to 3000) */

struct cloudfront {
	char *api_url;
	char *distribution;
	char *key_id;
	char *secret;
	unsigned long seq; /* makes caller references unique within a run */
};

static int cloudfront_init(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata)
{
	(void)edge_url;
	struct cloudfront *c = xcalloc(1, sizeof(*c));
	*pdata = c;
	char *key_env = NULL;
	if (cdn_config_url(ctx, node, "api_url", "https://cloudfront.amazonaws.com", &c->api_url) != 0 ||
	    config_get_string(ctx, node, "distribution_id", true, NULL, &c->distribution) != 0 ||
	    config_get_string(ctx, node, "access_key_id", false, NULL, &c->key_id) != 0 ||
	    config_get_string(ctx, node, "access_key_id_env", false, NULL, &key_env) != 0 ||
	    config_get_secret(ctx, node, "secret_key_env", "secret_key_file", &c->secret) != 0) {
		free(key_env);
		return -1;
	}
	if (key_env != NULL && c->key_id == NULL) {
		const char *v = getenv(key_env);
		if (v != NULL && *v != '\0' && strpbrk(v, "\r\n") == NULL)
			c->key_id = xstrdup(v);
	}
	free(key_env);
	if (c->distribution[0] == '\0' ||
	    strspn(c->distribution, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(c->distribution))
		return config_fail(
		    ctx, jsonc_get(node, "distribution_id"),
		    "expected the distribution's id (capitals and digits, \"E2QWRUHAPOMQZL\")");
	if (c->key_id == NULL || strpbrk(c->key_id, " \t\r\n:") != NULL)
		return config_fail(ctx, node,
		                   "a cloudfront pane needs \"access_key_id\" or \"access_key_id_env\" "
		                   "(a set environment variable)");
	if (c->secret == NULL)
		return config_fail(ctx, node,
		                   "a cloudfront pane needs \"secret_key_env\" or \"secret_key_file\"");
	return 0;
}

static char *cloudfront_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p != '\0'; p++)
		n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : 1;
	char *out = xmalloc(n + 1), *o = out;
	for (const char *p = s; *p != '\0'; p++) {
		const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
		if (rep != NULL) {
			memcpy(o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

char *cloudfront_invalidation_xml(const char *const *paths, size_t n, const char *caller_ref)
{
	char *items = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *e = cloudfront_escape(paths[i]);
		char *next = xasprintf("%s<Path>%s</Path>", items, e);
		free(e);
		free(items);
		items = next;
	}
	char *ref = cloudfront_escape(caller_ref);
	char *out = xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                      "<InvalidationBatch xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">"
	                      "<Paths><Quantity>%zu</Quantity><Items>%s</Items></Paths>"
	                      "<CallerReference>%s</CallerReference></InvalidationBatch>",
	                      n, items, ref);
	free(ref);
	free(items);
	return out;
}

static int cloudfront_plan(void *pdata, const char *const *paths, size_t n, bool all,
                           struct cdn_request **out, size_t *nout, char *err, size_t cap)
{
	struct cloudfront *c = pdata;
	(void)err, (void)cap;
	static const char *const everything[] = {"/*"};
	if (all) {
		paths = everything;
		n = 1;
	}
	size_t count = (n + CLOUDFRONT_BATCH - 1) / CLOUDFRONT_BATCH;
	struct cdn_request *r = xcalloc(count, sizeof(*r));
	for (size_t b = 0; b < count; b++) {
		size_t first = b * CLOUDFRONT_BATCH;
		size_t k = n - first < CLOUDFRONT_BATCH ? n - first : CLOUDFRONT_BATCH;
		/* Unique per request: CloudFront treats a repeated reference as the same batch. */
		char ref[96];
		snprintf(ref, sizeof(ref), "sitrep-%lld-%ld-%lu", (long long)time(NULL), (long)getpid(),
		         ++c->seq);
		r[b].method = xstrdup("POST");
		r[b].url =
		    xasprintf("%s/2020-05-31/distribution/%s/invalidation", c->api_url, c->distribution);
		r[b].body = cloudfront_invalidation_xml(paths + first, k, ref);
		r[b].content_type = xstrdup("text/xml");
		r[b].aws_sigv4 = xstrdup(CLOUDFRONT_SIGV4);
		r[b].user = xstrdup(c->key_id);
		r[b].secret = xstrdup(c->secret);
	}
	*out = r;
	*nout = count;
	return 0;
}

static const char *cloudfront_find(const char *hay, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The text of the first <tag>...</tag> in body, sanitized, or "" */
static void cloudfront_tag(const char *body, size_t len, const char *tag, char *buf, size_t cap)
{
	buf[0] = '\0';
	char open[40], close[40];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *s = cloudfront_find(body, len, open, strlen(open));
	if (s == NULL)
		return;
	s += strlen(open);
	const char *e = cloudfront_find(s, len - (size_t)(s - body), close, strlen(close));
	if (e == NULL)
		return;
	sanitize_into(buf, cap, s, (size_t)(e - s));
}

int cloudfront_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap)
{
	*id = NULL;
	char inv_id[80], st[40];
	if (status >= 200 && status < 300 && cloudfront_find(body, len, "<Invalidation", 13) != NULL) {
		cloudfront_tag(body, len, "Id", inv_id, sizeof(inv_id));
		cloudfront_tag(body, len, "Status", st, sizeof(st));
		if (inv_id[0] != '\0')
			*id = st[0] != '\0' ? xasprintf("%s %s", inv_id, st) : xstrdup(inv_id);
		return 0;
	}
	char code[80], msg[160];
	cloudfront_tag(body, len, "Code", code, sizeof(code));
	cloudfront_tag(body, len, "Message", msg, sizeof(msg));
	if (code[0] != '\0')
		snprintf(err, cap, "cloudfront refused (%ld): %s%s%s", status, code,
		         msg[0] != '\0' ? ": " : "", msg);
	else {
		char snip[128];
		cdn_body_snippet(body, len, snip, sizeof(snip));
		snprintf(err, cap, "cloudfront answered %ld without an Invalidation: %s", status, snip);
	}
	return -1;
}

static int cloudfront_answer(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap)
{
	(void)pdata;
	*id = NULL;
	if (cdn_answer_transport(resp, "cloudfront", err, cap) != 0)
		return -1;
	return cloudfront_parse_answer(resp->status, resp->body, resp->len, id, err, cap);
}

static void cloudfront_free(void *pdata)
{
	struct cloudfront *c = pdata;
	if (c == NULL)
		return;
	free(c->api_url);
	free(c->distribution);
	free(c->key_id);
	config_free_secret(c->secret);
	free(c);
}

const struct cdn_provider cdn_provider_cloudfront = {
    .name = "cloudfront",
    .init = cloudfront_init,
    .plan = cloudfront_plan,
    .answer = cloudfront_answer,
    .free = cloudfront_free,
};
