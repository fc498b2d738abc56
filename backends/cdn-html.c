/* cdn-html: what a page makes a browser fetch, for the cdn pane's
 * "discover". Reads hostile HTML without building a tree: a scan for <script
 * src> and <link rel=stylesheet|preload|modulepreload href>, skipping
 * comments and the raw text of <script> and <style>, then each reference
 * resolved against the page and kept only when it stays on the site (a
 * relative URL, or an absolute one with the same scheme, host and port).
 * Pure, so the unit tests and the fuzzer reach it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/cdn.h"
#include "sitrep/core/util.h"

#define CDN_HTML_MAX_ATTR 2048

static bool cdn_html_prefix(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);
	return n >= wl && strncasecmp(s, word, wl) == 0;
}

/* Where the raw text of <script> or <style> ends: past its closing tag. */
static size_t cdn_html_skip_raw(const char *h, size_t len, size_t i, const char *tag)
{
	size_t tl = strlen(tag);
	for (; i + 2 + tl <= len; i++)
		if (h[i] == '<' && h[i + 1] == '/' && strncasecmp(h + i + 2, tag, tl) == 0)
			return i;
	return len;
}

/* A few entities a URL in an attribute carries (&amp; above all). */
static void cdn_html_unescape(char *s)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''},
	            {"&lt;", '<'},  {"&gt;", '>'},   {"&#38;", '&'}};
	char *w = s;
	for (const char *r = s; *r != '\0';) {
		bool done = false;
		for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
			size_t n = strlen(ents[k].name);
			if (strncasecmp(r, ents[k].name, n) == 0) {
				*w++ = ents[k].c;
				r += n;
				done = true;
			}
		}
		if (!done)
			*w++ = *r++;
	}
	*w = '\0';
}

/* Whether the space-separated rel list names a stylesheet or a preload. */
static bool cdn_html_rel_wanted(const char *rel)
{
	const char *p = rel;
	while (*p != '\0') {
		while (*p != '\0' && isspace((unsigned char)*p))
			p++;
		size_t n = 0;
		while (p[n] != '\0' && !isspace((unsigned char)p[n]))
			n++;
		if ((n == 10 && strncasecmp(p, "stylesheet", n) == 0) ||
		    (n == 7 && strncasecmp(p, "preload", n) == 0) ||
		    (n == 13 && strncasecmp(p, "modulepreload", n) == 0))
			return true;
		p += n;
	}
	return false;
}

size_t cdn_html_refs(const char *h, size_t len, cdn_html_ref_cb cb, void *arg)
{
	size_t found = 0;
	size_t i = 0;
	while (i < len) {
		const char *lt = memchr(h + i, '<', len - i);
		if (lt == NULL)
			break;
		i = (size_t)(lt - h) + 1;
		if (cdn_html_prefix(h + i, len - i, "!--")) {
			size_t j = i + 3;
			while (j + 3 <= len && memcmp(h + j, "-->", 3) != 0)
				j++;
			i = j + 3 <= len ? j + 3 : len;
			continue;
		}
		size_t ns = i;
		while (i < len && isalnum((unsigned char)h[i]))
			i++;
		size_t nl = i - ns;
		bool script = nl == 6 && strncasecmp(h + ns, "script", 6) == 0;
		bool link = nl == 4 && strncasecmp(h + ns, "link", 4) == 0;
		bool style = nl == 5 && strncasecmp(h + ns, "style", 5) == 0;
		if (nl == 0 || i >= len || !(isspace((unsigned char)h[i]) || h[i] == '>' || h[i] == '/'))
			continue;
		/* The attributes, up to the tag's '>'. */
		char src[CDN_HTML_MAX_ATTR] = "", href[CDN_HTML_MAX_ATTR] = "", rel[256] = "";
		bool has_src = false, has_href = false;
		while (i < len && h[i] != '>') {
			if (isspace((unsigned char)h[i]) || h[i] == '/') {
				i++;
				continue;
			}
			size_t as = i;
			while (i < len && !isspace((unsigned char)h[i]) && h[i] != '=' && h[i] != '>' &&
			       h[i] != '/')
				i++;
			size_t al = i - as;
			while (i < len && isspace((unsigned char)h[i]))
				i++;
			size_t vs = i, vl = 0;
			if (i < len && h[i] == '=') {
				i++;
				while (i < len && isspace((unsigned char)h[i]))
					i++;
				if (i < len && (h[i] == '"' || h[i] == '\'')) {
					char q = h[i++];
					vs = i;
					while (i < len && h[i] != q)
						i++;
					vl = i - vs;
					if (i < len)
						i++;
				} else {
					vs = i;
					while (i < len && !isspace((unsigned char)h[i]) && h[i] != '>')
						i++;
					vl = i - vs;
				}
			}
			char *slot = NULL;
			size_t cap = 0;
			if (al == 3 && strncasecmp(h + as, "src", 3) == 0 && !has_src) {
				slot = src, cap = sizeof(src), has_src = true;
			} else if (al == 4 && strncasecmp(h + as, "href", 4) == 0 && !has_href) {
				slot = href, cap = sizeof(href), has_href = true;
			} else if (al == 3 && strncasecmp(h + as, "rel", 3) == 0 && rel[0] == '\0') {
				slot = rel, cap = sizeof(rel);
			}
			if (slot != NULL && vl < cap) {
				memcpy(slot, h + vs, vl);
				slot[vl] = '\0';
			} else if (slot != NULL) {
				slot[0] = '\0'; /* too long to be a path worth probing */
			}
		}
		if (i < len)
			i++;
		const char *ref = NULL;
		if (script && has_src && src[0] != '\0')
			ref = src;
		else if (link && has_href && href[0] != '\0' && cdn_html_rel_wanted(rel))
			ref = href;
		if (ref != NULL) {
			char buf[CDN_HTML_MAX_ATTR];
			snprintf(buf, sizeof(buf), "%s", ref);
			cdn_html_unescape(buf);
			found++;
			if (cb != NULL)
				cb(buf, arg);
		}
		if (script)
			i = cdn_html_skip_raw(h, len, i, "script");
		else if (style)
			i = cdn_html_skip_raw(h, len, i, "style");
	}
	return found;
}

/* Scheme, host (lower case) and port of an http(s) URL; the rest in *rest. */
static bool cdn_html_split(const char *url, char *scheme, size_t scap, char *hostport, size_t hcap,
                           const char **rest)
{
	const char *p = strstr(url, "://");
	if (p == NULL || (size_t)(p - url) >= scap)
		return false;
	memcpy(scheme, url, (size_t)(p - url));
	scheme[p - url] = '\0';
	for (char *c = scheme; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	bool https = strcmp(scheme, "https") == 0;
	if (!https && strcmp(scheme, "http") != 0)
		return false;
	p += 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	if (at != NULL) /* userinfo is not part of who answers */
		n -= (size_t)(at + 1 - p), p = at + 1;
	if (n == 0 || n + 5 >= hcap)
		return false;
	memcpy(hostport, p, n);
	hostport[n] = '\0';
	for (char *c = hostport; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strchr(hostport[0] == '[' ? strchr(hostport, ']') : hostport, ':') == NULL)
		strcat(hostport, https ? ":443" : ":80");
	*rest = p + n;
	return true;
}

/* Removes "." and ".." segments of an absolute path, in place. */
static void cdn_html_dots(char *path)
{
	char *out = path;
	const char *r = path;
	while (*r != '\0') {
		/* r is at a '/' */
		const char *seg = r + 1;
		size_t n = strcspn(seg, "/");
		if (n == 1 && seg[0] == '.') {
			r = seg + 1;
			if (*r == '\0')
				*out++ = '/';
			continue;
		}
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			r = seg + 2;
			if (*r == '\0')
				*out++ = '/';
			continue;
		}
		memmove(out, r, n + 1);
		out += n + 1;
		r = seg + n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

char *cdn_html_resolve(const char *base, const char *page, const char *ref)
{
	while (isspace((unsigned char)*ref))
		ref++;
	size_t rl = strcspn(ref, "#");
	while (rl > 0 && isspace((unsigned char)ref[rl - 1]))
		rl--;
	if (rl == 0 || rl >= CDN_HTML_MAX_ATTR)
		return NULL;
	char r[CDN_HTML_MAX_ATTR];
	memcpy(r, ref, rl);
	r[rl] = '\0';
	char bscheme[16], bhost[300];
	const char *bpath;
	if (!cdn_html_split(base, bscheme, sizeof(bscheme), bhost, sizeof(bhost), &bpath))
		return NULL;
	char *path = NULL;
	if (r[0] == '/' && r[1] == '/') {
		/* Scheme-relative: the page's scheme, another host maybe. */
		char *abs = xasprintf("%s:%s", bscheme, r);
		char s[16], hp[300];
		const char *rest;
		bool same =
		    cdn_html_split(abs, s, sizeof(s), hp, sizeof(hp), &rest) && strcmp(hp, bhost) == 0;
		path = same ? xstrdup(rest) : NULL;
		free(abs);
		if (path == NULL)
			return NULL;
	} else if (r[0] == '/') {
		path = xstrdup(r);
	} else {
		size_t sl = strcspn(r, ":/?");
		if (r[sl] == ':') {
			char s[16], hp[300];
			const char *rest;
			if (!cdn_html_split(r, s, sizeof(s), hp, sizeof(hp), &rest) ||
			    strcmp(s, bscheme) != 0 || strcmp(hp, bhost) != 0)
				return NULL; /* another site, or data:, javascript:, ... */
			path = xstrdup(rest);
		} else {
			/* Relative to the page's directory (its path up to the last '/'). */
			size_t dl = strcspn(page, "?");
			while (dl > 0 && page[dl - 1] != '/')
				dl--;
			path = xasprintf("%.*s%s", (int)dl, dl > 0 ? page : "/", r);
		}
	}
	(void)bpath;
	if (path[0] == '\0') {
		free(path);
		path = xstrdup("/");
	}
	if (path[0] != '/') {
		free(path);
		return NULL;
	}
	char *q = strchr(path, '?');
	char *query = q != NULL ? xstrdup(q) : NULL;
	if (q != NULL)
		*q = '\0';
	cdn_html_dots(path);
	char *full = xasprintf("%s%s", path, query != NULL ? query : "");
	free(path);
	free(query);
	/* Asset paths are what the config accepts: no spaces or controls. */
	for (const char *c = full; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
			free(full);
			return NULL;
		}
	return full;
}
