/* Unit tests of core/io/http.c against a small HTTP server running on the same
 * libuv loop (127.0.0.1, a free port): answers, keep-alive reuse, the body
 * cap, timeouts, redirect limits, cancellation, credentials kept out of error
 * text, and a hung request not delaying another one. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "sitrep/io/http.h"
#include "sitrep/core/util.h"

/* ---- the test server ---- */

static char last_method[16];

struct conn {
	uv_tcp_t tcp;
	char buf[65536];
	size_t len;
};

static uv_loop_t loop;
static uv_tcp_t server;
static int port;
static char last_auth[256];
static int accepted;

static void conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void write_done(uv_write_t *w, int status)
{
	free(w->data);
	free(w);
}

static void conn_send(struct conn *c, const char *data, size_t len)
{
	uv_write_t *w = xmalloc(sizeof(*w));
	char *copy = xmalloc(len);
	memcpy(copy, data, len);
	w->data = copy;
	uv_buf_t b = uv_buf_init(copy, (unsigned)len);
	uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, write_done);
}

static void conn_reply(struct conn *c, int code, const char *extra, const char *body)
{
	char head[1024];
	/* One write: head and body in two would meet Nagle and delayed ACKs (40 ms each). */
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%sConnection: keep-alive\r\n\r\n%s", code,
	                 strlen(body), extra,
	                 strcmp(last_method, "HEAD") != 0 ? body : ""); /* a HEAD answer has no body */
	conn_send(c, head, (size_t)n);
}

static void conn_request(struct conn *c, const char *req)
{
	char path[256] = "";
	sscanf(req, "%*s %255s", path);
	const char *auth = strstr(req, "Authorization: ");
	last_auth[0] = '\0';
	if (auth != NULL)
		sscanf(auth + 15, "%255[^\r]", last_auth);
	snprintf(last_method, sizeof(last_method), "%.*s", (int)strcspn(req, " "), req);
	if (strcmp(path, "/ok") == 0) {
		conn_reply(c, 200, "", "hello");
	} else if (strcmp(path, "/etag") == 0) {
		conn_reply(c, 200, "ETag: \"a1\"\r\nAge: 7214\r\nX-Cache: HIT, MISS\r\n", "hello");
	} else if (strcmp(path, "/moved") == 0) {
		conn_reply(c, 302, "ETag: \"old\"\r\nLocation: /etag\r\n", "");
	} else if (strcmp(path, "/fail") == 0) {
		conn_reply(c, 503, "", "down");
	} else if (strcmp(path, "/big") == 0) {
		/* 4 MiB without Content-Length: a close-delimited body, so only
		 * the write callback can stop it. */
		static const char head[] = "HTTP/1.1 200 X\r\nConnection: close\r\n\r\n";
		conn_send(c, head, strlen(head));
		static char chunk[65536];
		memset(chunk, 'x', sizeof(chunk));
		for (int i = 0; i < 64; i++)
			conn_send(c, chunk, sizeof(chunk));
	} else if (strcmp(path, "/loop") == 0) {
		conn_reply(c, 302, "Location: /loop\r\n", "");
	} else if (strcmp(path, "/tolocal") == 0) {
		char loc[128];
		snprintf(loc, sizeof(loc), "Location: http://localhost:%d/ok\r\n", port);
		conn_reply(c, 302, loc, "");
	} else if (strcmp(path, "/ftp") == 0) {
		conn_reply(c, 302, "Location: ftp://127.0.0.1/x\r\n", "");
	} else if (strcmp(path, "/hang") == 0) {
		/* no answer */
	} else {
		conn_reply(c, 404, "", "no");
	}
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len - 1));
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	if (n < 0) {
		uv_close((uv_handle_t *)s, conn_closed);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	char *end;
	while ((end = strstr(c->buf, "\r\n\r\n")) != NULL) {
		*end = '\0';
		conn_request(c, c->buf);
		size_t used = (size_t)(end + 4 - c->buf);
		memmove(c->buf, end + 4, c->len - used + 1);
		c->len -= used;
	}
}

static void server_conn(uv_stream_t *srv, int status)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	uv_tcp_init(&loop, &c->tcp);
	c->tcp.data = c;
	accepted++;
	uv_accept(srv, (uv_stream_t *)&c->tcp);
	uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
}

static int setup(void **state)
{
	uv_loop_init(&loop);
	uv_tcp_init(&loop, &server);
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	uv_listen((uv_stream_t *)&server, 128, server_conn);
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	accepted = 0;
	return 0;
}

/* Only the test server's handles: a test that failed before closing its
 * client leaves the client's handles, which are not the server's to free. */
static void close_any(uv_handle_t *h, void *arg)
{
	if (uv_is_closing(h))
		return;
	if (h == (uv_handle_t *)&server)
		uv_close(h, NULL);
	else if (h->type == UV_TCP)
		uv_close(h, conn_closed);
	else
		uv_close(h, NULL);
}

static int teardown(void **state)
{
	uv_walk(&loop, close_any, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

/* ---- helpers ---- */

struct result {
	char headers[1024];
	char final_url[256];
	int redirects;
	bool truncated;
	bool done;
	long status;
	char body[64];
	size_t len;
	char error[512];
	uint64_t at;
};

static void on_done(const struct http_resp *r, void *arg)
{
	struct result *res = arg;
	res->done = true;
	res->status = r->status;
	res->len = r->len;
	snprintf(res->body, sizeof(res->body), "%s", r->body);
	snprintf(res->error, sizeof(res->error), "%s", r->error != NULL ? r->error : "");
	snprintf(res->headers, sizeof(res->headers), "%s", r->headers);
	snprintf(res->final_url, sizeof(res->final_url), "%s", r->final_url != NULL ? r->final_url : "");
	res->redirects = r->redirects;
	res->truncated = r->truncated;
	res->at = uv_now(&loop);
}

static char *url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", port, path);
}

static void run_until(struct result *r, size_t n)
{
	for (;;) {
		size_t done = 0;
		for (size_t i = 0; i < n; i++)
			done += r[i].done;
		if (done == n)
			return;
		uv_run(&loop, UV_RUN_ONCE);
	}
}

static struct result get(struct http *h, const char *path, long timeout_ms, size_t max)
{
	struct result r = {0};
	char *u = url(path);
	struct http_req req = {.url = u, .timeout_ms = timeout_ms, .max_body = max};
	http_request(h, &req, on_done, &r);
	free(u);
	run_until(&r, 1);
	return r;
}

static void finish(struct http *h)
{
	http_close(h);
}

/* ---- tests ---- */

static void test_ok_and_status(void **state)
{
	struct http *h = http_new(&loop);
	struct result r = get(h, "/ok", 0, 0);
	assert_string_equal(r.error, "");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello");
	r = get(h, "/fail", 0, 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "down");
	finish(h);
}

static void test_reuse_one_connection(void **state)
{
	struct http *h = http_new(&loop);
	for (int i = 0; i < 20; i++) {
		struct result r = get(h, "/ok", 0, 0);
		assert_int_equal(r.status, 200);
	}
	assert_int_equal(http_connections_opened(h), 1);
	assert_int_equal(accepted, 1);
	finish(h);
}

static void test_parallel_capped_connections(void **state)
{
	struct http *h = http_new(&loop);
	struct result r[50] = {0};
	char *u = url("/ok");
	for (int i = 0; i < 50; i++) {
		struct http_req req = {.url = u};
		http_request(h, &req, on_done, &r[i]);
	}
	free(u);
	run_until(r, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(r[i].status, 200);
	assert_true(http_connections_opened(h) <= 6);
	finish(h);
}

static void test_body_cap(void **state)
{
	struct http *h = http_new(&loop);
	struct result r = get(h, "/big", 0, 1 << 20);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "larger than"));
	assert_true(r.len <= (1u << 20));
	finish(h);
}

/* The final response's header block reaches the caller (after a redirect:
 * the last leg's only); HEAD sends HEAD; truncate_body keeps a prefix. */
static void test_headers_head_truncate(void **state)
{
	struct http *h = http_new(&loop);
	struct result r = get(h, "/moved", 0, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "ETag: \"a1\""));
	assert_non_null(strstr(r.headers, "Age: 7214"));
	assert_null(strstr(r.headers, "old"));
	assert_true(strncmp(r.headers, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(r.final_url, "/etag"));
	assert_int_equal(r.redirects, 1);

	struct result nf = {0};
	char *mu = url("/moved");
	struct http_req stay = {.url = mu, .no_follow = true};
	http_request(h, &stay, on_done, &nf);
	run_until(&nf, 1);
	free(mu);
	assert_int_equal(nf.status, 302);
	assert_non_null(strstr(nf.headers, "Location: /etag"));
	assert_int_equal(nf.redirects, 0);

	struct result hr = {0};
	char *u = url("/etag");
	struct http_req req = {.url = u, .head = true};
	http_request(h, &req, on_done, &hr);
	run_until(&hr, 1);
	assert_string_equal(last_method, "HEAD");
	assert_int_equal(hr.status, 200);
	assert_int_equal(hr.len, 0);
	assert_non_null(strstr(hr.headers, "X-Cache: HIT, MISS"));
	free(u);

	struct result tr = {0};
	u = url("/big");
	struct http_req big = {.url = u, .max_body = 1000, .truncate_body = true};
	http_request(h, &big, on_done, &tr);
	run_until(&tr, 1);
	assert_string_equal(tr.error, "");
	assert_int_equal(tr.status, 200);
	assert_true(tr.truncated);
	assert_int_equal(tr.len, 1000);
	free(u);
	finish(h);
}

static void test_total_timeout(void **state)
{
	struct http *h = http_new(&loop);
	uint64_t t0 = uv_now(&loop);
	struct result r = get(h, "/hang", 300, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "timed out"));
	assert_true(r.at - t0 >= 250 && r.at - t0 < 2000);
	finish(h);
}

static void test_hung_does_not_delay_other(void **state)
{
	struct http *h = http_new(&loop);
	struct result r[2] = {0};
	char *hang = url("/hang"), *ok = url("/ok");
	struct http_req rh = {.url = hang, .timeout_ms = 1500};
	struct http_req ro = {.url = ok};
	uint64_t t0 = uv_now(&loop);
	http_request(h, &rh, on_done, &r[0]);
	http_request(h, &ro, on_done, &r[1]);
	free(hang);
	free(ok);
	run_until(&r[1], 1);
	assert_int_equal(r[1].status, 200);
	assert_false(r[0].done);
	assert_true(r[1].at - t0 < 500);
	run_until(r, 2);
	assert_non_null(strstr(r[0].error, "timed out"));
	finish(h);
}

static void test_redirect_limits(void **state)
{
	struct http *h = http_new(&loop);
	struct result r = get(h, "/loop", 0, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "redirects"));
	r = get(h, "/ftp", 0, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "ftp"));
	finish(h);
}

/* "localhost" needs no lookup; a redirect to another origin is followed
 * (resolved like the first host) without the credentials. */
/* http_resolve, for other clients (libpq): the answer comes from the loop,
 * never from inside the call; a name the cache knows is still answered
 * later; a cancelled lookup is never called back, also when the client
 * closes with one waiting. */
struct resolved {
	int calls;
	char addrs[200];
	char err[200];
};

static void on_resolved(const char *addrs, const char *err, void *arg)
{
	struct resolved *r = arg;
	r->calls++;
	snprintf(r->addrs, sizeof(r->addrs), "%s", addrs != NULL ? addrs : "");
	snprintf(r->err, sizeof(r->err), "%s", err != NULL ? err : "");
}

static void test_resolve_for_others(void **state)
{
	struct http *h = http_new(&loop);
	struct resolved a = {0}, b = {0}, c = {0};
	http_resolve(h, "LocalHost", 3000, on_resolved, &a);
	assert_int_equal(a.calls, 0);
	/* UV_RUN_ONCE would block in poll after running the timer that answers */
	for (int i = 0; i < 300 && a.calls == 0; i++)
		uv_run(&loop, UV_RUN_NOWAIT), uv_sleep(10);
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.err, "");
	assert_true(strstr(a.addrs, "127.0.0.1") != NULL || strstr(a.addrs, "[::1]") != NULL);
	/* known now: still not from inside the call */
	http_resolve(h, "localhost", 3000, on_resolved, &b);
	assert_int_equal(b.calls, 0);
	struct http_resolve *gone = http_resolve(h, "localhost", 3000, on_resolved, &c);
	http_resolve_cancel(gone);
	for (int i = 0; i < 300 && b.calls == 0; i++)
		uv_run(&loop, UV_RUN_NOWAIT), uv_sleep(10);
	assert_int_equal(b.calls, 1);
	assert_string_equal(b.addrs, a.addrs);
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(c.calls, 0);
	assert_int_equal(a.calls, 1);
	/* waiting when the client closes: no callback */
	http_resolve(h, "localhost", 3000, on_resolved, &c);
	finish(h);
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(c.calls, 0);
}

static void test_localhost_and_redirect_origin(void **state)
{
	struct http *h = http_new(&loop);
	char *u = xasprintf("http://localhost:%d/ok", port);
	struct result r = {0};
	struct http_req req = {.url = u};
	http_request(h, &req, on_done, &r);
	run_until(&r, 1);
	assert_int_equal(r.status, 200);
	free(u);
	struct result r2 = {0};
	char *u2 = url("/tolocal");
	struct http_req req2 = {.url = u2, .auth = HTTP_AUTH_BEARER, .secret = "tok-redirect"};
	http_request(h, &req2, on_done, &r2);
	run_until(&r2, 1);
	assert_int_equal(r2.status, 200);
	assert_string_equal(last_auth, "");
	free(u2);
	finish(h);
}

static void test_refused_and_secret_not_in_error(void **state)
{
	struct http *h = http_new(&loop);
	/* A port nobody listens on: bind, note it, close. */
	uv_tcp_t tmp;
	uv_tcp_init(&loop, &tmp);
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_bind(&tmp, (const struct sockaddr *)&addr, 0);
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_tcp_getsockname(&tmp, (struct sockaddr *)&ss, &len);
	int dead = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	uv_close((uv_handle_t *)&tmp, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	char *u = xasprintf("http://127.0.0.1:%d/x", dead);
	struct result r = {0};
	struct http_req req = {.url = u, .auth = HTTP_AUTH_BEARER, .secret = "s3cr3t-token"};
	http_request(h, &req, on_done, &r);
	free(u);
	run_until(&r, 1);
	assert_int_equal(r.status, 0);
	assert_true(r.error[0] != '\0');
	assert_null(strstr(r.error, "s3cr3t"));
	finish(h);
}

static void test_bearer_sent(void **state)
{
	struct http *h = http_new(&loop);
	char *u = url("/ok");
	struct result r = {0};
	struct http_req req = {.url = u, .auth = HTTP_AUTH_BEARER, .secret = "tok-123"};
	http_request(h, &req, on_done, &r);
	free(u);
	run_until(&r, 1);
	assert_string_equal(last_auth, "Bearer tok-123");
	finish(h);
}

static void never(const struct http_resp *r, void *arg)
{
	fail_msg("a cancelled request called back");
}

static void test_cancel_and_close_in_flight(void **state)
{
	struct http *h = http_new(&loop);
	char *u = url("/hang");
	struct http_req req = {.url = u, .timeout_ms = 500};
	struct http_call *c = http_request(h, &req, never, NULL);
	http_request(h, &req, never, NULL); /* left in flight for http_close */
	free(u);
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	http_cancel(c);
	assert_int_equal(http_active(h), 1);
	finish(h); /* frees the other one without calling back */
}

/* Six hung transfers fill the host's turns: a seventh waits in the queue, and
 * its own total timeout still holds there (counted from http_request), with
 * curl's words; nobody opens a seventh connection. */
static void test_queued_timeout_is_honest(void **state)
{
	struct http *h = http_new(&loop);
	struct result r[7] = {0};
	char *hang = url("/hang"), *ok = url("/ok");
	struct http_req rh = {.url = hang, .timeout_ms = 2000};
	struct http_req ro = {.url = ok, .timeout_ms = 300};
	uint64_t t0 = uv_now(&loop);
	for (int i = 0; i < 6; i++)
		http_request(h, &rh, on_done, &r[i]);
	http_request(h, &ro, on_done, &r[6]);
	free(hang);
	free(ok);
	assert_int_equal(http_active(h), 7);
	run_until(&r[6], 1);
	assert_int_equal(r[6].status, 0);
	assert_non_null(strstr(r[6].error, "timed out: Operation timed out after"));
	assert_non_null(strstr(r[6].error, "with 0 bytes received"));
	assert_true(r[6].at - t0 >= 290 && r[6].at - t0 < 1000);
	for (int i = 0; i < 6; i++)
		assert_false(r[i].done);
	assert_int_equal(accepted, 6);
	run_until(r, 6);
	for (int i = 0; i < 6; i++)
		assert_non_null(strstr(r[i].error, "timed out"));
	finish(h);
}

/* A queued call can be cancelled (never called back); a cancelled transfer
 * gives its turn to the oldest waiting call, which then gets its answer. */
static void test_queue_cancel_and_turns(void **state)
{
	struct http *h = http_new(&loop);
	struct result r[8] = {0};
	struct http_call *calls[6];
	char *hang = url("/hang"), *ok = url("/ok");
	struct http_req rh = {.url = hang, .timeout_ms = 3000};
	struct http_req ro = {.url = ok};
	for (int i = 0; i < 6; i++)
		calls[i] = http_request(h, &rh, on_done, &r[i]);
	struct http_call *queued = http_request(h, &ro, never, NULL);
	http_request(h, &ro, on_done, &r[6]);
	free(hang);
	free(ok);
	for (int i = 0; i < 20; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_false(r[6].done);
	http_cancel(queued);
	assert_int_equal(http_active(h), 7);
	uint64_t t0 = uv_now(&loop);
	http_cancel(calls[0]);
	run_until(&r[6], 1);
	assert_int_equal(r[6].status, 200);
	assert_string_equal(r[6].body, "hello");
	assert_true(r[6].at - t0 < 1000);
	finish(h); /* the five hung ones go without calling back */
}

/* Many more requests than turns, in several rounds: every one answered, on
 * the same few connections, whatever handle it was given. */
static void test_queue_many_rounds(void **state)
{
	struct http *h = http_new(&loop);
	enum { N = 300 };
	struct result *r = xcalloc(N, sizeof(*r));
	char *ok = url("/ok"), *moved = url("/moved");
	for (int round = 0; round < 3; round++) {
		memset(r, 0, N * sizeof(*r));
		for (int i = 0; i < N; i++) {
			struct http_req req = {.url = i % 10 == 0 ? moved : ok,
			                       .auth = i % 2 ? HTTP_AUTH_BEARER : HTTP_AUTH_NONE,
			                       .secret = "tok-q"};
			http_request(h, &req, on_done, &r[i]);
		}
		run_until(r, N);
		for (int i = 0; i < N; i++) {
			assert_string_equal(r[i].error, "");
			assert_int_equal(r[i].status, 200);
			assert_int_equal(r[i].redirects, i % 10 == 0 ? 1 : 0);
		}
		assert_int_equal(http_active(h), 0);
	}
	assert_true(accepted <= 6);
	free(ok);
	free(moved);
	free(r);
	finish(h);
}

static void test_urlencode(void **state)
{
	char *s = http_urlencode("query=", "rate(x{a=\"b c\"}[1m])&y");
	assert_string_equal(s, "query=rate%28x%7Ba%3D%22b%20c%22%7D%5B1m%5D%29%26y");
	free(s);
}

int main(void)
{
	/* the in-process server writes to clients that stop reading early */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ok_and_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_one_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_capped_connections, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_headers_head_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_total_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hung_does_not_delay_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_and_secret_not_in_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bearer_sent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_localhost_and_redirect_origin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_and_close_in_flight, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queued_timeout_is_honest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_cancel_and_turns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_many_rounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolve_for_others, setup, teardown),
	    cmocka_unit_test(test_urlencode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
