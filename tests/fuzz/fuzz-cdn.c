/* fuzz-cdn: the cdn probe's readers of outside input: a response's header
 * block (every provider's cache headers into one status), the verdict made
 * from two of them, varnishstat's JSON, the purge APIs' answers, and the
 * pages "discover" reads (each reference resolved as a path of the site). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cdnprobe.h"
#include "fuzz.h"

static void fuzz_cdn_ref(const char *ref, void *arg)
{
	(void)arg;
	char *path = cdn_html_resolve("http://127.0.0.1:8080", "/shop/booking", ref);
	if (path == NULL)
		return;
	/* What discover keeps is a path of the site, without spaces or controls. */
	if (path[0] != '/')
		abort();
	for (const char *c = path; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			abort();
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct cdn_side e, o;
	cdn_side_init(&e);
	cdn_side_init(&o);
	cdn_headers_parse(text, size, &e.hdr);
	/* The second half as the origin's answer. */
	cdn_headers_parse(text + size / 2, size - size / 2, &o.hdr);
	for (const char *s = e.hdr.etag; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			abort();
	if (strlen(e.hdr.cache) >= sizeof(e.hdr.cache))
		abort();
	e.status = o.status = 200;
	char *why = NULL;
	enum cdn_verdict v = cdn_compare(&e, &o, &why);
	if (why == NULL || (v != CDN_FRESH && v != CDN_STALE && v != CDN_MISSING && v != CDN_ERROR))
		abort();
	free(why);
	/* The purge APIs' answers: accepted with an id, or refused with a reason. */
	int (*const answers[])(long, const char *, size_t, char **, char *, size_t) = {
	    cloudflare_parse_answer, fastly_parse_answer, cloudfront_parse_answer};
	for (size_t i = 0; i < 3; i++) {
		char *id = NULL;
		char why2[300] = "";
		int rc =
		    answers[i](size > 0 ? 200 + data[0] % 300 : 200, text, size, &id, why2, sizeof(why2));
		if ((rc == 0) != (why2[0] == '\0') && rc != 0)
			abort();
		free(id);
	}
	bool body = cdn_need_body(&e, &o);
	(void)body;
	cdn_html_refs(text, size, fuzz_cdn_ref, NULL);
	struct varnish_stats st;
	char err[200];
	if (varnish_parse_stats(text, size, &st, err, sizeof(err)) == 0 && (st.hit < 0 || st.miss < 0))
		abort();
	return 0;
}
