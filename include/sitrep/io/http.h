/* http: every HTTP request sitrep makes goes through one curl multi handle
 * driven by the app's libuv loop (curl's multi_socket interface). Requests are
 * asynchronous and bounded: a connect timeout, a total timeout, a low-speed
 * limit and a body cap, so a hung, dripping or huge response only ever costs
 * its own source a failed refresh. Secrets passed in a request are never
 * copied into an error message. Any number of requests may be asked for at
 * once: a few per host run in curl, the rest wait in a light queue (no curl
 * handle, no buffer) with their total timeout running. */
#ifndef SITREP_HTTP_H
#define SITREP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct http;
struct http_call;

#define HTTP_DEFAULT_MAX_BODY   (8u << 20)
#define HTTP_DEFAULT_CONNECT_MS 3000
#define HTTP_DEFAULT_TIMEOUT_MS 10000

enum http_auth { HTTP_AUTH_NONE, HTTP_AUTH_BEARER, HTTP_AUTH_BASIC };

/* A request. Every pointer is copied by http_request, so the caller may free
 * its strings as soon as it returns. */
struct http_req {
	const char *method; /* NULL: GET, or POST when body is set */
	const char *url;    /* http:// or https:// only */
	const char *body;   /* NULL: none */
	size_t body_len;
	const char *content_type;   /* for body; NULL: application/x-www-form-urlencoded */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may hold API keys */
	enum http_auth auth;
	const char *user;        /* basic auth user */
	const char *secret;      /* bearer token or basic password; never logged */
	long connect_timeout_ms; /* 0: HTTP_DEFAULT_CONNECT_MS */
	long timeout_ms;         /* 0: HTTP_DEFAULT_TIMEOUT_MS */
	size_t max_body;         /* 0: HTTP_DEFAULT_MAX_BODY */
	bool insecure;           /* skip TLS verification (config "insecure": true) */
	bool head;               /* a HEAD request: headers only, no body awaited */
	bool truncate_body;      /* past max_body keep the first max_body bytes and end
	                            the transfer as a success (resp.truncated), instead
	                            of failing it: for hashing a prefix of a big asset */
	const char *aws_sigv4;   /* sign with AWS SigV4, e.g. "aws:amz:us-east-1:cloudfront";
	                            user is the access key id, secret the secret key */
	bool certinfo;           /* https: read the server certificate's expiry
	                            (resp.cert_expiry); takes a fresh connection */
	bool no_follow;          /* a redirect is the answer (status 3xx, Location in
	                            the headers), not followed */
};

/* What the callback receives; valid only during the callback. */
struct http_resp {
	long status;      /* HTTP status, 0 when no response arrived */
	const char *body; /* NUL-terminated (the NUL is not counted in len) */
	size_t len;
	const char *error; /* NULL when an HTTP response arrived; else why not (raw,
	                      sanitize before showing); never contains a secret */
	double seconds;    /* total time of the transfer */
	const char *headers; /* the final response's header block, raw ("Name: value\r\n"
	                        lines, status line first), NUL-terminated; "" when none;
	                        at most HTTP_MAX_HEADERS bytes */
	size_t headers_len;
	bool truncated;      /* truncate_body cut the body at max_body */
	long cert_expiry;    /* with req.certinfo: the leaf certificate's notAfter (Unix
	                        time), 0 when unknown */
	int os_errno;        /* the system error of a failed connect (ECONNREFUSED, ...), 0 */
	const char *final_url; /* the URL that answered, after redirects (the request's when none) */
	int redirects;         /* how many were followed */
};

#define HTTP_MAX_HEADERS (64u << 10)

/* Called exactly once per request unless it was cancelled first. The call handle
 * is freed after the callback returns. */
typedef void (*http_done_cb)(const struct http_resp *resp, void *arg);

/* Creates the client on loop. Free with http_close. */
struct http *http_new(uv_loop_t *loop);
/* Cancels every request (their callbacks are not called) and closes the libuv
 * handles; memory is freed in the close callbacks, so run the loop afterwards. */
void http_close(struct http *h);

/* Starts a request. Returns a handle for http_cancel, valid until cb has run. */
struct http_call *http_request(struct http *h, const struct http_req *req, http_done_cb cb, void *arg);
/* Stops a request; its callback is not called. Not from inside its own callback. */
void http_cancel(struct http_call *call);

/* A name looked up for another client (libpq), the way the client resolves
 * its own hosts: getaddrinfo on a detached thread, never on the loop, results
 * shared with requests and kept for a short while. cb runs on the loop, never
 * from inside http_resolve, exactly once unless cancelled first: with the
 * addresses ("192.0.2.1,[2001:db8::1]", IPv6 in brackets; at most a few) or
 * with an error text ("resolving host: timed out (NAME)", "... no such host
 * (NAME)"). timeout_ms bounds the wait (a hung resolver). The handle is valid
 * until cb has run. */
typedef void (*http_resolve_cb)(const char *addrs, const char *err, void *arg);
struct http_resolve *http_resolve(struct http *h, const char *name, unsigned timeout_ms, http_resolve_cb cb,
                                  void *arg);
/* Stops waiting for a lookup; its callback is not called. Not from inside it. */
void http_resolve_cancel(struct http_resolve *r);

/* Connections opened so far (new TCP connections; reuse keeps this low). */
unsigned long http_connections_opened(const struct http *h);
/* Requests not called back yet: resolving, queued or in transfer. */
size_t http_active(const struct http *h);

/* The value of header name (any case) in resp's header block, blanks
 * trimmed, or NULL when absent: raw, sanitize before showing. With
 * req.no_follow, a redirect's Location. Caller frees. */
char *http_resp_header(const struct http_resp *resp, const char *name);

/* Appends the URL encoding of s (RFC 3986 unreserved kept) to a new string
 * "prefix" + encoded. Caller frees. */
char *http_urlencode(const char *prefix, const char *s);

#endif
