/* cdn-api: what the cdn providers share: header lists that may carry a
 * key (and how such a header is shown), API URLs read from the config, the
 * path templates of the generic http provider, and a short, inert excerpt of
 * an answer that is not what the API documents. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/cdnprobe.h"
#include "sitrep/sanitize.h"
#include "sitrep/util.h"

char **cdn_header_list(size_t n, ...)
{
	char **out = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		const char *h = va_arg(ap, const char *);
		if (h != NULL)
			out[k++] = xstrdup(h);
	}
	va_end(ap);
	return out;
}

bool cdn_header_is_secret(const char *line)
{
	static const char *const names[] = {
	    "Authorization:", "Fastly-Key:", "X-Auth-Key:", "X-Api-Key:", "Cookie:", "Proxy-Authorization:"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strncasecmp(line, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

int cdn_config_url(struct config_ctx *ctx, struct jnode *node, const char *key, const char *def, char **out)
{
	if (config_get_string(ctx, node, key, def == NULL, def, out) != 0)
		return -1;
	if (strncmp(*out, "http://", 7) != 0 && strncmp(*out, "https://", 8) != 0)
		return config_fail(ctx, jsonc_get(node, key), "expected an http:// or https:// URL");
	if (strpbrk(*out, " \t\r\n") != NULL)
		return config_fail(ctx, jsonc_get(node, key), "a URL without blanks");
	size_t n = strlen(*out);
	while (n > 8 && (*out)[n - 1] == '/')
		(*out)[--n] = '\0';
	sanitize_add_url_secret(*out);
	return 0;
}

static bool cdn_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char *cdn_url_path(const char *raw)
{
	static const char hexd[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(raw) * 3 + 1), *o = out;
	for (const unsigned char *s = (const unsigned char *)raw; *s != '\0'; s++) {
		bool keep = *s > 0x20 && *s < 0x7F && strchr("\"#<>\\^`{|}", *s) == NULL &&
		            (*s != '%' || (cdn_hex((char)s[1]) && cdn_hex((char)s[2])));
		if (keep) {
			*o++ = (char)*s;
		} else {
			*o++ = '%';
			*o++ = hexd[*s >> 4];
			*o++ = hexd[*s & 15];
		}
	}
	*o = '\0';
	return out;
}

char *cdn_url_host(const char *url)
{
	const char *h = strstr(url, "://");
	h = h != NULL ? h + 3 : url;
	const char *at = strchr(h, '@');
	const char *slash = strchr(h, '/');
	if (at != NULL && (slash == NULL || at < slash))
		h = at + 1;
	size_t n = strcspn(h, "/?#");
	return xasprintf("%.*s", (int)n, h);
}

static char *cdn_append(char *out, const char *s, size_t n)
{
	size_t len = strlen(out);
	out = xrealloc(out, len + n + 1);
	memcpy(out + len, s, n);
	out[len + n] = '\0';
	return out;
}

char *cdn_template(const char *tmpl, const char *base, const char *path)
{
	char *out = xstrdup("");
	for (const char *p = tmpl; *p != '\0';) {
		const char *open = strchr(p, '{');
		if (open == NULL) {
			out = cdn_append(out, p, strlen(p));
			break;
		}
		out = cdn_append(out, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		size_t n = close != NULL ? (size_t)(close - open - 1) : 0;
		char *v = NULL;
		if (close != NULL && n == 4 && strncmp(open + 1, "path", 4) == 0)
			v = xstrdup(path);
		else if (close != NULL && n == 12 && strncmp(open + 1, "path_encoded", 12) == 0)
			v = http_urlencode("", path);
		else if (close != NULL && n == 4 && strncmp(open + 1, "host", 4) == 0)
			v = cdn_url_host(base);
		else if (close != NULL && n == 3 && strncmp(open + 1, "url", 3) == 0)
			v = xasprintf("%s%s", base, path);
		if (v == NULL) { /* not a placeholder: kept as written */
			out = cdn_append(out, "{", 1);
			p = open + 1;
			continue;
		}
		out = cdn_append(out, v, strlen(v));
		free(v);
		p = close + 1;
	}
	return out;
}

void cdn_body_snippet(const char *body, size_t len, char *buf, size_t cap)
{
	while (len > 0 && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	size_t n = 0;
	while (n < len && n < 80 && body[n] != '\n' && body[n] != '\r')
		n++;
	if (n == 0) {
		snprintf(buf, cap, "an empty body");
		return;
	}
	char tmp[256];
	sanitize_into(tmp, sizeof(tmp), body, n);
	snprintf(buf, cap, "\"%s%s\"", tmp, n < len ? "..." : "");
}

int cdn_answer_transport(const struct http_resp *resp, const char *who, char *err, size_t cap)
{
	if (resp->error == NULL)
		return 0;
	char why[256];
	sanitize_into(why, sizeof(why), resp->error, strlen(resp->error));
	snprintf(err, cap, "%s: %s", who, why);
	return -1;
}
