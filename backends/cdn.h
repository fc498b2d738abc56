/* cdn: the implementer's side of the cdn source. The source itself
 * (backends/cdn.c) probes every asset at the edge and at the origin and
 * verifies purges; what differs per CDN is a provider (varnish.c, ...): how
 * a purge is asked for, how its answer reads, and where hit ratios come from.
 * The pure parts (cache headers, the verdict, SHA-256, varnishstat's JSON)
 * are here too so unit tests and the fuzzer reach them without a loop. */
#ifndef SITREP_BACKENDS_CDNPROBE_H
#define SITREP_BACKENDS_CDNPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitrep/kinds/cdn.h"
#include "sitrep/core/config.h"
#include "sitrep/io/http.h"

/* ---- SHA-256 (backends/cdn-sha256.c) ---- */

struct cdn_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t nbuf;
};

void cdn_sha256_init(struct cdn_sha256 *s);
void cdn_sha256_update(struct cdn_sha256 *s, const void *data, size_t len);
void cdn_sha256_final(struct cdn_sha256 *s, uint8_t out[32]);
/* The hex digest of data (65 bytes with the NUL). */
void cdn_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- cache headers and the verdict (backends/cdn-cache.c) ---- */

/* What one response says about itself and about the cache that served it.
 * Strings point into the caller's fixed buffers; all sanitized. */
struct cdn_headers {
	char etag[128]; /* "" absent; kept as sent, quotes and W/ included; for display
	                   (sanitized, maybe cut): compare etag_hash */
	bool etag_weak;
	char etag_hash[65];          /* SHA-256 of the whole raw value, "" absent */
	char last_modified[64];      /* "" absent; for display */
	char last_modified_hash[65]; /* SHA-256 of the whole raw value, "" absent */
	long long content_length;    /* -1 absent */
	char content_encoding[32];   /* "" identity */
	double age;                  /* Age, -1 absent */
	char cache[16];              /* one status: HIT MISS EXPIRED STALE BYPASS REVALIDATED
	                                UPDATING DYNAMIC PASS, "" unknown */
	long hits;                   /* X-Cache-Hits (the edge's), or -1 */
	char served_by[64];          /* X-Served-By, X-Amz-Cf-Pop, CF-Ray's POP, "" absent */
	char via[64];                /* Via, "" absent */
	char retry_after[32];        /* Retry-After, "" absent */
	char location[512];          /* Location, "" absent */
};

/* Reads a header block (status lines and "Name: value" lines, CRLF or LF;
 * when redirects put several blocks in, the last one counts) into h. Every
 * provider's headers land in one status: CF-Cache-Status, X-Cache (Fastly's
 * comma list under shielding: the edge's, the last entry, counts),
 * CloudFront's "Hit from cloudfront", X-Varnish (two ids: a hit), RFC 9211
 * Cache-Status (hit, fwd=, stored), X-Cache-Hits, X-Served-By, Age, Via. */
void cdn_headers_parse(const char *block, size_t len, struct cdn_headers *h);

/* One side of a comparison: the edge's answer or the origin's. */
struct cdn_side {
	long status;            /* 0: no answer */
	const char *error;      /* why there is no answer, or NULL */
	struct cdn_headers hdr; /* parsed; zeroed with cdn_side_init when none came */
	bool have_hash;
	bool hash_capped; /* only the first max bytes were hashed */
	char hash[65];
	size_t body_len;
	int redirects;    /* redirects followed to this answer */
	const char *left; /* the edge only: where its redirect leads off the edge (another
	                     scheme, host or port), NULL when it stayed; the 3xx is its copy */
};

void cdn_side_init(struct cdn_side *s);
/* The verdict and its reason (allocated, sanitized) from the two sides, in
 * order of trust: status, strong ETag, Last-Modified, Content-Length (same
 * encoding only), the body's hash. Validators and digests are compared
 * whole (their hashes), never their shortened display. Fresh needs both
 * sides' 2xx (or the same 304) and the same validator or body; both 404/410
 * is gone; agreement on nothing that proves sameness is unverified. The edge copy's age is added to a stale
 * reason. An edge that redirects off itself (edge->left) serves that
 * redirect: stale when the origin answers the path itself without one (an
 * old redirect cached), else an error that says where users are sent. */
enum cdn_verdict cdn_compare(const struct cdn_side *edge, const struct cdn_side *origin, char **reason);
/* After a HEAD of both sides: whether the validators leave the verdict to
 * the bodies' hash (no strong ETag on both, Last-Modified and Content-Length
 * no different), or a side refused HEAD (405, 501), so both are fetched. */
bool cdn_need_body(const struct cdn_side *edge, const struct cdn_side *origin);

/* ---- discover (backends/cdn-html.c) ---- */

typedef void (*cdn_html_ref_cb)(const char *ref, void *arg);
/* Calls cb with each reference of a page that a browser fetches as a
 * script, a stylesheet or a preload (<script src>, <link rel=stylesheet|
 * preload|modulepreload href>), entities decoded, in page order; comments
 * and the text inside <script> and <style> are skipped. Returns how many. */
size_t cdn_html_refs(const char *html, size_t len, cdn_html_ref_cb cb, void *arg);
/* ref, found on the page at path page of the site base ("http://host:port"),
 * as a path of that site ("/static/app.js?v=2", dot segments and fragment
 * removed), or NULL when it leads to another scheme, host or port, or holds
 * spaces or controls. Caller frees. */
char *cdn_html_resolve(const char *base, const char *page, const char *ref);

/* ---- varnishstat -j (backends/varnish.c) ---- */

struct varnish_stats {
	double hit, miss, objects; /* MAIN.cache_hit, MAIN.cache_miss, MAIN.n_object; -1 absent */
};

/* Both shapes: 6.5+ ({"version": 1, "counters": {"MAIN.cache_hit": {"value": N}}})
 * and older (the counters at the top level). 0, or -1 with err. */
int varnish_parse_stats(const char *json, size_t len, struct varnish_stats *st, char *err, size_t cap);

/* ---- providers ---- */

/* One request of a purge, exactly as sent. */
struct cdn_request {
	char *method;
	char *url;
	char *body; /* NULL: none */
	char *content_type;
	char **headers;  /* "Name: value", NULL-terminated; may hold a key (masked when shown) */
	char *aws_sigv4; /* CloudFront: the provider string to sign with; NULL otherwise */
	char *user;      /* with aws_sigv4: the access key id */
	char *secret;    /* with aws_sigv4: the secret key; never shown, wiped when cleared */
};

struct cdn_provider {
	const char *name;
	/* Purges go to each edge of the pane (init runs once per edge, with
	 * that edge's URL); else the provider's API purges once for all. */
	bool per_edge;
	/* Reads the provider's own keys from the pane's object; no I/O. */
	int (*init)(struct config_ctx *ctx, struct jnode *node, const char *edge_url, void **pdata);
	/* The requests that purge paths (n > 0) or everything (all). 0 with
	 * *out and *nout, or -1 with err ("nginx has no purge-all"). */
	int (*plan)(void *pdata, const char *const *paths, size_t n, bool all, struct cdn_request **out,
	            size_t *nout, char *err, size_t cap);
	/* Reads the provider's answer to one request: 0 accepted (*id the purge
	 * id, allocated, or NULL), -1 refused with the reason in err. */
	int (*answer)(void *pdata, const struct http_resp *resp, char **id, char *err, size_t cap);
	/* Optional: the argv of a command whose stdout feeds stats (varnishstat -j). */
	char **(*stats_argv)(void *pdata);
	/* Optional: reads that output into hit ratio and object count (deltas
	 * kept in pdata). 0, or -1 with err. */
	int (*stats_parse)(void *pdata, const char *out, size_t len, double *hit_ratio, double *objects,
	                   char *err, size_t cap);
	void (*free)(void *pdata);
};

void cdn_request_clear(struct cdn_request *r);

/* ---- what the providers share (backends/cdn-api.c) ---- */

/* A NULL-terminated list of n "Name: value" copies (NULL entries skipped). */
char **cdn_header_list(size_t n, ...);
/* Whether a header line carries a credential (Authorization, Fastly-Key,
 * X-Auth-Key, ...): shown as "Name: ***". */
bool cdn_header_is_secret(const char *line);
/* An http(s) URL from key (def when absent), trailing '/' dropped. */
int cdn_config_url(struct config_ctx *ctx, struct jnode *node, const char *key, const char *def, char **out);
/* A raw path (bytes as configured or discovered) as it goes into a URL:
 * every byte that may not appear there raw (controls, space, DEL, bytes
 * past ASCII, '"', '#', '<', '>', '\\', '^', '`', '{', '|', '}', and a '%' that
 * starts no %XX) percent-encoded, the rest kept, so "/a.js?v=2" stays and
 * U+202E becomes %E2%80%AE: what a browser sends, so what the edge keys on.
 * Idempotent. Caller frees. */
char *cdn_url_path(const char *raw);
/* "host[:port]" of an http(s) URL. Caller frees. */
char *cdn_url_host(const char *url);
/* What a template is written in, so a value put into it keeps its syntax. */
enum cdn_syntax {
	CDN_SYNTAX_URL,  /* the path part as is (URL form); past '?' or '#', percent-encoded */
	CDN_SYNTAX_JSON, /* JSON-escaped inside a string; a quoted string outside one */
	CDN_SYNTAX_FORM, /* application/x-www-form-urlencoded: percent-encoded */
	CDN_SYNTAX_XML,  /* &, <, >, " and ' as entities */
	CDN_SYNTAX_TEXT, /* as is (the URL form has no control, quote or non-ASCII byte) */
};
/* The syntax of a body sent with content_type: JSON for a JSON media type,
 * form and XML for theirs, and JSON for a template that starts with '{' or
 * '[' under any other label; else text. */
enum cdn_syntax cdn_body_syntax(const char *content_type, const char *tmpl);
/* tmpl with {path}, {path_encoded}, {host} and {url} (base + path) replaced,
 * each value escaped for the syntax at its place in tmpl. The path is put in
 * its URL form first (cdn_url_path). Caller frees. */
char *cdn_template_in(const char *tmpl, const char *base, const char *path, enum cdn_syntax syn);
/* cdn_template_in for a URL template. Caller frees. */
char *cdn_template(const char *tmpl, const char *base, const char *path);
/* The first line of a body, sanitized and cut, for a reason ("<html>..."). */
void cdn_body_snippet(const char *body, size_t len, char *buf, size_t cap);
/* When no HTTP answer came: -1 with the transport's reason in err; else 0. */
int cdn_answer_transport(const struct http_resp *resp, const char *who, char *err, size_t cap);

/* The providers' readers of their API's answers, pure for the unit test and
 * the fuzzer: 0 accepted (*id allocated or NULL), -1 with the reason. */
int cloudflare_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap);
int fastly_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap);
int cloudfront_parse_answer(long status, const char *body, size_t len, char **id, char *err, size_t cap);
/* The CreateInvalidation body for paths (XML-escaped), with caller_ref. Caller frees. */
char *cloudfront_invalidation_xml(const char *const *paths, size_t n, const char *caller_ref);

extern const struct cdn_provider cdn_provider_varnish;
extern const struct cdn_provider cdn_provider_nginx;
extern const struct cdn_provider cdn_provider_http;
extern const struct cdn_provider cdn_provider_cloudflare;
extern const struct cdn_provider cdn_provider_fastly;
extern const struct cdn_provider cdn_provider_cloudfront;

#endif
