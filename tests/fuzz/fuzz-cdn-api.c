/* fuzz-cdn-api: what the CDN providers share (backends/cdn-api.c) on
 * outside bytes: the snippet of a provider's error body a refusal quotes,
 * the request templates filled with a path (discover reads paths from the
 * origin's pages) and the host of a URL. Invariants: a snippet is one inert
 * quoted line within its buffer; {path_encoded} leaves only unreserved
 * bytes and %XX; {host} never reaches into the path, query or fragment. */
#include <stdlib.h>
#include <string.h>

#include "backends/cdn.h"
#include "fuzz.h"
#include "sitrep/core/util.h"

static void fuzz_cdn_api_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

static void fuzz_cdn_api_encoded(const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '%') {
			if (strspn(p + 1, "0123456789ABCDEFabcdef") < 2)
				abort();
			continue;
		}
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", *p) == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[120];
	cdn_body_snippet((const char *)data, size, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	fuzz_cdn_api_inert(buf);

	char *text = xstrndup((const char *)data, size); /* up to a NUL, as a C string */
	char *enc = cdn_template("{path_encoded}", "http://127.0.0.1:6081", text);
	fuzz_cdn_api_encoded(enc);
	free(enc);
	/* the template itself may come from the config: any placeholder, any text */
	char *filled = cdn_template(text, "http://127.0.0.1:6081", "/static/app.js");
	free(filled);
	char *url = xasprintf("http://%s", text);
	char *host = cdn_url_host(url);
	/* (a base URL is the config's: a second '@' in its userinfo is not checked) */
	if (strchr(host, '/') != NULL || strchr(host, '?') != NULL || strchr(host, '#') != NULL)
		abort();
	free(host);
	free(url);
	free(text);
	return 0;
}
