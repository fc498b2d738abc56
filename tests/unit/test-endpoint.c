/* test-endpoint: the keys every HTTP source shares. Defaults and limits, a
 * bad URL reported at its FILE:LINE:COL, the token from the environment or a
 * file, the secret kept out of every message, and what actually reaches a
 * server on loopback: the joined URL, the Authorization header, the method
 * and the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "sitrep/core/config.h"
#include "sitrep/io/endpoint.h"
#include "sitrep/io/http.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/util.h"

#define SECRET "s3cr3t-T0KEN"

/* ---- reading ---- */

struct read {
	struct jnode *root;
	struct config_error err;
	char msg[1200];
	struct endpoint *ep;
	int rc;
};

/* Reads an endpoint from json (one object); msg holds FILE:LINE:COL: ... on failure. */
static void read_json(struct read *r, const char *json)
{
	memset(r, 0, sizeof(*r));
	struct jsonc_error jerr;
	r->root = jsonc_parse(json, strlen(json), &jerr);
	assert_non_null(r->root);
	struct config_ctx ctx = {"t.json", &r->err};
	r->rc = endpoint_read(&ctx, r->root, &r->ep);
	if (r->rc != 0) {
		assert_null(r->ep);
		config_error_format(&r->err, r->msg, sizeof(r->msg));
	} else {
		assert_non_null(r->ep);
		/* Every key it accepts is marked read. */
		assert_int_equal(config_check_unknown(&ctx, r->root, "test pane"), 0);
	}
}

static void read_free(struct read *r)
{
	endpoint_free(r->ep);
	jsonc_free(r->root);
}

static void test_defaults(void **state)
{
	(void)state;
	struct read r;
	read_json(&r, "{ \"url\": \"http://127.0.0.1:9090//\" }");
	assert_int_equal(r.rc, 0);
	assert_string_equal(endpoint_base(r.ep), "http://127.0.0.1:9090");
	assert_null(endpoint_warning(r.ep));
	struct http_req req = {0};
	endpoint_prepare(r.ep, &req);
	assert_int_equal(req.timeout_ms, 10000);
	assert_int_equal(req.connect_timeout_ms, 3000);
	assert_false(req.insecure);
	assert_int_equal(req.auth, HTTP_AUTH_NONE);
	assert_null(req.secret);
	char *url = endpoint_url(r.ep, "/api/v1/query?query=up");
	assert_string_equal(url, "http://127.0.0.1:9090/api/v1/query?query=up");
	free(url);
	read_free(&r);

	/* A path prefix is kept; a short timeout also bounds connecting. */
	read_json(&r, "{ \"url\": \"https://h.example/prometheus/\", \"timeout_seconds\": 0.5, "
	              "\"insecure\": true }");
	assert_int_equal(r.rc, 0);
	assert_string_equal(endpoint_base(r.ep), "https://h.example/prometheus");
	assert_string_equal(endpoint_warning(r.ep), "TLS verify off");
	endpoint_prepare(r.ep, &req);
	assert_int_equal(req.timeout_ms, 500);
	assert_int_equal(req.connect_timeout_ms, 500);
	assert_true(req.insecure);
	read_free(&r);
}

static void test_missing_and_out_of_range(void **state)
{
	(void)state;
	struct read r;
	read_json(&r, "{ \"timeout_seconds\": 5 }");
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.msg, "url"));
	read_free(&r);

	read_json(&r, "{ \"url\": \"http://h\",\n  \"timeout_seconds\": 301 }");
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.line, 2);
	read_free(&r);

	read_json(&r, "{ \"url\": \"http://h\", \"insecure\": \"yes\" }");
	assert_int_equal(r.rc, -1);
	read_free(&r);
}

static void test_bad_urls_at_their_place(void **state)
{
	(void)state;
	static const struct {
		const char *url, *why;
	} bad[] = {
	    {"ftp://h.example", "expected an http:// or https:// URL"},
	    {"127.0.0.1:9090", "expected an http:// or https:// URL"},
	    {"http://", "no host"},
	    {"http://user@/x", "no host"},
	    {"http://h.example/a b", "space or a control character"},
	    {"http://h.example:99999999/", "not a valid URL"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char json[300];
		snprintf(json, sizeof(json), "{ \"id\": \"p\",\n    \"url\": \"%s\" }", bad[i].url);
		struct read r;
		read_json(&r, json);
		assert_int_equal(r.rc, -1);
		/* The value's own place: line 2, column 12 (after 4 spaces and "url": ). */
		if (strncmp(r.msg, "t.json:2:12: ", 13) != 0 || strstr(r.msg, bad[i].why) == NULL)
			fail_msg("%s gave \"%s\"", bad[i].url, r.msg);
		read_free(&r);
	}
}

static void test_token_from_env_and_file(void **state)
{
	(void)state;
	struct read r;
	setenv("SITREP_TEST_EP_TOKEN", SECRET, 1);
	read_json(&r, "{ \"url\": \"http://h\", \"token_env\": \"SITREP_TEST_EP_TOKEN\" }");
	assert_int_equal(r.rc, 0);
	struct http_req req = {0};
	endpoint_prepare(r.ep, &req);
	assert_int_equal(req.auth, HTTP_AUTH_BEARER);
	assert_string_equal(req.secret, SECRET);
	read_free(&r);

	char path[] = "/tmp/sitrep-test-endpoint-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, SECRET "\n", strlen(SECRET) + 1), (ssize_t)strlen(SECRET) + 1);
	close(fd);
	char json[300];
	snprintf(json, sizeof(json),
	         "{ \"url\": \"http://h\", \"username\": \"ops\", \"token_file\": \"%s\" }", path);
	read_json(&r, json);
	assert_int_equal(r.rc, 0);
	memset(&req, 0, sizeof(req));
	endpoint_prepare(r.ep, &req);
	assert_int_equal(req.auth, HTTP_AUTH_BASIC);
	assert_string_equal(req.user, "ops");
	assert_string_equal(req.secret, SECRET); /* the trailing newline dropped */
	read_free(&r);
	unlink(path);

	/* A username alone sends nothing. */
	read_json(&r, "{ \"url\": \"http://h\", \"username\": \"ops\" }");
	assert_int_equal(r.rc, 0);
	endpoint_prepare(r.ep, &req);
	assert_int_equal(req.auth, HTTP_AUTH_NONE);
	read_free(&r);

	unsetenv("SITREP_TEST_EP_UNSET");
	read_json(&r, "{ \"url\": \"http://h\", \"token_env\": \"SITREP_TEST_EP_UNSET\" }");
	assert_int_equal(r.rc, -1);
	assert_non_null(strstr(r.msg, "SITREP_TEST_EP_UNSET"));
	read_free(&r);
}

static void test_secret_never_in_messages(void **state)
{
	(void)state;
	setenv("SITREP_TEST_EP_TOKEN", SECRET, 1);
	struct read r;
	/* A bad URL next to a good token: the error names neither. */
	read_json(&r, "{ \"url\": \"gopher://h\", \"token_env\": \"SITREP_TEST_EP_TOKEN\" }");
	assert_int_equal(r.rc, -1);
	assert_null(strstr(r.msg, SECRET));
	read_free(&r);

	/* Both token keys: refused, and the value of neither shows. */
	read_json(&r, "{ \"url\": \"http://h\", \"token_env\": \"SITREP_TEST_EP_TOKEN\", "
	              "\"token_file\": \"/dev/null\" }");
	assert_int_equal(r.rc, -1);
	assert_null(strstr(r.msg, SECRET));
	read_free(&r);

	/* A password written in a bad URL stays out of the message ... */
	read_json(&r, "{ \"url\": \"http://ops:hunter2@h.example/a b\" }");
	assert_int_equal(r.rc, -1);
	assert_null(strstr(r.msg, "hunter2"));
	read_free(&r);

	/* ... and out of what is shown of a good one. */
	read_json(&r, "{ \"url\": \"http://ops:hunter2@h.example:9093/\", \"token_env\": "
	              "\"SITREP_TEST_EP_TOKEN\" }");
	assert_int_equal(r.rc, 0);
	assert_string_equal(endpoint_display(r.ep), "http://ops:***@h.example:9093");
	char *d = endpoint_describe(r.ep, "POST", "/api/v2/silences");
	assert_string_equal(d, "POST http://ops:***@h.example:9093/api/v2/silences (bearer token)");
	assert_null(strstr(d, SECRET));
	free(d);
	read_free(&r);
}

/* ---- on the wire: a small HTTP server on the test's loop ---- */

struct conn {
	uv_tcp_t tcp;
	char buf[16384];
	size_t len;
};

static uv_loop_t loop;
static uv_tcp_t server;
static int port;
static char seen_line[512], seen_auth[512];

static void conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void conn_written(uv_write_t *w, int status)
{
	free(w);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	buf->base = c->buf + c->len;
	buf->len = sizeof(c->buf) - c->len - 1;
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
	char *end = strstr(c->buf, "\r\n\r\n");
	if (end == NULL)
		return;
	sscanf(c->buf, "%511[^\r]", seen_line);
	const char *auth = strstr(c->buf, "\r\nAuthorization: ");
	seen_auth[0] = '\0';
	if (auth != NULL)
		sscanf(auth + 17, "%511[^\r]", seen_auth);
	/* "/hang" never gets an answer: the endpoint's timeout must end it. */
	if (strstr(seen_line, "/hang") == NULL) {
		static const char reply[] =
		    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
		uv_write_t *w = xmalloc(sizeof(*w));
		uv_buf_t b = uv_buf_init((char *)reply, sizeof(reply) - 1);
		uv_write(w, s, &b, 1, conn_written);
	}
	c->len = 0;
}

static void server_conn(uv_stream_t *srv, int status)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	uv_tcp_init(&loop, &c->tcp);
	c->tcp.data = c;
	uv_accept(srv, (uv_stream_t *)&c->tcp);
	uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
}

static int server_setup(void **state)
{
	uv_loop_init(&loop);
	uv_tcp_init(&loop, &server);
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
	uv_listen((uv_stream_t *)&server, 16, server_conn);
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static void close_any(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, h == (uv_handle_t *)&server ? NULL : conn_closed);
}

static int server_teardown(void **state)
{
	uv_walk(&loop, close_any, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

struct answer {
	bool done;
	long status;
	char error[512];
	double seconds;
};

static void answer_cb(const struct http_resp *resp, void *arg)
{
	struct answer *a = arg;
	a->done = true;
	a->status = resp->status;
	snprintf(a->error, sizeof(a->error), "%s", resp->error != NULL ? resp->error : "");
	a->seconds = resp->seconds;
}

/* Sends path through an endpoint on the test server: its url is the
 * server's address plus prefix, keys are the other members. */
static void fetch(const char *prefix, const char *keys, const char *path, const struct http_req *req,
                  struct answer *a)
{
	char json[512];
	snprintf(json, sizeof(json), "{ \"url\": \"http://127.0.0.1:%d%s\"%s }", port, prefix, keys);
	struct read r;
	read_json(&r, json);
	assert_int_equal(r.rc, 0);
	struct http *h = http_new(&loop);
	memset(a, 0, sizeof(*a));
	seen_line[0] = seen_auth[0] = '\0';
	assert_non_null(endpoint_request(r.ep, h, path, req, answer_cb, a));
	/* The endpoint may go as soon as the request started: the client copied it. */
	read_free(&r);
	while (!a->done)
		uv_run(&loop, UV_RUN_ONCE);
	http_close(h);
}

static void test_bearer_on_the_wire(void **state)
{
	(void)state;
	setenv("SITREP_TEST_EP_TOKEN", SECRET, 1);
	struct answer a;
	fetch("/prefix/", ", \"token_env\": \"SITREP_TEST_EP_TOKEN\"", "/api/v2/alerts?active=true", NULL,
	      &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(seen_line, "GET /prefix/api/v2/alerts?active=true HTTP/1.1");
	assert_string_equal(seen_auth, "Bearer " SECRET);
}

static void test_basic_and_post_on_the_wire(void **state)
{
	(void)state;
	setenv("SITREP_TEST_EP_TOKEN", SECRET, 1);
	struct http_req req = {.body = "{}", .body_len = 2, .content_type = "application/json"};
	struct answer a;
	fetch("", ", \"username\": \"ops\", \"token_env\": \"SITREP_TEST_EP_TOKEN\"", "/api/v2/silences",
	      &req, &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(seen_line, "POST /api/v2/silences HTTP/1.1");
	/* base64("ops:s3cr3t-T0KEN") */
	assert_string_equal(seen_auth, "Basic b3BzOnMzY3IzdC1UMEtFTg==");

	/* No token: no header at all. */
	fetch("", "", "/x", NULL, &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(seen_auth, "");
}

static void test_timeout_applied(void **state)
{
	(void)state;
	setenv("SITREP_TEST_EP_TOKEN", SECRET, 1);
	struct answer a;
	fetch("", ", \"timeout_seconds\": 0.3, \"token_env\": \"SITREP_TEST_EP_TOKEN\"", "/hang", NULL, &a);
	assert_int_equal(a.status, 0);
	assert_true(a.error[0] != '\0');
	assert_null(strstr(a.error, SECRET));
	assert_true(a.seconds >= 0.25 && a.seconds < 2.0);
}

int main(void)
{
	/* One group: TAP allows one plan per executable. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_missing_and_out_of_range),
	    cmocka_unit_test(test_bad_urls_at_their_place),
	    cmocka_unit_test(test_token_from_env_and_file),
	    cmocka_unit_test(test_secret_never_in_messages),
	    cmocka_unit_test_setup_teardown(test_bearer_on_the_wire, server_setup, server_teardown),
	    cmocka_unit_test_setup_teardown(test_basic_and_post_on_the_wire, server_setup, server_teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_applied, server_setup, server_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
