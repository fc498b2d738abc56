/* endpoint: the shared reading of an HTTP source's server keys and the
 * shared shape of its requests (see endpoint.h). Sources used to each read
 * url, timeout, TLS and token themselves; the copies had begun to differ
 * (one did not strip the trailing '/', one had no timeout key), so the keys
 * now mean the same thing in every pane. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sitrep/io/endpoint.h"
#include "sitrep/core/util.h"

/* Connecting never takes longer than this, whatever the total timeout. */
#define ENDPOINT_CONNECT_MAX_MS 3000L

struct endpoint {
	char *base;    /* the "url", trailing '/' dropped */
	char *display; /* base with a password in it masked */
	char *user;
	char *secret; /* wiped on free */
	bool insecure;
	long timeout_ms;
};

void endpoint_free(struct endpoint *ep)
{
	if (ep == NULL)
		return;
	/* base may hold a password written in the URL: wiped as well. */
	config_free_secret(ep->base);
	free(ep->display);
	free(ep->user);
	config_free_secret(ep->secret);
	free(ep);
}

/* Where the authority of an http(s) URL starts and how long it is. */
static size_t endpoint_authority(const char *url, const char **start)
{
	*start = strstr(url, "://") + 3;
	return strcspn(*start, "/?#");
}

/* Why url cannot be used, or NULL. The URL itself is never part of the
 * message: it may carry a password. */
static const char *endpoint_check_url(const char *url, char *buf, size_t cap)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return "expected an http:// or https:// URL";
	for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return "the URL contains a space or a control character";
	const char *auth;
	size_t alen = endpoint_authority(url, &auth);
	const char *at = memrchr(auth, '@', alen);
	const char *host = at != NULL ? at + 1 : auth;
	if (host == auth + alen || *host == ':')
		return "the URL has no host name";
	/* curl's own parser, so what passes here is what the client will accept. */
	CURLU *u = curl_url();
	if (u == NULL)
		abort();
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
	curl_url_cleanup(u);
	if (rc != CURLUE_OK) {
#if LIBCURL_VERSION_NUM >= 0x075000
		snprintf(buf, cap, "not a valid URL (%s)", curl_url_strerror(rc));
#else
		snprintf(buf, cap, "not a valid URL (error %d)", (int)rc);
#endif
		return buf;
	}
	return NULL;
}

/* The URL with the password of its user info, if any, replaced by "***". */
static char *endpoint_mask(const char *url)
{
	const char *auth;
	size_t alen = endpoint_authority(url, &auth);
	const char *at = memrchr(auth, '@', alen);
	const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(colon + 1 - url), url, at);
}

int endpoint_read(struct config_ctx *ctx, struct jnode *obj, struct endpoint **out)
{
	struct endpoint *ep = xcalloc(1, sizeof(*ep));
	double timeout = 10;
	*out = NULL;
	if (config_get_string(ctx, obj, "url", true, NULL, &ep->base) != 0 ||
	    config_get_number(ctx, obj, "timeout_seconds", false, 10, 0.1, 300, &timeout) != 0 ||
	    config_get_bool(ctx, obj, "insecure", false, &ep->insecure) != 0 ||
	    config_get_string(ctx, obj, "username", false, NULL, &ep->user) != 0 ||
	    config_get_secret(ctx, obj, "token_env", "token_file", &ep->secret) != 0) {
		endpoint_free(ep);
		return -1;
	}
	char buf[256];
	const char *why = endpoint_check_url(ep->base, buf, sizeof(buf));
	if (why != NULL) {
		endpoint_free(ep);
		return config_fail(ctx, jsonc_get(obj, "url"), "%s", why);
	}
	size_t n = strlen(ep->base);
	while (n > 0 && ep->base[n - 1] == '/')
		ep->base[--n] = '\0';
	ep->display = endpoint_mask(ep->base);
	ep->timeout_ms = (long)(timeout * 1000);
	*out = ep;
	return 0;
}

const char *endpoint_base(const struct endpoint *ep)
{
	return ep->base;
}

const char *endpoint_display(const struct endpoint *ep)
{
	return ep->display;
}

const char *endpoint_warning(const struct endpoint *ep)
{
	return ep->insecure ? "TLS verify off" : NULL;
}

void endpoint_prepare(const struct endpoint *ep, struct http_req *req)
{
	req->timeout_ms = ep->timeout_ms;
	req->connect_timeout_ms =
	    ep->timeout_ms < ENDPOINT_CONNECT_MAX_MS ? ep->timeout_ms : ENDPOINT_CONNECT_MAX_MS;
	req->insecure = ep->insecure;
	req->secret = ep->secret;
	req->user = ep->user;
	/* A username without a token sends nothing: an empty password is
	 * never what was meant. */
	req->auth = ep->secret == NULL ? HTTP_AUTH_NONE
	            : ep->user != NULL ? HTTP_AUTH_BASIC
	                               : HTTP_AUTH_BEARER;
}

char *endpoint_url(const struct endpoint *ep, const char *path_and_query)
{
	return xasprintf("%s%s", ep->base, path_and_query);
}

struct http_call *endpoint_request(const struct endpoint *ep, struct http *h, const char *path_and_query,
                                   const struct http_req *req, http_done_cb cb, void *arg)
{
	struct http_req r = {0};
	if (req != NULL)
		r = *req;
	endpoint_prepare(ep, &r);
	char *url = endpoint_url(ep, path_and_query);
	r.url = url;
	struct http_call *call = http_request(h, &r, cb, arg);
	/* http_request copies every string it keeps. */
	free(url);
	return call;
}

char *endpoint_describe(const struct endpoint *ep, const char *method, const char *path_and_query)
{
	const char *cred = ep->secret == NULL ? "" : ep->user != NULL ? " (basic auth)" : " (bearer token)";
	return xasprintf("%s %s%s%s", method, ep->display, path_and_query, cred);
}
