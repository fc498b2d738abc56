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

#include "backends/cdn.h"
#include "sitrep/core/sanitize.h"

/* A snippet shows at most this many bytes of the body's first line, and
 * reads at most CDN_SNIPPET_SCAN of it (masked whole, then cut). */
#define CDN_SNIPPET_MAX  80
#define CDN_SNIPPET_SCAN 8192
#include "sitrep/core/util.h"

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

enum cdn_syntax cdn_body_syntax(const char *content_type, const char *tmpl)
{
	const char *ct = content_type != NULL ? content_type : "";
	/* the media type alone, before any "; charset=..." */
	size_t n = strcspn(ct, ";");
	char *type = xasprintf("%.*s", (int)n, ct);
	for (char *c = type; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	enum cdn_syntax syn = CDN_SYNTAX_TEXT;
	if (strstr(type, "json") != NULL)
		syn = CDN_SYNTAX_JSON;
	else if (strstr(type, "x-www-form-urlencoded") != NULL)
		syn = CDN_SYNTAX_FORM;
	else if (strstr(type, "xml") != NULL)
		syn = CDN_SYNTAX_XML;
	else if (tmpl != NULL &&
	         (tmpl[strspn(tmpl, " \t\r\n")] == '{' || tmpl[strspn(tmpl, " \t\r\n")] == '['))
		syn = CDN_SYNTAX_JSON; /* a body written as JSON is JSON, whatever it is labelled */
	free(type);
	return syn;
}

/* s as the inside of a JSON string: '"', '\\' and controls escaped. */
static char *cdn_json_escape(const char *s)
{
	char *out = xmalloc(strlen(s) * 6 + 1), *o = out;
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\') {
			*o++ = '\\';
			*o++ = (char)*c;
		} else if (*c < 0x20 || *c == 0x7f) {
			o += sprintf(o, "\\u%04x", *c);
		} else {
			*o++ = (char)*c;
		}
	}
	*o = '\0';
	return out;
}

/* s as XML character data or an attribute value. */
static char *cdn_xml_escape(const char *s)
{
	char *out = xstrdup("");
	for (const char *c = s; *c != '\0'; c++) {
		const char *e = *c == '&'    ? "&amp;"
		                : *c == '<'  ? "&lt;"
		                : *c == '>'  ? "&gt;"
		                : *c == '"'  ? "&quot;"
		                : *c == '\'' ? "&apos;"
		                             : NULL;
		out = e != NULL ? cdn_append(out, e, strlen(e)) : cdn_append(out, c, 1);
	}
	return out;
}

/* Where the template has got to: what a value placed here must respect. */
struct cdn_tmpl_pos {
	enum cdn_syntax syn;
	bool in_query;  /* URL: past the template's own '?' or '#' */
	bool in_string; /* JSON: inside a string of the template */
	bool escaped;   /* JSON: the previous byte was a backslash inside a string */
};

static void cdn_tmpl_advance(struct cdn_tmpl_pos *pos, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pos->syn == CDN_SYNTAX_URL && (s[i] == '?' || s[i] == '#'))
			pos->in_query = true;
		if (pos->syn != CDN_SYNTAX_JSON)
			continue;
		if (pos->escaped)
			pos->escaped = false;
		else if (pos->in_string && s[i] == '\\')
			pos->escaped = true;
		else if (s[i] == '"')
			pos->in_string = !pos->in_string;
	}
}

/* A placeholder's value v (owned, consumed) as the template's syntax needs
 * it at pos. Caller frees. */
static char *cdn_tmpl_value(const struct cdn_tmpl_pos *pos, char *v)
{
	char *out;
	switch (pos->syn) {
	case CDN_SYNTAX_URL:
		if (!pos->in_query)
			return v;
		out = http_urlencode("", v);
		break;
	case CDN_SYNTAX_FORM: out = http_urlencode("", v); break;
	case CDN_SYNTAX_XML: out = cdn_xml_escape(v); break;
	case CDN_SYNTAX_JSON: {
		char *esc = cdn_json_escape(v);
		out = pos->in_string ? xstrdup(esc) : xasprintf("\"%s\"", esc);
		free(esc);
		break;
	}
	case CDN_SYNTAX_TEXT:
	default: return v;
	}
	free(v);
	return out;
}

char *cdn_template_in(const char *tmpl, const char *base, const char *path, enum cdn_syntax syn)
{
	struct cdn_tmpl_pos pos = {.syn = syn};
	/* A path is always put in its URL form (idempotent: the source hands
	 * over that form already), so no byte of it is a control, a quote or a
	 * byte past ASCII; then escaped for where it lands. */
	char *upath = cdn_url_path(path);
	char *out = xstrdup("");
	for (const char *p = tmpl; *p != '\0';) {
		const char *open = strchr(p, '{');
		if (open == NULL) {
			out = cdn_append(out, p, strlen(p));
			break;
		}
		out = cdn_append(out, p, (size_t)(open - p));
		cdn_tmpl_advance(&pos, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		size_t n = close != NULL ? (size_t)(close - open - 1) : 0;
		char *v = NULL;
		if (close != NULL && n == 4 && strncmp(open + 1, "path", 4) == 0)
			v = xstrdup(upath);
		else if (close != NULL && n == 12 && strncmp(open + 1, "path_encoded", 12) == 0)
			v = http_urlencode("", upath);
		else if (close != NULL && n == 4 && strncmp(open + 1, "host", 4) == 0)
			v = cdn_url_host(base);
		else if (close != NULL && n == 3 && strncmp(open + 1, "url", 3) == 0)
			v = xasprintf("%s%s", base, upath);
		if (v == NULL) { /* not a placeholder: kept as written */
			out = cdn_append(out, "{", 1);
			cdn_tmpl_advance(&pos, "{", 1);
			p = open + 1;
			continue;
		}
		v = cdn_tmpl_value(&pos, v);
		out = cdn_append(out, v, strlen(v));
		free(v);
		p = close + 1;
	}
	free(upath);
	return out;
}

char *cdn_template(const char *tmpl, const char *base, const char *path)
{
	return cdn_template_in(tmpl, base, path, CDN_SYNTAX_URL);
}

void cdn_body_snippet(const char *body, size_t len, char *buf, size_t cap)
{
	while (len > 0 && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	/* The first line whole (up to a bound), so the sanitizer masks every
	 * secret in it before it cuts the text to what is shown: a cut made
	 * first could leave a piece of a secret too short to be recognised. */
	size_t n = 0;
	while (n < len && n < CDN_SNIPPET_SCAN && body[n] != '\n' && body[n] != '\r')
		n++;
	if (n == 0) {
		snprintf(buf, cap, "an empty body");
		return;
	}
	char tmp[CDN_SNIPPET_MAX + sizeof(SANITIZE_CUT_MARK)];
	sanitize_into(tmp, sizeof(tmp), body, n);
	bool cut = strstr(tmp, SANITIZE_CUT_MARK) != NULL;
	snprintf(buf, cap, "\"%s%s\"", tmp, n < len && !cut ? "..." : "");
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
