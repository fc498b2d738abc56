/* http: one curl multi handle driven by the libuv loop.
 *
 * curl tells us which sockets to watch (socket callback: one uv_poll_t per
 * socket, freed in its close callback) and when to call it back (timer
 * callback: one uv_timer_t). Every readiness event and every timer expiry is
 * handed to curl_multi_socket_action, and after each of them every finished
 * transfer is read, including the one that ended on a timeout. Limits live on
 * each easy handle; the body cap is enforced in the write callback because
 * CURLOPT_MAXFILESIZE does not stop a transfer already under way. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sitrep/http.h"
#include "sitrep/util.h"

struct http_sock {
	uv_poll_t poll; /* data = this */
	curl_socket_t fd;
	struct http *h;
	struct http_sock *next, *prev;
};

struct http_call {
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *body_out; /* the request body we send (curl does not copy POSTFIELDS) */
	char *buf;      /* the response body */
	size_t len, cap, max;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	http_done_cb cb;
	void *arg;
	uv_timer_t *early; /* set while an early failure waits for the next loop pass */
	bool linked;
	struct http_call *next, *prev;
};

struct http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer; /* data = this; freeing h happens in its close callback */
	struct http_sock *socks;
	struct http_call *calls;
	size_t ncalls;
	unsigned long connects;
	bool async_dns;
	bool closing;
};

static void http_check_done(struct http *h);

static void http_sock_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void http_sock_release(struct http_sock *s)
{
	struct http *h = s->h;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, http_sock_closed);
}

static void http_on_poll(uv_poll_t *poll, int status, int events)
{
	struct http_sock *s = poll->data;
	struct http *h = s->h;
	int flags = 0;
	int running;
	/* A poll error goes to curl, which then fails the transfer with its reason. */
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	http_check_done(h);
}

static int http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(h->multi, fd, NULL);
			http_sock_release(s);
		}
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->h = h;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		s->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = s;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	int events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, http_on_poll);
	return 0;
}

static void http_on_timer(uv_timer_t *timer)
{
	struct http *h = timer->data;
	int running;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(h);
}

static int http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;
	/* curl must not be re-entered from here: a 0 timeout fires on the next loop pass. */
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, http_on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

struct http *http_new(uv_loop_t *loop)
{
	static bool global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = true;
	}
	struct http *h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		abort();
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
	h->async_dns = (info->features & CURL_VERSION_ASYNCHDNS) != 0;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	/* A few connections per host, reused: 200 queries must not mean 200 sockets. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 6L);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
	return h;
}

static void http_call_unlink(struct http_call *c)
{
	struct http *h = c->h;
	if (!c->linked)
		return;
	c->linked = false;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->calls = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->ncalls--;
	if (h->multi != NULL)
		curl_multi_remove_handle(h->multi, c->easy);
}

static void http_call_free(struct http_call *c)
{
	http_call_unlink(c);
	if (c->early != NULL)
		c->early->data = NULL; /* the timer still fires once, then closes itself */
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	free(c->body_out);
	free(c->buf);
	free(c);
}

static void http_timer_closed(uv_handle_t *handle)
{
	free(handle->data);
}

void http_close(struct http *h)
{
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	while (h->calls != NULL)
		http_call_free(h->calls);
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	/* Sockets curl did not hand back during cleanup are closed here. */
	while (h->socks != NULL)
		http_sock_release(h->socks);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, http_timer_closed);
}

static size_t http_write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct http_call *c = userp;
	size_t bytes = size * n;
	if (c->len + bytes > c->max) {
		c->too_big = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	if (c->len + bytes + 1 > c->cap) {
		size_t cap = c->cap != 0 ? c->cap : 16384;
		while (cap < c->len + bytes + 1)
			cap *= 2;
		if (cap > c->max + 1)
			cap = c->max + 1;
		c->buf = xrealloc(c->buf, cap);
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, bytes);
	c->len += bytes;
	c->buf[c->len] = '\0';
	return bytes;
}

/* Without an asynchronous resolver a host name would block the loop, so only
 * literal addresses are allowed then. */
static bool http_host_is_literal(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	bool literal = false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		unsigned char addr[16];
		char *h = host;
		size_t n = strlen(h);
		if (n > 2 && h[0] == '[' && h[n - 1] == ']') {
			h[n - 1] = '\0';
			h++;
		}
		literal = inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return literal;
}

static void http_deliver(struct http_call *c, CURLcode code)
{
	struct http_resp resp = {0};
	char msg[CURL_ERROR_SIZE + 64];
	long status = 0;
	long connects = 0;
	double seconds = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &seconds);
	c->h->connects += (unsigned long)connects;
	resp.seconds = seconds;
	if (c->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(msg, sizeof(msg), "response larger than %zu bytes, stopped", c->max);
		resp.error = msg;
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		/* curl's text names the limit that fired: connect, total or low speed. */
		snprintf(msg, sizeof(msg), "timed out: %s",
		         c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(code));
		resp.error = msg;
	} else if (code != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s", c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(code));
		resp.error = msg;
	} else {
		resp.status = status;
	}
	resp.body = c->buf != NULL ? c->buf : "";
	resp.len = c->len;
	c->cb(&resp, c->arg);
}

static void http_check_done(struct http *h)
{
	CURLMsg *m;
	int left;
	while (h->multi != NULL && (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct http_call *c = NULL;
		CURLcode code = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		/* Unlinked before the callback, so it may start new requests or even
		 * close the client. */
		http_call_unlink(c);
		http_deliver(c, code);
		http_call_free(c);
	}
}

/* A request that fails before it starts still reports through the loop, so
 * callers never see their callback run inside http_request. */
static void http_early_closed(uv_handle_t *handle)
{
	free(handle);
}

static void http_early_fire(uv_timer_t *timer)
{
	struct http_call *c = timer->data;
	uv_close((uv_handle_t *)timer, http_early_closed);
	if (c == NULL)
		return;
	c->early = NULL;
	http_call_unlink(c);
	struct http_resp resp = {.error = c->errbuf, .body = ""};
	c->cb(&resp, c->arg);
	http_call_free(c);
}

struct http_call *http_request(struct http *h, const struct http_req *req, http_done_cb cb, void *arg)
{
	struct http_call *c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->cb = cb;
	c->arg = arg;
	c->max = req->max_body != 0 ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	c->easy = curl_easy_init();
	if (c->easy == NULL)
		abort();
	CURL *e = c->easy;
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms > 0 ? req->connect_timeout_ms
	                                             : (long)HTTP_DEFAULT_CONNECT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms > 0 ? req->timeout_ms : (long)HTTP_DEFAULT_TIMEOUT_MS);
	/* A dripping server: under 64 bytes/s for 5 s is a failure. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 64L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 5L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Waiting for a connection to multiplex only makes sense where HTTP/2 is
	 * negotiated (TLS); on plain HTTP/1.1 it would queue a request behind a
	 * hung one on the same host. */
	if (strncmp(req->url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT,
	                 "sitrep/"
	                 "0.1");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, req->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, req->insecure ? 0L : 2L);
	/* Credentials are never forwarded to another host on redirect (curl's
	 * default; stated here because it matters). */
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	if (req->auth == HTTP_AUTH_BEARER && req->secret != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, req->secret);
	} else if (req->auth == HTTP_AUTH_BASIC) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, req->user != NULL ? req->user : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, req->secret != NULL ? req->secret : "");
	}
	for (const char *const *hd = req->headers; hd != NULL && *hd != NULL; hd++)
		c->headers = curl_slist_append(c->headers, *hd);
	if (req->body != NULL) {
		char ct[200];
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		         req->content_type != NULL ? req->content_type : "application/x-www-form-urlencoded");
		c->headers = curl_slist_append(c->headers, ct);
		c->body_out = xmalloc(req->body_len + 1);
		memcpy(c->body_out, req->body, req->body_len);
		c->body_out[req->body_len] = '\0';
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body_out);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->method != NULL && strcmp(req->method, req->body != NULL ? "POST" : "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (c->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);

	c->next = h->calls;
	if (h->calls != NULL)
		h->calls->prev = c;
	h->calls = c;
	h->ncalls++;
	c->linked = true;

	if (!h->async_dns && !http_host_is_literal(req->url)) {
		snprintf(c->errbuf, sizeof(c->errbuf),
		         "this libcurl resolves names by blocking; use an IP address in the URL");
		c->early = xcalloc(1, sizeof(*c->early));
		uv_timer_init(h->loop, c->early);
		c->early->data = c;
		uv_timer_start(c->early, http_early_fire, 0, 0);
		return c;
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		abort();
	return c;
}

void http_cancel(struct http_call *call)
{
	if (call != NULL)
		http_call_free(call);
}

unsigned long http_connections_opened(const struct http *h)
{
	return h->connects;
}

size_t http_active(const struct http *h)
{
	return h->ncalls;
}

char *http_urlencode(const char *prefix, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t plen = strlen(prefix), n = strlen(s);
	char *out = xmalloc(plen + 3 * n + 1);
	char *p = out + plen;
	memcpy(out, prefix, plen);
	for (const unsigned char *q = (const unsigned char *)s; *q != '\0'; q++) {
		if ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
		    *q == '-' || *q == '.' || *q == '_' || *q == '~') {
			*p++ = (char)*q;
		} else {
			*p++ = '%';
			*p++ = hex[*q >> 4];
			*p++ = hex[*q & 15];
		}
	}
	*p = '\0';
	return out;
}
