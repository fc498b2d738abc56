/* Unit tests of the cdn source's pure parts: SHA-256 against the standard's
 * vectors, every provider's cache headers read into one status (header sets
 * in tests/data/cdn/: varnish and nginx captured from the real servers, the
 * others written from the providers' documented formats), the verdict and
 * its reason, and varnishstat -j in both shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/cdn.h"
#include "sitrep/core/util.h"

static char *load(const char *name, size_t *len)
{
	char *path = xasprintf("%s/cdn/%s", TEST_DATA, name);
	char *text = util_read_file(path, 1 << 20, len);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static void parse_file(const char *name, struct cdn_headers *h)
{
	size_t len;
	char *text = load(name, &len);
	cdn_headers_parse(text, len, h);
	free(text);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	char hex[65];
	cdn_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cdn_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	cdn_sha256_hex(two, strlen(two), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* A million 'a' fed in odd pieces. */
	char *a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	struct cdn_sha256 s;
	uint8_t d[32];
	cdn_sha256_init(&s);
	for (size_t off = 0; off < 1000000;) {
		size_t n = off % 7 == 0 ? 63 : 1001;
		if (off + n > 1000000)
			n = 1000000 - off;
		cdn_sha256_update(&s, a + off, n);
		off += n;
	}
	cdn_sha256_final(&s, d);
	free(a);
	assert_int_equal(d[0], 0xcd);
	assert_int_equal(d[1], 0xc7);
	assert_int_equal(d[31], 0xd0);
}

static void test_varnish_headers(void **state)
{
	(void)state;
	struct cdn_headers h;
	parse_file("varnish-hit.txt", &h);
	assert_string_equal(h.cache, "HIT");
	assert_string_equal(h.etag, "\"6b0cd395-3\"");
	assert_false(h.etag_weak);
	assert_true(h.age == 1);
	assert_int_equal(h.content_length, 3);
	assert_string_equal(h.via, "1.1 varnish (Varnish/7.1)");
	parse_file("nginx-origin.txt", &h);
	assert_string_equal(h.cache, "");
	assert_true(h.age < 0);
	assert_string_equal(h.last_modified, "Mon, 30 Nov 2026 01:38:29 GMT");
	/* One id in X-Varnish: the request was not served from the cache. */
	const char miss[] = "HTTP/1.1 200 OK\nX-Varnish: 32772\n\n";
	cdn_headers_parse(miss, strlen(miss), &h);
	assert_string_equal(h.cache, "MISS");
}

static void test_provider_headers(void **state)
{
	(void)state;
	struct cdn_headers h;
	parse_file("cloudflare-expired.txt", &h);
	assert_string_equal(h.cache, "EXPIRED");
	assert_true(h.etag_weak);
	assert_true(h.age == 7214);
	assert_string_equal(h.served_by, "FRA");
	parse_file("fastly-shield.txt", &h);
	assert_string_equal(h.cache, "HIT"); /* "MISS, HIT": the edge's is the last */
	assert_int_equal(h.hits, 3);
	assert_string_equal(h.served_by, "cache-lhr7334-LHR");
	parse_file("cloudfront-hit.txt", &h);
	assert_string_equal(h.cache, "HIT");
	assert_string_equal(h.served_by, "FRA56-P1");
	/* A redirect first: only the last response counts; Cache-Status wins. */
	parse_file("rfc9211-redirect.txt", &h);
	assert_string_equal(h.cache, "EXPIRED");
	assert_int_equal(h.content_length, 10);
	const char *const cf[] = {"HIT", "MISS", "BYPASS", "REVALIDATED", "UPDATING", "DYNAMIC", "STALE"};
	for (size_t i = 0; i < ARRAY_LEN(cf); i++) {
		char *block = xasprintf("HTTP/2 200\r\nCF-Cache-Status: %s\r\n\r\n", cf[i]);
		cdn_headers_parse(block, strlen(block), &h);
		assert_string_equal(h.cache, cf[i]);
		free(block);
	}
	const char hostile[] =
	    "HTTP/1.1 200 OK\r\nETag: \"\x1b[2Jx\"\r\nAge: -5\r\nAge : 3\r\nContent-Length: 12abc\r\n\r\n";
	cdn_headers_parse(hostile, strlen(hostile), &h);
	assert_null(strchr(h.etag, 0x1b));
	assert_true(h.age < 0);
	assert_int_equal(h.content_length, -1);
}

static struct cdn_side side(long status, const char *etag, const char *hash)
{
	struct cdn_side s;
	cdn_side_init(&s);
	s.status = status;
	if (etag != NULL) {
		snprintf(s.hdr.etag, sizeof(s.hdr.etag), "%s", etag);
		cdn_sha256_hex(etag, strlen(etag), s.hdr.etag_hash);
	}
	s.hdr.etag_weak = etag != NULL && strncmp(etag, "W/", 2) == 0;
	if (hash != NULL) {
		snprintf(s.hash, sizeof(s.hash), "%s", hash);
		s.have_hash = true;
	}
	return s;
}

/* A Last-Modified as the header parser leaves it: shown and hashed. */
static void set_lm(struct cdn_side *s, const char *lm)
{
	snprintf(s->hdr.last_modified, sizeof(s->hdr.last_modified), "%s", lm);
	cdn_sha256_hex(lm, strlen(lm), s->hdr.last_modified_hash);
}

static void test_compare(void **state)
{
	(void)state;
	char *why;
	struct cdn_side e = side(200, "\"a1\"", "1111"), o = side(200, "\"b7\"", "1111");
	e.hdr.age = 7214;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_string_equal(why, "edge ETag \"a1\" != origin \"b7\", edge copy 2 h old (Age 7214)");
	free(why);
	/* Weak ETags fall back to the hash. */
	e = side(200, "W/\"a1\"", "1111");
	o = side(200, "W/\"b7\"", "1111");
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_FRESH);
	free(why);
	e = side(200, NULL, "1111");
	o = side(200, NULL, "2222");
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_non_null(strstr(why, "SHA-256"));
	free(why);
	/* Different encodings are not a different length. */
	e = side(200, NULL, "1111");
	o = side(200, NULL, "1111");
	e.hdr.content_length = 100;
	snprintf(e.hdr.content_encoding, sizeof(e.hdr.content_encoding), "gzip");
	o.hdr.content_length = 300;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_FRESH);
	free(why);
	e.hdr.content_encoding[0] = '\0';
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_non_null(strstr(why, "Content-Length 100 != origin 300"));
	free(why);
	e = side(404, NULL, NULL);
	o = side(200, NULL, "1");
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_MISSING);
	assert_string_equal(why, "edge answers 404, origin 200");
	free(why);
	e = side(200, NULL, "1");
	o = side(404, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	free(why);
	e = side(0, NULL, NULL);
	e.error = "Connection refused";
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_ERROR);
	assert_string_equal(why, "edge: Connection refused");
	free(why);
	/* Both answered, nothing proves sameness: unverified, never fresh. */
	e = side(200, NULL, NULL);
	o = side(200, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	free(why);
}

/* HEAD first: a body is fetched only where the validators do not decide. */
static void test_need_body(void **state)
{
	(void)state;
	struct cdn_side e = side(200, "\"a1\"", NULL), o = side(200, "\"b7\"", NULL);
	assert_false(cdn_need_body(&e, &o)); /* strong ETags decide */
	e = side(200, "W/\"a1\"", NULL);
	assert_true(cdn_need_body(&e, &o)); /* a weak one does not */
	e = side(200, NULL, NULL);
	o = side(200, NULL, NULL);
	assert_true(cdn_need_body(&e, &o)); /* nothing to compare */
	set_lm(&e, "Mon, 30 Nov 2026 01:38:29 GMT");
	set_lm(&o, "Mon, 30 Nov 2026 01:40:00 GMT");
	assert_false(cdn_need_body(&e, &o)); /* different Last-Modified: stale already */
	o.hdr.last_modified[0] = o.hdr.last_modified_hash[0] = '\0';
	e.hdr.content_length = 10;
	o.hdr.content_length = 12;
	assert_false(cdn_need_body(&e, &o)); /* different length, same encoding */
	snprintf(o.hdr.content_encoding, sizeof(o.hdr.content_encoding), "br");
	assert_true(cdn_need_body(&e, &o)); /* different encodings: the bodies decide */
	e = side(404, NULL, NULL);
	o = side(200, NULL, NULL);
	assert_false(cdn_need_body(&e, &o)); /* the status decides */
	e = side(0, NULL, NULL);
	assert_false(cdn_need_body(&e, &o));
	e = side(405, NULL, NULL);
	assert_true(cdn_need_body(&e, &o)); /* HEAD refused: GET */
	/* A capped hash still compares, and the reason says so. */
	char *why;
	e = side(200, NULL, "abcd");
	o = side(200, NULL, "abcd");
	e.hash_capped = o.hash_capped = true;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	assert_non_null(strstr(why, "the rest not compared"));
	free(why);
}

/* A real varnish HEAD answer, parsed as the probe parses resp->headers. */
static void test_head_block(void **state)
{
	(void)state;
	const char block[] =
	    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/javascript\r\n"
	    "Content-Length: 42\r\nLast-Modified: Tue, 01 Dec 2026 09:00:00 GMT\r\n"
	    "ETag: \"6b0cd58b-2a\"\r\nX-Varnish: 32773 32771\r\nAge: 7214\r\n"
	    "Via: 1.1 varnish (Varnish/7.1)\r\nAccept-Ranges: bytes\r\n\r\n";
	struct cdn_side e, o;
	cdn_side_init(&e);
	cdn_side_init(&o);
	e.status = o.status = 200;
	cdn_headers_parse(block, strlen(block), &e.hdr);
	const char origin[] = "HTTP/1.1 200 OK\r\nContent-Length: 34\r\nETag: \"6b0cd58d-22\"\r\n\r\n";
	cdn_headers_parse(origin, strlen(origin), &o.hdr);
	assert_string_equal(e.hdr.cache, "HIT");
	assert_false(cdn_need_body(&e, &o));
	char *why;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_string_equal(
	    why, "edge ETag \"6b0cd58b-2a\" != origin \"6b0cd58d-22\", edge copy 2 h old (Age 7214)");
	free(why);
}

static void test_varnishstat(void **state)
{
	(void)state;
	size_t len;
	char err[200];
	struct varnish_stats st;
	char *text = load("varnishstat-7.json", &len);
	assert_int_equal(varnish_parse_stats(text, len, &st, err, sizeof(err)), 0);
	assert_true(st.hit == 30 && st.miss == 10 && st.objects == 7);
	free(text);
	text = load("varnishstat-6.0.json", &len);
	assert_int_equal(varnish_parse_stats(text, len, &st, err, sizeof(err)), 0);
	assert_true(st.hit == 90 && st.miss == 10 && st.objects == 3);
	free(text);
	assert_int_equal(varnish_parse_stats("[1]", 3, &st, err, sizeof(err)), -1);
	assert_int_equal(varnish_parse_stats("{\"counters\":{}}", 15, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "MAIN.cache_hit"));
}

struct refs {
	char got[1024];
};

static void refs_add(const char *ref, void *arg)
{
	struct refs *r = arg;
	size_t n = strlen(r->got);
	snprintf(r->got + n, sizeof(r->got) - n, "%s|", ref);
}

static void test_html_refs(void **state)
{
	(void)state;
	const char *page = "<!doctype html><HTML><head><LINK REL=\"Stylesheet\" HREF=\"/a.css\">"
	                   "<link href='b.js' rel='modulepreload'><link rel=\"icon preload\" href=/f.woff2>"
	                   "<link rel=icon href=/favicon.ico><link rel=\"alternate\" href=\"/feed\">"
	                   "<!-- <script src=\"/commented.js\"></script> -->"
	                   "<script>document.write('<script src=\"/inline.js\"></'+'script>')</script>"
	                   "<style>.x{background:url('<link rel=stylesheet href=/in-style.css>')}</style>"
	                   "<script\tsrc = \"/c.js?a=1&amp;b=2\" defer></script><scripts src=/no.js>"
	                   "<script src=\"\"></script><script src=/unclosed.js";
	struct refs r = {""};
	size_t n = cdn_html_refs(page, strlen(page), refs_add, &r);
	assert_string_equal(r.got, "/a.css|b.js|/f.woff2|/c.js?a=1&b=2|/unclosed.js|");
	assert_int_equal(n, 5);
	/* Hostile endings: an open comment, an open attribute, a lone '<'. */
	const char *bad[] = {"<!--", "<script src=\"", "<", "<link rel=stylesheet href", "<script>"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cdn_html_refs(bad[i], strlen(bad[i]), refs_add, &r);
}

static void test_html_resolve(void **state)
{
	(void)state;
	const char *base = "http://127.0.0.1:8080";
	struct {
		const char *page, *ref, *want;
	} cases[] = {
	    {"/", "/static/app.js", "/static/app.js"},
	    {"/shop/booking", "app.js", "/shop/app.js"},
	    {"/shop/booking", "../static/./app.js#x", "/static/app.js"},
	    {"/shop/", "../../../x.js", "/x.js"},
	    {"/", "  /sp.js  ", "/sp.js"},
	    {"/", "http://127.0.0.1:8080/abs.js?v=1", "/abs.js?v=1"},
	    {"/", "HTTP://127.0.0.1:8080/upper.js", "/upper.js"},
	    {"/", "//127.0.0.1:8080/proto.js", "/proto.js"},
	    {"/", "http://127.0.0.1:8081/other-port.js", NULL},
	    {"/", "https://127.0.0.1:8080/other-scheme.js", NULL},
	    {"/", "http://cdn.example/x.js", NULL},
	    {"/", "//cdn.example/x.js", NULL},
	    {"/", "data:text/javascript,alert(1)", NULL},
	    {"/", "javascript:alert(1)", NULL},
	    {"/", "/a b.js", NULL},
	    {"/", "/ctl\x01.js", NULL},
	    {"/", "#only-fragment", NULL},
	    {"/", "", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cdn_html_resolve(base, cases[i].page, cases[i].ref);
		if (cases[i].want == NULL) {
			if (got != NULL)
				fail_msg("%s on %s: got %s, want NULL", cases[i].ref, cases[i].page, got);
		} else {
			if (got == NULL || strcmp(got, cases[i].want) != 0)
				fail_msg("%s on %s: got %s, want %s", cases[i].ref, cases[i].page,
				         got != NULL ? got : "NULL", cases[i].want);
		}
		free(got);
	}
	/* Default ports count as the same site. */
	char *got = cdn_html_resolve("https://shop.example", "/", "https://SHOP.example:443/x.js");
	assert_non_null(got);
	assert_string_equal(got, "/x.js");
	free(got);
}

static void test_compare_capped(void **state)
{
	(void)state;
	struct cdn_side e, o;
	cdn_side_init(&e);
	cdn_side_init(&o);
	e.status = o.status = 200;
	set_lm(&e, "Mon, 30 Nov 2026 01:58:33 GMT");
	set_lm(&o, "Mon, 30 Nov 2026 01:58:33 GMT");
	e.hdr.content_length = o.hdr.content_length = 10 << 20;
	e.have_hash = o.have_hash = e.hash_capped = o.hash_capped = true;
	e.body_len = o.body_len = 2 << 20;
	snprintf(e.hash, sizeof(e.hash), "%064d", 1);
	snprintf(o.hash, sizeof(o.hash), "%064d", 1);
	char *why;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_FRESH);
	assert_string_equal(why, "same Last-Modified Mon, 30 Nov 2026 01:58:33 GMT and length 10 MiB; body "
	                         "too big to hash whole, first 2 MiB the same (SHA-256 000000000000)");
	free(why);
	/* Without a validator, a prefix that agrees proves nothing about the rest,
	 * and the same length is no validator either. */
	e.hdr.last_modified[0] = o.hdr.last_modified[0] = '\0';
	e.hdr.last_modified_hash[0] = o.hdr.last_modified_hash[0] = '\0';
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	assert_string_equal(why, "unverified: first 2 MiB the same (SHA-256 000000000000), the rest not "
	                         "compared and no validator (raise max_hash_bytes)");
	free(why);
	e.hdr.content_length = o.hdr.content_length = -1;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	free(why);
}

/* An edge whose redirect leaves it serves that redirect. */
static void test_compare_left(void **state)
{
	(void)state;
	char *why;
	struct cdn_side e = side(301, NULL, NULL), o = side(200, "\"b7\"", NULL);
	e.left = "http://127.0.0.1:8080/static/app.js";
	o.redirects = 1;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_ERROR);
	assert_string_equal(why, "edge redirects off the edge (301 to http://127.0.0.1:8080/static/app.js): "
	                         "users leave the CDN; origin 200 after its own redirect (an absolute "
	                         "redirect naming the origin's host?)");
	free(why);
	/* The origin serves the path itself now: the edge's redirect is an old copy. */
	o.redirects = 0;
	e.hdr.age = 600;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_string_equal(why, "edge redirects off the edge (301 to http://127.0.0.1:8080/static/app.js), "
	                         "origin answers 200 without a redirect, edge copy 10 min old (Age 600)");
	free(why);
	/* Location is read from the block. */
	const char block[] = "HTTP/1.1 301 Moved Permanently\r\nLocation: http://o:1/x.js\r\nAge: 3\r\n\r\n";
	struct cdn_headers h;
	cdn_headers_parse(block, sizeof(block) - 1, &h);
	assert_string_equal(h.location, "http://o:1/x.js");
}

/* Two 150-byte ETags that share their first 140 bytes: different, whatever
 * the display keeps; so are two long Last-Modified values. */
static void test_compare_whole_validators(void **state)
{
	(void)state;
	char a[151], b[151];
	memset(a, 'a', 150);
	a[0] = '"';
	a[149] = '"';
	a[150] = '\0';
	memcpy(b, a, sizeof(a));
	b[145] = 'b';
	char *ea = xasprintf("HTTP/1.1 200 OK\r\nETag: %s\r\n\r\n", a);
	char *eb = xasprintf("HTTP/1.1 200 OK\r\nETag: %s\r\n\r\n", b);
	struct cdn_side e, o;
	cdn_side_init(&e);
	cdn_side_init(&o);
	e.status = o.status = 200;
	cdn_headers_parse(ea, strlen(ea), &e.hdr);
	cdn_headers_parse(eb, strlen(eb), &o.hdr);
	assert_string_equal(e.hdr.etag, o.hdr.etag); /* the display copies are cut alike */
	assert_false(cdn_need_body(&e, &o));
	char *why;
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	assert_non_null(strstr(why, "(they differ past what is shown: SHA-256 "));
	free(why);
	cdn_headers_parse(ea, strlen(ea), &o.hdr);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_FRESH);
	free(why);
	free(ea);
	free(eb);
	/* Weak ETags, Last-Modified 100 bytes long, the same first 90. */
	char lm1[101], lm2[101];
	memset(lm1, 'x', 100);
	lm1[100] = '\0';
	memcpy(lm2, lm1, sizeof(lm1));
	lm2[95] = 'y';
	char *h1 = xasprintf("HTTP/1.1 200 OK\r\nLast-Modified: %s\r\n\r\n", lm1);
	char *h2 = xasprintf("HTTP/1.1 200 OK\r\nLast-Modified: %s\r\n\r\n", lm2);
	cdn_headers_parse(h1, strlen(h1), &e.hdr);
	cdn_headers_parse(h2, strlen(h2), &o.hdr);
	assert_string_equal(e.hdr.last_modified, o.hdr.last_modified);
	assert_false(cdn_need_body(&e, &o));
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_STALE);
	free(why);
	free(h1);
	free(h2);
}

/* 404 at both sides is gone, not fresh; 304 is fresh only with the same
 * strong ETag; a 404 at the edge beside a 5xx at the origin is an error. */
static void test_compare_gone_and_304(void **state)
{
	(void)state;
	char *why;
	struct cdn_side e = side(404, NULL, NULL), o = side(404, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_GONE);
	assert_string_equal(why, "edge and origin answer 404/404: gone at both, nothing to compare");
	free(why);
	o = side(410, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_GONE);
	free(why);
	o = side(503, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_ERROR);
	free(why);
	e = side(304, "\"a1\"", NULL);
	o = side(304, "\"a1\"", NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_FRESH);
	free(why);
	o = side(304, "\"b7\"", NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	free(why);
	o = side(304, NULL, NULL);
	assert_int_equal(cdn_compare(&e, &o, &why), CDN_UNVERIFIED);
	free(why);
	assert_string_equal(cdn_verdict_name(CDN_GONE), "gone");
	assert_string_equal(cdn_verdict_name(CDN_UNVERIFIED), "unverified");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),       cmocka_unit_test(test_varnish_headers),
	    cmocka_unit_test(test_provider_headers),     cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_varnishstat),          cmocka_unit_test(test_need_body),
	    cmocka_unit_test(test_head_block),           cmocka_unit_test(test_html_refs),
	    cmocka_unit_test(test_html_resolve),         cmocka_unit_test(test_compare_capped),
	    cmocka_unit_test(test_compare_left),         cmocka_unit_test(test_compare_whole_validators),
	    cmocka_unit_test(test_compare_gone_and_304),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
