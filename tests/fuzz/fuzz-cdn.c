/* fuzz-cdn: the cdn probe's readers of outside input: a response's header
 * block (every provider's cache headers into one status), the verdict made
 * from two of them, and varnishstat's JSON. */
#include <stdlib.h>
#include <string.h>

#include "backends/cdnprobe.h"
#include "fuzz.h"

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
	struct varnish_stats st;
	char err[200];
	if (varnish_parse_stats(text, size, &st, err, sizeof(err)) == 0 && (st.hit < 0 || st.miss < 0))
		abort();
	return 0;
}
