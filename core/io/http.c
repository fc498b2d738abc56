/* http: one curl multi handle driven by the libuv loop.
 *
 * curl tells us which sockets to watch (socket callback: one uv_poll_t per
 * socket, freed in its close callback) and when to call it back (timer
 * callback: one uv_timer_t). Every readiness event and every timer expiry is
 * handed to curl_multi_socket_action, and after each of them every finished
 * transfer is read, including the one that ended on a timeout. Limits live on
 * each easy handle; the body cap is enforced in the write callback because
 * CURLOPT_MAXFILESIZE does not stop a transfer already under way.
 *
 * Names are resolved here, never by curl. curl's threaded resolver is joined
 * on the calling thread when a transfer ends before its lookup did (a
 * timeout, a cancel), so a hung DNS server froze the whole loop. Instead,
 * before a transfer is added to the multi handle, every name curl will have
 * to look up (the URL's host, or the proxy's, and the URL's host too behind
 * a SOCKS proxy that resolves locally) is resolved by getaddrinfo on a
 * detached thread of our own and handed to curl with CURLOPT_RESOLVE, so
 * curl finds it in its cache. The lookup has its own deadline (the connect
 * timeout): when it passes, the request fails with "resolving host: timed
 * out" and the thread is simply forgotten; it frees its result whenever
 * getaddrinfo returns, and as it is detached neither the loop nor the exit
 * ever waits for it (libuv's pool would: its threads are joined at exit).
 * Lookups of one name are shared and a result is kept for a short while.
 * IP literals and "localhost" need no lookup. A resolver-start callback
 * refuses any lookup curl would still try on its own, so no path can block.
 * For the same reason redirects are followed here, not by curl (each new
 * host is resolved like the first), and the proxy comes from the
 * environment through http_proxy_for, decided here and told to curl, so the
 * name resolved is the name curl connects to.
 *
 * Transfers are admitted to curl per connection target (host:port, or the
 * proxy's): at most HTTP_HOST_TRANSFERS at once, as many as curl would open
 * connections to it, more (HTTP_HOST_STREAMS) once the target was seen to
 * speak HTTP/2 and can multiplex. The rest wait, in order, in a queue of our
 * own that holds no curl handle: an easy handle (with curl's 16 KiB receive
 * buffer) is taken when the call is admitted, from a small pool of reset
 * handles, and given back when it ends. So memory grows with the targets and
 * the caps, not with the requests asked for at once (1000 Prometheus queries
 * are 2000 requests per refresh to one host). Time spent queued is honest:
 * the total timeout counts from http_request, through the lookup, the queue
 * and the transfer; a call still queued at its deadline fails with curl's own
 * words ("Operation timed out after N milliseconds with 0 bytes received");
 * curl gets what is left of it when admitted. The connect timeout counts
 * from the admission, when the connection is tried, as it did when such a
 * call waited inside curl for a free connection. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "sitrep/io/http.h"
#include "sitrep/core/util.h"

struct http_sock {
	uv_poll_t poll; /* data = this */
	curl_socket_t fd;
	struct http *h;
	struct http_sock *next, *prev;
};

#define HTTP_MAX_REDIRECTS 3
#define HTTP_DNS_KEEP_MS   30000 /* how long a resolved name is reused */
#define HTTP_DNS_THREADS   8     /* lookups running at once per client */
#define HTTP_DNS_TICK_MS   100   /* how often waiting calls check their deadline */
#define HTTP_DNS_MAX_ADDRS 8
/* Transfers in curl at once per connection target: curl's connection cap per
 * host (CURLMOPT_MAX_HOST_CONNECTIONS); more would only wait inside curl, each
 * with its easy handle and buffers. */
#define HTTP_HOST_TRANSFERS 6
/* ... once the target answered over HTTP/2: streams multiplexed on its connections. */
#define HTTP_HOST_STREAMS 32
/* Idle easy handles kept for reuse (curl_easy_reset). */
#define HTTP_EASY_POOL 8

/* A connection target: its transfers in curl and the calls waiting for a turn. */
struct http_slot {
	char *key; /* "name:port", "s" appended for https */
	unsigned active, cap;
	struct http_call *head, *tail; /* the queue, oldest first */
	struct http_slot *next;
};

/* A name as the loop knows it: resolved (addrs), being resolved, or neither. */
struct http_host {
	char *name;  /* lowercase */
	char *addrs; /* "192.0.2.1,[2001:db8::1]" for CURLOPT_RESOLVE, or NULL */
	uint64_t expires;
	bool pending; /* a lookup is running or queued for it */
	bool queued;  /* waiting for a free lookup thread */
	bool failed;  /* the last lookup failed; told to the calls waiting then */
	int rc;       /* getaddrinfo's result of the last lookup */
	struct http_lookup *lookup;
	struct http_host *next;
};

/* One getaddrinfo on a detached thread. http_dns_lock guards h and the
 * client's done list, the only things both sides touch. */
struct http_lookup {
	struct http *h; /* NULL once the client is gone: the thread frees this */
	char *name;
	int rc;                    /* getaddrinfo's */
	char *addrs;               /* on success */
	struct http_lookup *next;  /* in h->done (under the lock) */
	struct http_lookup *inext; /* in h->inflight (loop only) */
};

static pthread_mutex_t http_dns_lock = PTHREAD_MUTEX_INITIALIZER;

/* A host curl will look up for a call. */
struct http_target {
	char *name;
	long port;
	struct http_host *host; /* NULL for literals and localhost */
	const char *addrs;      /* known now (literal, localhost) or from host */
	bool v6_literal;        /* cannot go into CURLOPT_RESOLVE; curl parses it without a lookup */
};

struct http_call {
	struct http *h;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *plain_headers; /* without the caller's: after a redirect to another host */
	struct curl_slist *resolve;
	char *url;    /* the current one (after redirects) */
	char *proxy;  /* NULL: none */
	char *origin; /* scheme://host:port of the first URL: credentials stay with it */
	struct http_target tgt[2];
	int ntgt;
	bool waiting; /* for a lookup */
	bool queued;  /* for a turn in its slot */
	bool in_multi;
	struct http_slot *slot;          /* set when first admitted */
	struct http_call *qnext, *qprev; /* in slot's queue */
	bool allow_v6_lookup;
	bool is_post;
	bool custom_method;
	int redirects;
	double seconds_before; /* time of the redirect legs so far */
	uint64_t started;      /* loop time, for the total timeout across legs */
	uint64_t dns_deadline;
	long timeout_ms;
	long connect_ms;
	/* The request, kept until the call gets its easy handle. */
	enum http_auth auth;
	char *user, *secret, *aws_sigv4, *method;
	bool insecure, head;
	size_t body_len;
	char *body_out; /* the request body we send (curl does not copy POSTFIELDS) */
	char *buf;      /* the response body */
	size_t len, cap, max;
	bool too_big;
	bool truncate;  /* req.truncate_body: too_big ends the body, not the request */
	bool certinfo;  /* req.certinfo: read the certificate's expiry */
	bool no_follow; /* req.no_follow: a 3xx is the answer */
	char *hdr;      /* the response's header block (the last one: after 1xx and redirects) */
	size_t hdr_len, hdr_cap;
	char *errbuf; /* CURL_ERROR_SIZE bytes, with the easy handle */
	http_done_cb cb;
	void *arg;
	bool linked;
	struct http_call *next, *prev;
};

/* A lookup asked for by another client (http_resolve). */
struct http_resolve {
	struct http *h;
	struct http_host *host;
	uint64_t deadline; /* loop time */
	http_resolve_cb cb;
	void *arg;
	struct http_resolve *next;
};

struct http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer; /* data = this; freeing h happens in its close callback */
	struct http_sock *socks;
	struct http_call *calls;
	size_t ncalls;
	struct http_resolve *resolves; /* http_resolve's, waiting */
	unsigned long connects;
	bool closing;
	struct http_host *hosts;
	uv_async_t dns_async;         /* data = this; a lookup finished */
	uv_timer_t dns_timer;         /* data = this; deadlines of waiting calls */
	struct http_lookup *done;     /* under http_dns_lock */
	struct http_lookup *inflight; /* loop only */
	int threads;
	struct http_slot *slots;
	uv_timer_t queue_timer; /* data = this; deadlines of queued calls */
	CURL *pool[HTTP_EASY_POOL];
	int npool;
	int pending_closes;
};

static void http_check_done(struct http *h);
static void http_dns_async_cb(uv_async_t *a);
static void http_dns_tick(uv_timer_t *t);
static void http_lookup_free(struct http_lookup *l);
static bool http_call_redirect(struct http_call *c);
static void http_call_go(struct http_call *c);
static int http_resolver_start(void *resolver, void *reserved, void *userp);
static void http_call_admit(struct http_call *c, bool first);
static void http_pump(struct http *h);
static void http_queue_tick(uv_timer_t *t);

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
	uv_async_init(loop, &h->dns_async, http_dns_async_cb);
	h->dns_async.data = h;
	uv_timer_init(loop, &h->dns_timer);
	h->dns_timer.data = h;
	uv_timer_init(loop, &h->queue_timer);
	h->queue_timer.data = h;
	/* The async handle alone must not keep a finished loop running. */
	uv_unref((uv_handle_t *)&h->dns_async);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	/* A few connections per host, reused: 200 queries must not mean 200 sockets. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HTTP_HOST_TRANSFERS);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
	return h;
}

static void http_call_leave_multi(struct http_call *c)
{
	if (c->in_multi) {
		if (c->h->multi != NULL)
			curl_multi_remove_handle(c->h->multi, c->easy);
		c->slot->active--;
	}
	c->in_multi = false;
}

static void http_call_dequeue(struct http_call *c)
{
	struct http_slot *s = c->slot;
	if (!c->queued)
		return;
	c->queued = false;
	if (c->qprev != NULL)
		c->qprev->qnext = c->qnext;
	else
		s->head = c->qnext;
	if (c->qnext != NULL)
		c->qnext->qprev = c->qprev;
	else
		s->tail = c->qprev;
	c->qnext = c->qprev = NULL;
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
	http_call_dequeue(c);
	http_call_leave_multi(c);
}

/* A secret's copy is wiped before its memory goes back. */
static void http_free_secret(char *p)
{
	if (p == NULL)
		return;
	for (volatile char *q = p; *q != '\0'; q++)
		*q = '\0';
	free(p);
}

/* Back to the pool, reset (no option, no credential left on it), or freed. */
static void http_easy_release(struct http *h, CURL *e)
{
	if (e == NULL)
		return;
	if (h->closing || h->npool >= HTTP_EASY_POOL) {
		curl_easy_cleanup(e);
		return;
	}
	curl_easy_reset(e);
	h->pool[h->npool++] = e;
}

static void http_call_free(struct http_call *c)
{
	http_call_unlink(c);
	http_easy_release(c->h, c->easy);
	free(c->errbuf);
	free(c->user);
	http_free_secret(c->secret);
	free(c->aws_sigv4);
	free(c->method);
	curl_slist_free_all(c->headers);
	curl_slist_free_all(c->plain_headers);
	curl_slist_free_all(c->resolve);
	for (int i = 0; i < c->ntgt; i++)
		free(c->tgt[i].name);
	free(c->url);
	free(c->proxy);
	free(c->origin);
	free(c->body_out);
	free(c->buf);
	free(c->hdr);
	free(c);
}

static void http_timer_closed(uv_handle_t *handle)
{
	struct http *h = handle->data;
	if (--h->pending_closes == 0)
		free(h);
}

void http_close(struct http *h)
{
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	while (h->calls != NULL)
		http_call_free(h->calls);
	while (h->resolves != NULL)
		http_resolve_cancel(h->resolves);
	while (h->npool > 0)
		curl_easy_cleanup(h->pool[--h->npool]);
	while (h->slots != NULL) {
		struct http_slot *next = h->slots->next;
		free(h->slots->key);
		free(h->slots);
		h->slots = next;
	}
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	/* Sockets curl did not hand back during cleanup are closed here. */
	while (h->socks != NULL)
		http_sock_release(h->socks);
	/* Lookups still running are left to their threads, which free them. */
	pthread_mutex_lock(&http_dns_lock);
	for (struct http_lookup *l = h->inflight; l != NULL; l = l->inext)
		l->h = NULL;
	struct http_lookup *done = h->done;
	h->done = NULL;
	pthread_mutex_unlock(&http_dns_lock);
	while (done != NULL) {
		struct http_lookup *next = done->next;
		http_lookup_free(done);
		done = next;
	}
	while (h->hosts != NULL) {
		struct http_host *next = h->hosts->next;
		free(h->hosts->name);
		free(h->hosts->addrs);
		free(h->hosts);
		h->hosts = next;
	}
	uv_timer_stop(&h->timer);
	uv_timer_stop(&h->dns_timer);
	uv_timer_stop(&h->queue_timer);
	h->pending_closes = 4;
	uv_close((uv_handle_t *)&h->timer, http_timer_closed);
	uv_close((uv_handle_t *)&h->dns_timer, http_timer_closed);
	uv_close((uv_handle_t *)&h->queue_timer, http_timer_closed);
	uv_close((uv_handle_t *)&h->dns_async, http_timer_closed);
}

static size_t http_write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct http_call *c = userp;
	size_t bytes = size * n;
	if (c->len + bytes > c->max) {
		c->too_big = true;
		if (c->truncate && c->len < c->max) {
			/* keep what fits, then stop: the caller asked for a prefix */
			size_t fit = c->max - c->len;
			if (c->len + fit + 1 > c->cap) {
				c->buf = xrealloc(c->buf, c->max + 1);
				c->cap = c->max + 1;
			}
			memcpy(c->buf + c->len, data, fit);
			c->len += fit;
			c->buf[c->len] = '\0';
		}
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
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

/* Keeps the header block of the final response: a status line starts a new
 * block (100 Continue, each redirect leg). */
static size_t http_header_cb(char *data, size_t size, size_t n, void *userp)
{
	struct http_call *c = userp;
	size_t bytes = size * n;
	if (bytes >= 5 && memcmp(data, "HTTP/", 5) == 0)
		c->hdr_len = 0;
	if (c->hdr_len + bytes + 1 > HTTP_MAX_HEADERS)
		return bytes; /* more headers than anyone needs: the rest is dropped */
	if (c->hdr_len + bytes + 1 > c->hdr_cap) {
		size_t cap = c->hdr_cap != 0 ? c->hdr_cap : 2048;
		while (cap < c->hdr_len + bytes + 1)
			cap *= 2;
		c->hdr = xrealloc(c->hdr, cap);
		c->hdr_cap = cap;
	}
	memcpy(c->hdr + c->hdr_len, data, bytes);
	c->hdr_len += bytes;
	c->hdr[c->hdr_len] = '\0';
	return bytes;
}

/* The leaf certificate's "Expire date" from curl's certinfo ("Jan  1 00:00:00
 * 2030 GMT", OpenSSL's words) as Unix time; 0 when absent or unreadable. */
static long http_cert_expiry(CURL *e)
{
	struct curl_certinfo *ci = NULL;
	if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (struct curl_slist *l = ci->certinfo[0]; l != NULL; l = l->next) {
		if (strncmp(l->data, "Expire date:", 12) != 0)
			continue;
		struct tm tm = {0};
		const char *v = l->data + 12;
		while (*v == ' ')
			v++;
		if (strptime(v, "%b %d %H:%M:%S %Y", &tm) == NULL)
			return 0;
		return (long)timegm(&tm);
	}
	return 0;
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
	resp.seconds = c->seconds_before + seconds;
	if (c->too_big && c->truncate && status > 0) {
		resp.status = status;
		resp.truncated = true;
	} else if (c->too_big || code == CURLE_FILESIZE_EXCEEDED) {
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
	resp.headers = c->hdr != NULL ? c->hdr : "";
	resp.headers_len = c->hdr_len;
	resp.final_url = c->url;
	resp.redirects = c->redirects;
	long os_errno = 0;
	curl_easy_getinfo(c->easy, CURLINFO_OS_ERRNO, &os_errno);
	resp.os_errno = (int)os_errno;
	if (c->certinfo && resp.error == NULL)
		resp.cert_expiry = http_cert_expiry(c->easy);
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
		long version = 0;
		/* An answer over HTTP/2: this target multiplexes, more may run at once. */
		if (curl_easy_getinfo(c->easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
		    version >= CURL_HTTP_VERSION_2_0 && c->slot->cap < HTTP_HOST_STREAMS)
			c->slot->cap = HTTP_HOST_STREAMS;
		http_call_leave_multi(c);
		if (code == CURLE_OK && http_call_redirect(c))
			continue;
		/* Unlinked before the callback, so it may start new requests or even
		 * close the client. */
		http_call_unlink(c);
		http_deliver(c, code);
		http_call_free(c);
	}
	http_pump(h);
}

/* ---- names: resolved off the loop (see the top of the file) ---- */

static void http_lookup_free(struct http_lookup *l)
{
	free(l->name);
	free(l->addrs);
	free(l);
}

/* The lookup thread: getaddrinfo, the addresses as CURLOPT_RESOLVE wants
 * them, and the result handed to the loop unless the client is gone. */
static void *http_lookup_thread(void *arg)
{
	struct http_lookup *l = arg;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	l->rc = getaddrinfo(l->name, NULL, &hints, &res);
	if (l->rc == 0) {
		char seen[HTTP_DNS_MAX_ADDRS][INET6_ADDRSTRLEN + 2];
		char out[HTTP_DNS_MAX_ADDRS * (INET6_ADDRSTRLEN + 3) + 1];
		int n = 0;
		size_t len = 0;
		out[0] = '\0';
		for (struct addrinfo *ai = res; ai != NULL && n < HTTP_DNS_MAX_ADDRS; ai = ai->ai_next) {
			char a[INET6_ADDRSTRLEN];
			const void *src = NULL;
			if (ai->ai_family == AF_INET)
				src = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
			else if (ai->ai_family == AF_INET6)
				src = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
			if (src == NULL || inet_ntop(ai->ai_family, src, a, sizeof(a)) == NULL)
				continue;
			char one[INET6_ADDRSTRLEN + 2];
			snprintf(one, sizeof(one), ai->ai_family == AF_INET6 ? "[%s]" : "%s", a);
			bool dup = false;
			for (int i = 0; i < n && !dup; i++)
				dup = strcmp(seen[i], one) == 0;
			if (dup)
				continue;
			memcpy(seen[n++], one, strlen(one) + 1);
			len +=
			    (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", len > 0 ? "," : "", one);
		}
		freeaddrinfo(res);
		if (n == 0)
			l->rc = EAI_NONAME;
		else
			l->addrs = xstrdup(out);
	}
	pthread_mutex_lock(&http_dns_lock);
	struct http *h = l->h;
	if (h != NULL) {
		l->next = h->done;
		h->done = l;
		uv_async_send(&h->dns_async);
	}
	pthread_mutex_unlock(&http_dns_lock);
	if (h == NULL)
		http_lookup_free(l);
	return NULL;
}

static struct http_host *http_host_get(struct http *h, const char *name)
{
	for (struct http_host *ho = h->hosts; ho != NULL; ho = ho->next)
		if (strcmp(ho->name, name) == 0)
			return ho;
	struct http_host *ho = xcalloc(1, sizeof(*ho));
	ho->name = xstrdup(name);
	ho->next = h->hosts;
	h->hosts = ho;
	return ho;
}

static bool http_host_ready(const struct http *h, const struct http_host *ho)
{
	return ho->addrs != NULL && ho->expires > uv_now(h->loop);
}

/* Starts a lookup for ho, or queues it while every lookup thread is busy
 * (a hung resolver holds its thread until getaddrinfo gives up). */
static void http_host_start(struct http *h, struct http_host *ho)
{
	ho->pending = true;
	ho->queued = h->threads >= HTTP_DNS_THREADS;
	if (ho->queued)
		return;
	struct http_lookup *l = xcalloc(1, sizeof(*l));
	l->h = h;
	l->name = xstrdup(ho->name);
	if (util_thread_detached(http_lookup_thread, l) != 0) {
		http_lookup_free(l);
		ho->pending = false;
		ho->failed = true;
		ho->rc = EAI_AGAIN;
		uv_timer_start(&h->dns_timer, http_dns_tick, 0, HTTP_DNS_TICK_MS);
		return;
	}
	h->threads++;
	ho->lookup = l;
	l->inext = h->inflight;
	h->inflight = l;
}

static void http_resolve_error(const struct http_host *ho, char *buf, size_t cap)
{
	if (ho->rc == EAI_NONAME
#ifdef EAI_NODATA
	    || ho->rc == EAI_NODATA
#endif
	)
		snprintf(buf, cap, "resolving host: no such host (%s)", ho->name);
	else if (ho->rc == EAI_AGAIN)
		snprintf(buf, cap, "resolving host: temporary failure, try again (%s)", ho->name);
	else
		snprintf(buf, cap, "resolving host: %s (%s)", gai_strerror(ho->rc), ho->name);
}

/* A failure found while resolving: reported like any other. */
static void http_call_fail(struct http_call *c, const char *msg)
{
	http_call_unlink(c);
	struct http_resp resp = {.error = msg, .body = ""};
	resp.seconds = c->seconds_before + (double)(uv_now(c->h->loop) - c->started) / 1000.0;
	c->cb(&resp, c->arg);
	http_call_free(c);
}

static void http_call_setup(struct http_call *c);

/* Every target known and a turn in its slot: give curl the addresses and
 * start the transfer. */
static void http_call_start(struct http_call *c)
{
	if (c->easy == NULL)
		http_call_setup(c);
	CURL *e = c->easy;
	c->waiting = false;
	curl_slist_free_all(c->resolve);
	c->resolve = NULL;
	c->allow_v6_lookup = false;
	for (int i = 0; i < c->ntgt; i++) {
		struct http_target *t = &c->tgt[i];
		if (t->v6_literal) {
			c->allow_v6_lookup = true;
			continue;
		}
		const char *addrs = t->host != NULL ? t->host->addrs : t->addrs;
		char *line = xasprintf("%s:%ld:%s", t->name, t->port, addrs);
		c->resolve = curl_slist_append(c->resolve, line);
		free(line);
	}
	curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
	/* The proxy decided in http_call_targets, and nothing left to curl. */
	curl_easy_setopt(e, CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	uint64_t spent = uv_now(c->h->loop) - c->started;
	long left = (uint64_t)c->timeout_ms > spent ? c->timeout_ms - (long)spent : 1;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	if (curl_multi_add_handle(c->h->multi, e) != CURLM_OK)
		abort();
	c->in_multi = true;
	c->slot->active++;
}

/* ---- the queue: a turn per connection target (see the top of the file) ---- */

static struct http_slot *http_slot_get(struct http *h, const struct http_call *c)
{
	char key[320];
	bool tls = strncmp(c->url, "https:", 6) == 0;
	if (c->ntgt > 0)
		snprintf(key, sizeof(key), "%s:%ld%s", c->tgt[0].name, c->tgt[0].port, tls ? "s" : "");
	else
		snprintf(key, sizeof(key), "%s", tls ? "s" : "");
	for (struct http_slot *s = h->slots; s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s;
	struct http_slot *s = xcalloc(1, sizeof(*s));
	s->key = xstrdup(key);
	s->cap = HTTP_HOST_TRANSFERS;
	s->next = h->slots;
	h->slots = s;
	return s;
}

static bool http_call_targets_ready(const struct http_call *c)
{
	for (int i = 0; i < c->ntgt; i++)
		if (c->tgt[i].host != NULL && !http_host_ready(c->h, c->tgt[i].host))
			return false;
	return true;
}

/* Starts the oldest queued calls of s while it has room. Never calls back. */
static void http_slot_pump(struct http_slot *s)
{
	while (s->head != NULL && s->active < s->cap) {
		struct http_call *c = s->head;
		http_call_dequeue(c);
		if (http_call_targets_ready(c))
			http_call_start(c);
		else
			http_call_go(c); /* its addresses expired while it waited */
	}
}

static void http_pump(struct http *h)
{
	if (h->closing)
		return;
	for (struct http_slot *s = h->slots; s != NULL; s = s->next)
		http_slot_pump(s);
}

/* Puts c in its slot's queue (first: at the head, a redirect's next leg)
 * and starts what has room. Never calls back. */
static void http_call_admit(struct http_call *c, bool first)
{
	struct http *h = c->h;
	c->waiting = false;
	c->slot = http_slot_get(h, c);
	struct http_slot *s = c->slot;
	c->queued = true;
	if (first) {
		c->qnext = s->head;
		c->qprev = NULL;
		if (s->head != NULL)
			s->head->qprev = c;
		else
			s->tail = c;
		s->head = c;
	} else {
		c->qprev = s->tail;
		c->qnext = NULL;
		if (s->tail != NULL)
			s->tail->qnext = c;
		else
			s->head = c;
		s->tail = c;
	}
	http_slot_pump(s);
	if (!c->queued)
		return;
	/* Still waiting: its deadline is watched by the queue timer. */
	uint64_t now = uv_now(h->loop);
	uint64_t end = c->started + (uint64_t)c->timeout_ms;
	uint64_t in = end > now ? end - now : 0;
	if (!uv_is_active((uv_handle_t *)&h->queue_timer) || uv_timer_get_due_in(&h->queue_timer) > in)
		uv_timer_start(&h->queue_timer, http_queue_tick, in, 0);
}

/* Fails the queued calls whose total timeout has passed, and waits for the
 * next deadline. A failure's callback may start or cancel calls, so the walk
 * starts over after each. */
static void http_queue_tick(uv_timer_t *t)
{
	struct http *h = t->data;
	uint64_t now, next;
again:
	now = uv_now(h->loop);
	next = UINT64_MAX;
	for (struct http_slot *s = h->slots; s != NULL; s = s->next) {
		for (struct http_call *c = s->head; c != NULL; c = c->qnext) {
			uint64_t end = c->started + (uint64_t)c->timeout_ms;
			if (now < end) {
				if (end < next)
					next = end;
				continue;
			}
			char msg[200];
			snprintf(
			    msg, sizeof(msg),
			    "timed out: Operation timed out after %llu milliseconds with 0 bytes received",
			    (unsigned long long)(now - c->started));
			http_call_fail(c, msg);
			if (h->closing)
				return;
			goto again;
		}
	}
	if (next != UINT64_MAX)
		uv_timer_start(&h->queue_timer, http_queue_tick, next - now, 0);
}

static void http_resolve_unlink(struct http_resolve *r)
{
	for (struct http_resolve **pp = &r->h->resolves; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

/* Moves every waiting call on: started when its names are known, failed
 * when a lookup failed or its deadline passed. A failure's callback may
 * start or cancel calls, so the walk starts over after each. */
static void http_dns_progress(struct http *h)
{
	uint64_t now = uv_now(h->loop);
	bool any;
again:
	any = false;
	for (struct http_call *c = h->calls; c != NULL; c = c->next) {
		if (!c->waiting)
			continue;
		char msg[300] = "";
		bool ready = true;
		for (int i = 0; i < c->ntgt && msg[0] == '\0'; i++) {
			struct http_host *ho = c->tgt[i].host;
			if (ho == NULL || http_host_ready(h, ho))
				continue;
			ready = false;
			if (ho->failed)
				http_resolve_error(ho, msg, sizeof(msg));
			else if (!ho->pending)
				http_host_start(h, ho);
			if (msg[0] == '\0' && now >= c->dns_deadline)
				snprintf(msg, sizeof(msg), "resolving host: timed out (%s)", ho->name);
		}
		if (msg[0] != '\0') {
			c->waiting = false;
			http_call_fail(c, msg);
			if (h->closing)
				return;
			goto again;
		}
		if (ready)
			http_call_admit(c, c->redirects > 0);
		else
			any = true;
	}
	/* The same for the lookups of other clients. */
	for (struct http_resolve *r = h->resolves; r != NULL; r = r->next) {
		struct http_host *ho = r->host;
		char msg[300] = "";
		if (!http_host_ready(h, ho)) {
			if (ho->failed)
				http_resolve_error(ho, msg, sizeof(msg));
			else if (!ho->pending)
				http_host_start(h, ho);
			if (msg[0] == '\0' && now >= r->deadline)
				snprintf(msg, sizeof(msg), "resolving host: timed out (%s)", ho->name);
			if (msg[0] == '\0') {
				any = true;
				continue;
			}
		}
		/* Unlinked before the callback, which may ask or cancel again. */
		http_resolve_unlink(r);
		http_resolve_cb cb = r->cb;
		void *arg = r->arg;
		const char *addrs = msg[0] == '\0' ? ho->addrs : NULL;
		char *copy = addrs != NULL ? xstrdup(addrs) : NULL;
		free(r);
		cb(copy, msg[0] != '\0' ? msg : NULL, arg);
		free(copy);
		if (h->closing)
			return;
		goto again;
	}
	/* A failure is told to the calls waiting now; the next request asks again. */
	for (struct http_host *ho = h->hosts; ho != NULL; ho = ho->next)
		ho->failed = false;
	if (!any)
		uv_timer_stop(&h->dns_timer);
}

static void http_dns_tick(uv_timer_t *t)
{
	http_dns_progress(t->data);
}

static void http_dns_async_cb(uv_async_t *a)
{
	struct http *h = a->data;
	pthread_mutex_lock(&http_dns_lock);
	struct http_lookup *done = h->done;
	h->done = NULL;
	pthread_mutex_unlock(&http_dns_lock);
	while (done != NULL) {
		struct http_lookup *l = done;
		done = l->next;
		for (struct http_lookup **pp = &h->inflight; *pp != NULL; pp = &(*pp)->inext)
			if (*pp == l) {
				*pp = l->inext;
				break;
			}
		h->threads--;
		for (struct http_host *ho = h->hosts; ho != NULL; ho = ho->next) {
			if (ho->lookup != l)
				continue;
			ho->lookup = NULL;
			ho->pending = false;
			free(ho->addrs);
			ho->addrs = l->addrs;
			l->addrs = NULL;
			ho->rc = l->rc;
			ho->failed = l->rc != 0;
			ho->expires = uv_now(h->loop) + HTTP_DNS_KEEP_MS;
		}
		http_lookup_free(l);
	}
	for (struct http_host *ho = h->hosts; ho != NULL && h->threads < HTTP_DNS_THREADS; ho = ho->next)
		if (ho->queued)
			http_host_start(h, ho);
	http_dns_progress(h);
}

static bool http_is_localhost(const char *name)
{
	size_t n = strlen(name);
	return strcmp(name, "localhost") == 0 || (n > 10 && strcmp(name + n - 10, ".localhost") == 0);
}

/* A host as the lookups and their cache know it: without an IPv6 literal's
 * brackets, lower case, without the root's trailing dot. Caller frees. */
static char *http_host_name(const char *host)
{
	size_t n = strlen(host);
	char *name = n > 2 && host[0] == '[' && host[n - 1] == ']' ? xstrndup(host + 1, n - 2) : xstrdup(host);
	n = strlen(name);
	for (char *p = name; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (n > 1 && name[n - 1] == '.')
		name[n - 1] = '\0';
	return name;
}

static void http_call_add_target(struct http_call *c, const char *host, long port)
{
	if (c->ntgt >= (int)ARRAY_LEN(c->tgt) || host == NULL || host[0] == '\0')
		return;
	struct http_target *t = &c->tgt[c->ntgt++];
	memset(t, 0, sizeof(*t));
	t->name = http_host_name(host);
	t->port = port;
	unsigned char addr[16];
	if (inet_pton(AF_INET, t->name, addr) == 1)
		t->addrs = t->name;
	else if (strchr(t->name, ':') != NULL)
		t->v6_literal = true; /* curl reads it without a lookup */
	else if (http_is_localhost(t->name))
		t->addrs = "127.0.0.1,[::1]";
	else
		t->host = http_host_get(c->h, t->name);
}

/* no_proxy as curl reads it: "*", or names matching themselves and their
 * subdomains, or addresses (IPv4 with a /prefix). */
static bool http_noproxy_match(const char *list, const char *host)
{
	char *copy = xstrdup(list);
	bool match = false;
	size_t hl = strlen(host);
	for (char *save = NULL, *tok = strtok_r(copy, ", \t", &save); tok != NULL && !match;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(tok, "*") == 0) {
			match = true;
			break;
		}
		if (tok[0] == '.')
			tok++;
		size_t tl = strlen(tok);
		if (tl > 2 && tok[0] == '[' && tok[tl - 1] == ']') {
			tok[tl - 1] = '\0';
			tok++;
			tl -= 2;
		}
		char *slash = strchr(tok, '/');
		struct in_addr net, ip;
		if (slash != NULL) {
			*slash = '\0';
			long bits = strtol(slash + 1, NULL, 10);
			if (bits >= 0 && bits <= 32 && inet_pton(AF_INET, tok, &net) == 1 &&
			    inet_pton(AF_INET, host, &ip) == 1) {
				uint32_t mask = bits == 0 ? 0 : htonl(0xffffffffu << (32 - bits));
				match = (net.s_addr & mask) == (ip.s_addr & mask);
			}
			continue;
		}
		if (tl == 0 || tl > hl)
			continue;
		match = strcasecmp(host + hl - tl, tok) == 0 && (hl == tl || host[hl - tl - 1] == '.');
	}
	free(copy);
	return match;
}

static const char *http_env(const char *lower, const char *upper)
{
	const char *v = lower != NULL ? getenv(lower) : NULL;
	if ((v == NULL || v[0] == '\0') && upper != NULL)
		v = getenv(upper);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The proxy curl would take from the environment for this URL, or NULL.
 * http_proxy is read in lower case only, as curl does (HTTP_PROXY can be
 * set by a CGI request header). */
static char *http_proxy_for(const char *scheme, const char *host)
{
	const char *p = strcasecmp(scheme, "https") == 0 ? http_env("https_proxy", "HTTPS_PROXY")
	                                                 : http_env("http_proxy", NULL);
	if (p == NULL)
		p = http_env("all_proxy", "ALL_PROXY");
	if (p == NULL)
		return NULL;
	const char *np = http_env("no_proxy", "NO_PROXY");
	if (np != NULL && http_noproxy_match(np, host))
		return NULL;
	return xstrdup(p);
}

/* The names curl will look up for c->url: the URL's host, or the proxy's
 * (and the URL's as well behind a SOCKS proxy that resolves locally). */
static void http_call_targets(struct http_call *c)
{
	for (int i = 0; i < c->ntgt; i++)
		free(c->tgt[i].name);
	c->ntgt = 0;
	free(c->proxy);
	c->proxy = NULL;
	unsigned host_flags = 0;
#ifdef CURLU_PUNYCODE
	host_flags = CURLU_PUNYCODE;
#endif
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	if (curl_url_set(u, CURLUPART_URL, c->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, host_flags) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		char bare[300];
		size_t n = strlen(host);
		snprintf(bare, sizeof(bare), "%.*s", (int)(host[0] == '[' && n > 2 ? n - 2 : n),
		         host[0] == '[' && n > 2 ? host + 1 : host);
		c->proxy = http_proxy_for(scheme, bare);
		bool target = true;
		if (c->proxy != NULL) {
			CURLU *pu = curl_url();
			char *ps = NULL, *ph = NULL, *pp = NULL;
			if (curl_url_set(pu, CURLUPART_URL, c->proxy,
			                 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
			    curl_url_get(pu, CURLUPART_SCHEME, &ps, 0) == CURLUE_OK &&
			    curl_url_get(pu, CURLUPART_HOST, &ph, 0) == CURLUE_OK) {
				/* curl's default proxy port is 1080, 443 for an HTTPS proxy. */
				long pport = strcasecmp(ps, "https") == 0 ? 443 : 1080;
				if (curl_url_get(pu, CURLUPART_PORT, &pp, 0) == CURLUE_OK)
					pport = strtol(pp, NULL, 10);
				http_call_add_target(c, ph, pport);
				target = strcasecmp(ps, "socks4") == 0 || strcasecmp(ps, "socks5") == 0;
			}
			curl_free(ps);
			curl_free(ph);
			curl_free(pp);
			curl_url_cleanup(pu);
		}
		if (target)
			http_call_add_target(c, host, strtol(port, NULL, 10));
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* Resolves what c->url needs, then starts it; never calls back from here. */
static void http_call_go(struct http_call *c)
{
	struct http *h = c->h;
	http_call_targets(c);
	bool ready = true;
	for (int i = 0; i < c->ntgt; i++) {
		struct http_host *ho = c->tgt[i].host;
		if (ho == NULL || http_host_ready(h, ho))
			continue;
		ready = false;
		if (!ho->pending)
			http_host_start(h, ho);
	}
	if (ready) {
		http_call_admit(c, c->redirects > 0);
		return;
	}
	/* The lookup counts against the connect timeout, and the whole against the total. */
	uint64_t now = uv_now(h->loop);
	uint64_t end = c->started + (uint64_t)c->timeout_ms;
	c->dns_deadline = now + (uint64_t)c->connect_ms;
	if (c->dns_deadline > end)
		c->dns_deadline = end > now ? end : now;
	c->waiting = true;
	if (!uv_is_active((uv_handle_t *)&h->dns_timer))
		uv_timer_start(&h->dns_timer, http_dns_tick, HTTP_DNS_TICK_MS, HTTP_DNS_TICK_MS);
}

/* curl wants to look a name up itself: only IP literals it parses in place
 * are let through; everything else was resolved ahead or is refused. */
static int http_resolver_start(void *resolver, void *reserved, void *userp)
{
	(void)resolver;
	(void)reserved;
	const struct http_call *c = userp;
	return c->allow_v6_lookup ? 0 : 1;
}

/* "scheme://host:port" of a URL, to tell whether a redirect leaves the
 * origin the credentials were meant for. Caller frees. */
static char *http_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		out = xasprintf("%s://%s:%s", scheme, host, port);
		for (char *p = out; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out != NULL ? out : xstrdup("");
}

/* A 3xx with a Location: follow it as curl would have (at most
 * HTTP_MAX_REDIRECTS, http and https only, POST becomes GET on 301/302/303,
 * credentials and the caller's headers dropped when the origin changes).
 * True when the call was taken care of (followed, or failed and reported). */
static bool http_call_redirect(struct http_call *c)
{
	if (c->no_follow)
		return false; /* the caller wants the 3xx itself */
	long status = 0;
	char *loc = NULL;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
		return false;
	if (curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL)
		return false;
	long connects = 0;
	double secs = 0;
	curl_easy_getinfo(c->easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &secs);
	c->h->connects += (unsigned long)connects;
	c->seconds_before += secs;
	char msg[300];
	if (c->redirects >= HTTP_MAX_REDIRECTS) {
		snprintf(msg, sizeof(msg), "Maximum (%d) redirects followed", HTTP_MAX_REDIRECTS);
		http_call_fail(c, msg);
		return true;
	}
	char *next = xstrdup(loc);
	char *origin = http_origin(next);
	if (strncmp(origin, "http://", 7) != 0 && strncmp(origin, "https://", 8) != 0) {
		const char *colon = strchr(next, ':');
		snprintf(msg, sizeof(msg), "redirect to a \"%.*s\" URL refused",
		         colon != NULL && colon - next < 20 ? (int)(colon - next) : 0, next);
		free(next);
		free(origin);
		http_call_fail(c, msg);
		return true;
	}
	if (c->origin == NULL)
		c->origin = http_origin(c->url);
	CURL *e = c->easy;
	if (strcmp(origin, c->origin) != 0) {
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, NULL);
		curl_easy_setopt(e, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(e, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->plain_headers);
	}
	free(origin);
	if (((status == 301 || status == 302) && c->is_post) ||
	    (status == 303 && (c->is_post || c->custom_method))) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		c->is_post = c->custom_method = false;
	}
	c->redirects++;
	c->len = 0;
	if (c->buf != NULL)
		c->buf[0] = '\0';
	c->too_big = false;
	c->errbuf[0] = '\0';
	free(c->url);
	c->url = next;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(c->url, "https:", 6) == 0 ? 1L : 0L);
	http_call_go(c);
	return true;
}

/* The call's easy handle, from the pool or new, with every option of the
 * request: taken only when the call is admitted (http_call_start). */
static void http_call_setup(struct http_call *c)
{
	struct http *h = c->h;
	c->easy = h->npool > 0 ? h->pool[--h->npool] : curl_easy_init();
	if (c->easy == NULL)
		abort();
	CURL *e = c->easy;
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_RESOLVER_START_FUNCTION, http_resolver_start);
	curl_easy_setopt(e, CURLOPT_RESOLVER_START_DATA, c);
	c->errbuf = xcalloc(1, CURL_ERROR_SIZE);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	/* A dripping server: under 64 bytes/s for 5 s is a failure. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 64L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 5L);
	if (!c->truncate) /* a prefix is wanted even of a body announced bigger */
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max);
	/* Redirects are ours (http_call_redirect): each new host is resolved
	 * off the loop like the first. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
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
	if (strncmp(c->url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT,
	                 "sitrep/"
	                 "0.1");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
	/* Credentials are never forwarded to another host on redirect (curl's
	 * default; stated here because it matters). */
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	if (c->auth == HTTP_AUTH_BEARER && c->secret != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, c->secret);
	} else if (c->auth == HTTP_AUTH_BASIC) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user != NULL ? c->user : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret != NULL ? c->secret : "");
	}
#if LIBCURL_VERSION_NUM >= 0x074b00
	if (c->aws_sigv4 != NULL) {
		/* the access key id and the secret key sign the request; neither is sent */
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->aws_sigv4);
		curl_easy_setopt(e, CURLOPT_USERNAME, c->user != NULL ? c->user : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret != NULL ? c->secret : "");
	}
#endif
	if (c->head)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (c->certinfo) {
		/* a reused connection carries no certificate: take a fresh one */
		curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	}
	if (c->body_out != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body_out);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	if (c->custom_method)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	/* The secret now lives in curl's copy only. */
	http_free_secret(c->secret);
	c->secret = NULL;
}

struct http_call *http_request(struct http *h, const struct http_req *req, http_done_cb cb, void *arg)
{
	struct http_call *c = xcalloc(1, sizeof(*c));
	c->h = h;
	c->cb = cb;
	c->arg = arg;
	c->max = req->max_body != 0 ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	c->url = xstrdup(req->url);
	c->started = uv_now(h->loop);
	c->truncate = req->truncate_body;
	c->no_follow = req->no_follow;
	c->connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : (long)HTTP_DEFAULT_CONNECT_MS;
	c->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : (long)HTTP_DEFAULT_TIMEOUT_MS;
	c->insecure = req->insecure;
	c->head = req->head;
	if (req->auth == HTTP_AUTH_BEARER && req->secret != NULL) {
		c->auth = HTTP_AUTH_BEARER;
		c->secret = xstrdup(req->secret);
	} else if (req->auth == HTTP_AUTH_BASIC) {
		c->auth = HTTP_AUTH_BASIC;
		c->user = req->user != NULL ? xstrdup(req->user) : NULL;
		c->secret = req->secret != NULL ? xstrdup(req->secret) : NULL;
	}
#if LIBCURL_VERSION_NUM >= 0x074b00
	if (req->aws_sigv4 != NULL) {
		c->aws_sigv4 = xstrdup(req->aws_sigv4);
		free(c->user);
		http_free_secret(c->secret);
		c->user = req->user != NULL ? xstrdup(req->user) : NULL;
		c->secret = req->secret != NULL ? xstrdup(req->secret) : NULL;
	}
#endif
	c->certinfo = req->certinfo && strncmp(req->url, "https:", 6) == 0;
	for (const char *const *hd = req->headers; hd != NULL && *hd != NULL; hd++)
		c->headers = curl_slist_append(c->headers, *hd);
	if (req->body != NULL) {
		char ct[200];
		snprintf(ct, sizeof(ct), "Content-Type: %s",
		         req->content_type != NULL ? req->content_type : "application/x-www-form-urlencoded");
		c->headers = curl_slist_append(c->headers, ct);
		c->plain_headers = curl_slist_append(c->plain_headers, ct);
		c->is_post = true;
		c->body_out = xmalloc(req->body_len + 1);
		memcpy(c->body_out, req->body, req->body_len);
		c->body_out[req->body_len] = '\0';
		c->body_len = req->body_len;
	}
	if (req->method != NULL && strcmp(req->method, req->body != NULL ? "POST" : "GET") != 0) {
		c->method = xstrdup(req->method);
		c->custom_method = true;
		c->is_post = false;
	}

	c->next = h->calls;
	if (h->calls != NULL)
		h->calls->prev = c;
	h->calls = c;
	h->ncalls++;
	c->linked = true;
	http_call_go(c);
	return c;
}

void http_cancel(struct http_call *call)
{
	if (call == NULL)
		return;
	struct http *h = call->h;
	http_call_free(call);
	http_pump(h); /* its turn goes to the next one waiting */
}

struct http_resolve *http_resolve(struct http *h, const char *name, unsigned timeout_ms, http_resolve_cb cb,
                                  void *arg)
{
	char *key = http_host_name(name);
	struct http_resolve *r = xcalloc(1, sizeof(*r));
	r->h = h;
	r->host = http_host_get(h, key);
	free(key);
	r->deadline = uv_now(h->loop) + timeout_ms;
	r->cb = cb;
	r->arg = arg;
	r->next = h->resolves;
	h->resolves = r;
	if (!http_host_ready(h, r->host) && !r->host->pending)
		http_host_start(h, r->host);
	/* The answer (also one already known) comes from the timer, never
	 * from inside this call. */
	uv_timer_start(&h->dns_timer, http_dns_tick, 0, HTTP_DNS_TICK_MS);
	return r;
}

void http_resolve_cancel(struct http_resolve *r)
{
	if (r == NULL)
		return;
	http_resolve_unlink(r);
	free(r);
}

unsigned long http_connections_opened(const struct http *h)
{
	return h->connects;
}

size_t http_active(const struct http *h)
{
	return h->ncalls;
}

char *http_resp_header(const struct http_resp *resp, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = resp->headers, *end = resp->headers + resp->headers_len;
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol != NULL ? eol : end;
		if ((size_t)(line_end - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			while (v < line_end && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = line_end;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			return xstrndup(v, (size_t)(ve - v));
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
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
