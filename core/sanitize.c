/* sanitize: turns outside bytes into inert, visible UTF-8. A terminal acts on
 * C0/C1 controls, ESC sequences, CR and BS, and bidi overrides reorder what it
 * shows; a log line is attacker-controlled text, so none of these may reach
 * ncurses raw. Everything that is not a printable character is written as a
 * visible escape instead. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/sanitize.h"
#include "sitrep/util.h"

struct sanitize_buf {
	char *p;
	size_t len, cap;
	size_t limit; /* 0: none */
	bool cut;
};

/* Appends n bytes; past the limit, an ASCII run is cut where it reaches the
 * limit and an escape or a multibyte character is dropped whole. */
static void sanitize_put(struct sanitize_buf *b, const char *s, size_t n, bool ascii)
{
	if (b->cut)
		return;
	if (b->limit != 0 && b->len + n > b->limit) {
		b->cut = true;
		if (!ascii)
			return;
		n = b->limit - b->len;
	}
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap * 2 + 16;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Length of a valid UTF-8 sequence at s (1..4) with its code point, or 0. */
static size_t sanitize_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Code points that are valid UTF-8 but act on the terminal or the text order. */
static bool sanitize_is_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) ||     /* C1 controls: 0x9B is a CSI */
	       (cp >= 0x202A && cp <= 0x202E) || /* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069) || /* bidi isolates */
	       cp == 0x200E || cp == 0x200F ||   /* LRM, RLM */
	       cp == 0x061C ||                   /* arabic letter mark */
	       cp == 0x2028 || cp == 0x2029 ||   /* line and paragraph separators */
	       cp == 0xFEFF;                     /* BOM / zero-width no-break space */
}

static void sanitize_run(struct sanitize_buf *b, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	char tmp[16];
	size_t i = 0;
	while (i < len && !b->cut) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7F) {
			/* fast path: a run of printable ASCII */
			size_t j = i + 1;
			while (j < len && s[j] >= 0x20 && s[j] < 0x7F)
				j++;
			sanitize_put(b, in + i, j - i, true);
			i = j;
			continue;
		}
		if (c == '\t') {
			sanitize_put(b, " ", 1, true);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7F) {
			tmp[0] = '^';
			tmp[1] = c == 0x7F ? '?' : (char)(c + 0x40);
			sanitize_put(b, tmp, 2, false);
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = sanitize_decode(s + i, len - i, &cp);
		if (n == 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02X", c);
			sanitize_put(b, tmp, 4, false);
			i++;
		} else if (sanitize_is_unsafe(cp)) {
			int k = snprintf(tmp, sizeof(tmp), "<U+%04X>", (unsigned)cp);
			sanitize_put(b, tmp, (size_t)k, false);
			i += n;
		} else {
			sanitize_put(b, in + i, n, false);
			i += n;
		}
	}
}

/* The secrets no output may carry (tokens, passwords, URL passwords).
 * Registered while the config loads, before any other thread runs; read-only
 * afterwards, so the thread pool may sanitize too. */
#define SANITIZE_MAX_SECRETS 64
#define SANITIZE_MIN_SECRET  4
#define SANITIZE_MASK        "***"
static char *sanitize_secrets[SANITIZE_MAX_SECRETS];
static size_t sanitize_nsecrets;

void sanitize_add_secret(const char *secret)
{
	if (secret == NULL || strlen(secret) < SANITIZE_MIN_SECRET)
		return;
	for (size_t i = 0; i < sanitize_nsecrets; i++)
		if (strcmp(sanitize_secrets[i], secret) == 0)
			return;
	if (sanitize_nsecrets == SANITIZE_MAX_SECRETS) {
		/* more secrets than slots: refuse to run blind rather than leak */
		fprintf(stderr, "sitrep: more than %d secrets configured\n", SANITIZE_MAX_SECRETS);
		abort();
	}
	sanitize_secrets[sanitize_nsecrets++] = xstrdup(secret);
}

void sanitize_add_url_secret(const char *url)
{
	/* scheme://user:password@host...: the password, and the whole userinfo */
	const char *p = url != NULL ? strstr(url, "://") : NULL;
	if (p == NULL)
		return;
	p += 3;
	size_t hostpart = strcspn(p, "/?#");
	const char *at = memrchr(p, '@', hostpart);
	if (at == NULL)
		return;
	char *userinfo = xstrndup(p, (size_t)(at - p));
	char *colon = strchr(userinfo, ':');
	if (colon != NULL)
		sanitize_add_secret(colon + 1);
	sanitize_add_secret(userinfo);
	free(userinfo);
}

void sanitize_forget_secrets(void)
{
	for (size_t i = 0; i < sanitize_nsecrets; i++) {
		explicit_bzero(sanitize_secrets[i], strlen(sanitize_secrets[i]));
		free(sanitize_secrets[i]);
		sanitize_secrets[i] = NULL;
	}
	sanitize_nsecrets = 0;
}

/* Replaces every registered secret in b with the mask, longest first is not
 * needed: each secret is masked wherever it occurs. */
static void sanitize_redact(struct sanitize_buf *b)
{
	for (size_t i = 0; i < sanitize_nsecrets; i++) {
		const char *sec = sanitize_secrets[i];
		size_t sl = strlen(sec), ml = strlen(SANITIZE_MASK);
		char *hit;
		size_t from = 0;
		while (from < b->len && (hit = memmem(b->p + from, b->len - from, sec, sl)) != NULL) {
			size_t at = (size_t)(hit - b->p);
			if (b->len - sl + ml + 1 > b->cap) {
				b->cap = b->len - sl + ml + 16;
				b->p = xrealloc(b->p, b->cap);
			}
			memmove(b->p + at + ml, b->p + at + sl, b->len - at - sl);
			memcpy(b->p + at, SANITIZE_MASK, ml);
			b->len = b->len - sl + ml;
			from = at + ml;
		}
	}
}

char *sanitize(const char *in, size_t len, size_t max_out)
{
	struct sanitize_buf b = {.cap = len + 16, .limit = max_out};
	b.p = xmalloc(b.cap);
	sanitize_run(&b, in, len);
	if (sanitize_nsecrets > 0)
		sanitize_redact(&b);
	if (b.cut) {
		b.limit = 0;
		b.cut = false;
		sanitize_put(&b, SANITIZE_CUT_MARK, strlen(SANITIZE_CUT_MARK), false);
	}
	b.p[b.len] = '\0';
	return b.p;
}

char *sanitize_str(const char *in)
{
	return in == NULL ? NULL : sanitize(in, strlen(in), 0);
}

char *sanitize_vprintf(size_t max_out, const char *fmt, va_list ap)
{
	char *raw = xvasprintf(fmt, ap);
	char *out = sanitize(raw, strlen(raw), max_out);
	free(raw);
	return out;
}

size_t sanitize_into(char *out, size_t cap, const char *in, size_t len)
{
	if (cap == 0)
		return 0;
	size_t mark = strlen(SANITIZE_CUT_MARK);
	char *full = sanitize(in, len, cap > mark + 1 ? cap - mark - 1 : 0);
	size_t n = strlen(full);
	if (n >= cap) {
		/* only when cap is tiny: cut on a character boundary */
		n = cap - 1;
		while (n > 0 && ((unsigned char)full[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, full, n);
	out[n] = '\0';
	free(full);
	return n;
}
