/* cdn-cache: what a response says about the cache that served it, read from
 * every provider's own headers into one status, and the verdict on an edge
 * copy next to the origin's. Pure functions: the unit test feeds them header
 * sets captured from real CDNs and the fuzzer feeds them anything. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/cdn.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

void cdn_side_init(struct cdn_side *s)
{
	memset(s, 0, sizeof(*s));
	s->hdr.content_length = -1;
	s->hdr.age = -1;
	s->hdr.hits = -1;
}

static void cdn_headers_reset(struct cdn_headers *h)
{
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->age = -1;
	h->hits = -1;
}

/* Trims blanks off both ends of v[0..*len). */
static const char *cdn_trim(const char *v, size_t *len)
{
	while (*len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		(*len)--;
	}
	while (*len > 0 && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
		(*len)--;
	return v;
}

/* Copies a value, sanitized, trimmed of blanks. */
static void cdn_copy(char *dst, size_t cap, const char *v, size_t len)
{
	v = cdn_trim(v, &len);
	sanitize_into(dst, cap, v, len);
}

/* A validator: its display copy, and the SHA-256 of its whole raw value,
 * which is what comparisons use (a display copy may be cut). */
static void cdn_copy_validator(char *dst, size_t cap, char hash[65], const char *v, size_t len)
{
	v = cdn_trim(v, &len);
	sanitize_into(dst, cap, v, len);
	cdn_sha256_hex(v, len, hash);
}

/* The cache words of every provider, in one vocabulary. */
static const char *cdn_cache_word(const char *w, size_t len)
{
	static const char *const words[][2] = {
	    {"HIT", "HIT"},
	    {"MISS", "MISS"},
	    {"EXPIRED", "EXPIRED"},
	    {"STALE", "STALE"},
	    {"BYPASS", "BYPASS"},
	    {"REVALIDATED", "REVALIDATED"},
	    {"UPDATING", "UPDATING"},
	    {"DYNAMIC", "DYNAMIC"},
	    {"PASS", "PASS"},
	    {"REFRESH_HIT", "REVALIDATED"},
	    {"RefreshHit", "REVALIDATED"},
	    {"ERROR", "ERROR"},
	    {"NONE", "DYNAMIC"},
	    {"HIT_STALE", "STALE"},
	    {"TCP_HIT", "HIT"},
	    {"TCP_MISS", "MISS"},
	    {"TCP_MEM_HIT", "HIT"},
	};
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (strlen(words[i][0]) == len && strncasecmp(w, words[i][0], len) == 0)
			return words[i][1];
	return NULL;
}

/* cdn_cache_word of a header value that is one word between spaces. */
static const char *cdn_cache_word_trimmed(const char *v, size_t len)
{
	size_t s = 0;
	while (s < len && v[s] == ' ')
		s++;
	while (len > s && v[len - 1] == ' ')
		len--;
	return cdn_cache_word(v + s, len - s);
}

/* X-Cache: "HIT", "MISS, HIT" (Fastly shielding: the last is the edge the
 * client met), "Hit from cloudfront", "TCP_HIT from a23-1" (Akamai). */
static const char *cdn_xcache(const char *v, size_t len)
{
	const char *last = v;
	for (size_t i = 0; i < len; i++)
		if (v[i] == ',')
			last = v + i + 1;
	size_t rest = len - (size_t)(last - v);
	while (rest > 0 && *last == ' ') {
		last++;
		rest--;
	}
	size_t w = 0;
	while (w < rest && last[w] != ' ' && last[w] != ';')
		w++;
	return cdn_cache_word(last, w);
}

/* RFC 9211 Cache-Status: "ExampleCache; hit, Other; fwd=uri-miss; stored".
 * The first member is the cache nearest the client, the one that answered. */
static const char *cdn_cache_status(const char *v, size_t len, double *ttl)
{
	size_t end = 0;
	while (end < len && v[end] != ',')
		end++;
	const char *result = NULL;
	bool stored = false;
	for (size_t i = 0; i < end;) {
		while (i < end && (v[i] == ';' || v[i] == ' '))
			i++;
		size_t s = i;
		while (i < end && v[i] != ';')
			i++;
		size_t l = i - s;
		const char *p = v + s;
		if (l == 3 && strncasecmp(p, "hit", 3) == 0)
			result = "HIT";
		else if (l > 4 && strncasecmp(p, "fwd=", 4) == 0)
			result = l >= 9 && strncasecmp(p + 4, "stale", 5) == 0     ? "EXPIRED"
			         : l >= 10 && strncasecmp(p + 4, "bypass", 6) == 0 ? "BYPASS"
			                                                           : "MISS";
		else if (l == 6 && strncasecmp(p, "stored", 6) == 0)
			stored = true;
		else if (l > 4 && strncasecmp(p, "ttl=", 4) == 0 && ttl != NULL)
			*ttl = strtod(p + 4, NULL);
	}
	(void)stored;
	return result;
}

static bool cdn_name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

static void cdn_header(struct cdn_headers *h, const char *name, size_t nlen, const char *v, size_t vlen,
                       int *rank)
{
	char num[32];
	/* Where several headers name the status, the most specific wins:
	 * Cache-Status and CF-Cache-Status, then X-Cache, then X-Varnish. */
	const char *word = NULL;
	int r = 0;
	if (cdn_name_is(name, nlen, "etag")) {
		cdn_copy_validator(h->etag, sizeof(h->etag), h->etag_hash, v, vlen);
		h->etag_weak = strncmp(h->etag, "W/", 2) == 0;
	} else if (cdn_name_is(name, nlen, "last-modified")) {
		cdn_copy_validator(h->last_modified, sizeof(h->last_modified), h->last_modified_hash, v,
		                   vlen);
	} else if (cdn_name_is(name, nlen, "content-length")) {
		cdn_copy(num, sizeof(num), v, vlen);
		char *end;
		long long n = strtoll(num, &end, 10);
		h->content_length = end != num && *end == '\0' && n >= 0 ? n : -1;
	} else if (cdn_name_is(name, nlen, "content-encoding")) {
		cdn_copy(h->content_encoding, sizeof(h->content_encoding), v, vlen);
		if (strcasecmp(h->content_encoding, "identity") == 0)
			h->content_encoding[0] = '\0';
	} else if (cdn_name_is(name, nlen, "age")) {
		cdn_copy(num, sizeof(num), v, vlen);
		char *end;
		double a = strtod(num, &end);
		h->age = end != num && *end == '\0' && isfinite(a) && a >= 0 ? a : -1;
	} else if (cdn_name_is(name, nlen, "retry-after")) {
		cdn_copy(h->retry_after, sizeof(h->retry_after), v, vlen);
	} else if (cdn_name_is(name, nlen, "location")) {
		cdn_copy(h->location, sizeof(h->location), v, vlen);
	} else if (cdn_name_is(name, nlen, "via")) {
		cdn_copy(h->via, sizeof(h->via), v, vlen);
	} else if (cdn_name_is(name, nlen, "x-served-by") || cdn_name_is(name, nlen, "x-amz-cf-pop")) {
		/* Fastly: "cache-fra-1, cache-lhr-2": the last is the edge. */
		const char *last = v;
		for (size_t i = 0; i < vlen; i++)
			if (v[i] == ',')
				last = v + i + 1;
		cdn_copy(h->served_by, sizeof(h->served_by), last, vlen - (size_t)(last - v));
	} else if (cdn_name_is(name, nlen, "cf-ray") && h->served_by[0] == '\0') {
		const char *dash = memchr(v, '-', vlen);
		if (dash != NULL)
			cdn_copy(h->served_by, sizeof(h->served_by), dash + 1, vlen - (size_t)(dash + 1 - v));
	} else if (cdn_name_is(name, nlen, "x-cache-hits")) {
		const char *last = v;
		for (size_t i = 0; i < vlen; i++)
			if (v[i] == ',')
				last = v + i + 1;
		cdn_copy(num, sizeof(num), last, vlen - (size_t)(last - v));
		char *end;
		long n = strtol(num, &end, 10);
		h->hits = end != num && *end == '\0' && n >= 0 ? n : -1;
	} else if (cdn_name_is(name, nlen, "cache-status")) {
		word = cdn_cache_status(v, vlen, NULL);
		r = 4;
	} else if (cdn_name_is(name, nlen, "cf-cache-status")) {
		word = cdn_cache_word_trimmed(v, vlen);
		r = 4;
	} else if (cdn_name_is(name, nlen, "x-cache")) {
		word = cdn_xcache(v, vlen);
		r = 3;
	} else if (cdn_name_is(name, nlen, "x-cache-status")) { /* nginx's $upstream_cache_status */
		word = cdn_cache_word_trimmed(v, vlen);
		r = 3;
	} else if (cdn_name_is(name, nlen, "x-varnish")) {
		/* "32770 3" names the request and the object it hit; one id: a miss or pass. */
		bool space = false, digits_after = false;
		size_t i = 0;
		while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
			i++;
		for (; i < vlen; i++) {
			if (v[i] == ' ')
				space = true;
			else if (space && isdigit((unsigned char)v[i]))
				digits_after = true;
		}
		word = digits_after ? "HIT" : "MISS";
		r = 1;
	}
	if (word != NULL && r >= *rank) {
		snprintf(h->cache, sizeof(h->cache), "%s", word);
		*rank = r;
	}
}

void cdn_headers_parse(const char *block, size_t len, struct cdn_headers *h)
{
	cdn_headers_reset(h);
	int rank = 0;
	size_t i = 0;
	while (i < len) {
		size_t s = i;
		while (i < len && block[i] != '\n')
			i++;
		size_t e = i;
		if (i < len)
			i++;
		if (e > s && block[e - 1] == '\r')
			e--;
		const char *line = block + s;
		size_t l = e - s;
		if (l >= 5 && strncmp(line, "HTTP/", 5) == 0) {
			/* A new response (after a redirect or a 100): start over. */
			cdn_headers_reset(h);
			rank = 0;
			continue;
		}
		const char *colon = memchr(line, ':', l);
		if (colon == NULL || colon == line)
			continue;
		size_t nlen = (size_t)(colon - line);
		if (memchr(line, ' ', nlen) != NULL || memchr(line, '\t', nlen) != NULL)
			continue;
		cdn_header(h, line, nlen, colon + 1, l - nlen - 1, &rank);
	}
}

/* "2 h", "14 min", "35 s": for reasons people read. */
static void cdn_span(double s, char *buf, size_t cap)
{
	if (s >= 2 * 86400)
		snprintf(buf, cap, "%.0f d", floor(s / 86400));
	else if (s >= 2 * 3600)
		snprintf(buf, cap, "%.0f h", floor(s / 3600));
	else if (s >= 120)
		snprintf(buf, cap, "%.0f min", floor(s / 60));
	else
		snprintf(buf, cap, "%.0f s", s);
}

static char *cdn_reason(const struct cdn_side *edge, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *cdn_reason(const struct cdn_side *edge, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *base = xvasprintf(fmt, ap);
	va_end(ap);
	if (edge != NULL && edge->hdr.age >= 0) {
		char span[32];
		cdn_span(edge->hdr.age, span, sizeof(span));
		char *with = xasprintf("%s, edge copy %s old (Age %.0f)", base, span, edge->hdr.age);
		free(base);
		base = with;
	}
	char *out = sanitize_str(base);
	free(base);
	return out;
}

/* "2 MiB", "640 KiB", "300 B": sizes people read. */
static void cdn_size(size_t n, char *buf, size_t cap)
{
	if (n >= (1u << 20))
		snprintf(buf, cap, "%.3g MiB", (double)n / (1u << 20));
	else if (n >= 1024)
		snprintf(buf, cap, "%.3g KiB", (double)n / 1024);
	else
		snprintf(buf, cap, "%zu B", n);
}

static bool cdn_ok(long status)
{
	return status >= 200 && status < 300;
}

static bool cdn_gone(long status)
{
	return status == 404 || status == 410;
}

/* Both sides sent this validator (its hash). */
static bool cdn_both(const char *e, const char *o)
{
	return e[0] != '\0' && o[0] != '\0';
}

/* Strong ETags on both sides. */
static bool cdn_strong_etags(const struct cdn_headers *e, const struct cdn_headers *o)
{
	return cdn_both(e->etag_hash, o->etag_hash) && !e->etag_weak && !o->etag_weak;
}

/* " (they differ past what is shown: SHA-256 1a2b... != 3c4d...)" when the
 * display copies of two different validators read the same, else "". */
static void cdn_differ_note(const char *e_shown, const char *o_shown, const char *e_hash, const char *o_hash,
                            char *buf, size_t cap)
{
	buf[0] = '\0';
	if (strcmp(e_shown, o_shown) == 0)
		snprintf(buf, cap, " (they differ past what is shown: SHA-256 %.12s != %.12s)", e_hash,
		         o_hash);
}

enum cdn_verdict cdn_compare(const struct cdn_side *edge, const struct cdn_side *origin, char **reason)
{
	*reason = NULL;
	if (edge->status == 0) {
		*reason = cdn_reason(NULL, "edge: %s", edge->error != NULL ? edge->error : "no answer");
		return CDN_ERROR;
	}
	if (origin->status == 0) {
		*reason = cdn_reason(NULL, "origin: %s", origin->error != NULL ? origin->error : "no answer");
		return CDN_ERROR;
	}
	if (edge->left != NULL) {
		if (cdn_ok(origin->status) && origin->redirects == 0) {
			*reason = cdn_reason(edge,
			                     "edge redirects off the edge (%ld to %s), origin answers %ld "
			                     "without a redirect",
			                     edge->status, edge->left, origin->status);
			return CDN_STALE;
		}
		*reason = cdn_reason(NULL,
		                     "edge redirects off the edge (%ld to %s): users leave the CDN; origin "
		                     "%ld%s",
		                     edge->status, edge->left, origin->status,
		                     origin->redirects > 0 ? " after its own redirect (an absolute redirect "
		                                             "naming the origin's host?)"
		                                           : "");
		return CDN_ERROR;
	}
	const struct cdn_headers *e = &edge->hdr, *o = &origin->hdr;
	if (cdn_gone(edge->status)) {
		if (cdn_ok(origin->status)) {
			*reason =
			    cdn_reason(NULL, "edge answers %ld, origin %ld", edge->status, origin->status);
			return CDN_MISSING;
		}
		if (cdn_gone(origin->status)) {
			/* Nothing at either side: nothing was compared, so not fresh. */
			*reason = cdn_reason(
			    NULL, "edge and origin answer %ld/%ld: gone at both, nothing to compare",
			    edge->status, origin->status);
			return CDN_GONE;
		}
		*reason = cdn_reason(NULL, "edge answers %ld, origin %ld", edge->status, origin->status);
		return CDN_ERROR;
	}
	if (cdn_ok(edge->status) && cdn_gone(origin->status)) {
		*reason = cdn_reason(edge, "edge still serves a copy the origin no longer has (origin %ld)",
		                     origin->status);
		return CDN_STALE;
	}
	if (edge->status == 304 && origin->status == 304) {
		/* Both revalidated a copy: the same one only when the strong ETags agree. */
		if (cdn_strong_etags(e, o) && strcmp(e->etag_hash, o->etag_hash) == 0) {
			*reason = cdn_reason(NULL, "both answer 304 with the same ETag %s", e->etag);
			return CDN_FRESH;
		}
		*reason = cdn_reason(NULL, "both answer 304 without the same strong ETag: not compared");
		return CDN_UNVERIFIED;
	}
	if (!cdn_ok(edge->status) || !cdn_ok(origin->status)) {
		*reason = cdn_reason(NULL, "edge answers %ld, origin %ld", edge->status, origin->status);
		return CDN_ERROR;
	}
	char note[128];
	if (cdn_strong_etags(e, o)) {
		if (strcmp(e->etag_hash, o->etag_hash) != 0) {
			cdn_differ_note(e->etag, o->etag, e->etag_hash, o->etag_hash, note, sizeof(note));
			*reason = cdn_reason(edge, "edge ETag %s != origin %s%s", e->etag, o->etag, note);
			return CDN_STALE;
		}
		*reason = cdn_reason(NULL, "same ETag %s", e->etag);
		return CDN_FRESH;
	}
	bool lm_both = cdn_both(e->last_modified_hash, o->last_modified_hash);
	bool lm_same = lm_both && strcmp(e->last_modified_hash, o->last_modified_hash) == 0;
	if (lm_both && !lm_same) {
		cdn_differ_note(e->last_modified, o->last_modified, e->last_modified_hash,
		                o->last_modified_hash, note, sizeof(note));
		*reason = cdn_reason(edge, "edge Last-Modified %s != origin %s%s", e->last_modified,
		                     o->last_modified, note);
		return CDN_STALE;
	}
	if (e->content_length >= 0 && o->content_length >= 0 && e->content_length != o->content_length &&
	    strcasecmp(e->content_encoding, o->content_encoding) == 0) {
		*reason = cdn_reason(edge, "edge Content-Length %lld != origin %lld", e->content_length,
		                     o->content_length);
		return CDN_STALE;
	}
	if (edge->have_hash && origin->have_hash) {
		bool capped = edge->hash_capped || origin->hash_capped;
		char cap[32] = "";
		if (capped)
			cdn_size(edge->body_len < origin->body_len ? edge->body_len : origin->body_len, cap,
			         sizeof(cap));
		if (strcmp(edge->hash, origin->hash) != 0) {
			*reason =
			    cdn_reason(edge, "edge body SHA-256 %.12s != origin %.12s%s%s%s", edge->hash,
			               origin->hash, capped ? " (first " : "", cap, capped ? " hashed)" : "");
			return CDN_STALE;
		}
		if (!capped) {
			*reason = cdn_reason(NULL, "same body (SHA-256 %.12s)", edge->hash);
			return CDN_FRESH;
		}
		/* Past the cap the bodies were not compared: only a validator that
		 * agrees makes it fresh; a length is no validator. */
		if (lm_same) {
			bool cl = e->content_length >= 0 && o->content_length >= 0 &&
			          strcasecmp(e->content_encoding, o->content_encoding) == 0;
			char len[32] = "";
			if (cl)
				cdn_size((size_t)e->content_length, len, sizeof(len));
			*reason =
			    cdn_reason(NULL,
			               "same Last-Modified %s%s%s; body too big to hash whole, first %s "
			               "the same (SHA-256 %.12s)",
			               e->last_modified, cl ? " and length " : "", len, cap, edge->hash);
			return CDN_FRESH;
		}
		*reason = cdn_reason(NULL,
		                     "unverified: first %s the same (SHA-256 %.12s), the rest not compared "
		                     "and no validator (raise max_hash_bytes)",
		                     cap, edge->hash);
		return CDN_UNVERIFIED;
	}
	if (lm_same) {
		*reason = cdn_reason(NULL, "same Last-Modified %s", e->last_modified);
		return CDN_FRESH;
	}
	*reason =
	    cdn_reason(NULL, "unverified: no validator to compare (no strong ETag, Last-Modified or body)");
	return CDN_UNVERIFIED;
}

bool cdn_need_body(const struct cdn_side *edge, const struct cdn_side *origin)
{
	/* A server that refuses HEAD is asked again with GET. */
	if (edge->status == 405 || edge->status == 501 || origin->status == 405 || origin->status == 501)
		return true;
	if (!cdn_ok(edge->status) || !cdn_ok(origin->status))
		return false;
	const struct cdn_headers *e = &edge->hdr, *o = &origin->hdr;
	if (cdn_strong_etags(e, o))
		return false;
	if (cdn_both(e->last_modified_hash, o->last_modified_hash) &&
	    strcmp(e->last_modified_hash, o->last_modified_hash) != 0)
		return false;
	if (e->content_length >= 0 && o->content_length >= 0 && e->content_length != o->content_length &&
	    strcasecmp(e->content_encoding, o->content_encoding) == 0)
		return false;
	return true;
}
