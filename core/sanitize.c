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

#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

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
 * afterwards, so the thread pool may sanitize too.
 *
 * Masking works on the input, before anything is cut, so a secret that
 * straddles the limit is masked whole, never shown in part. A text that was
 * cut before it got here (a fixed buffer, a capped read, a line limit) may
 * hold only a piece of a secret: every piece of SANITIZE_MIN_FRAGMENT bytes
 * or more of a long secret is masked too, wherever it sits.
 *
 * Finding pieces without scanning every substring: a piece of 8 bytes or
 * more at text offset s covers [s, s+8), and one of the positions s..s+4 is
 * a multiple of 5 from where the search started, so the 4 bytes there are 4
 * bytes of the secret. The search reads one 4-byte word every 5 bytes and
 * tests it against a bit filter of every 4-byte window of every secret; only
 * a hit (rare in text that holds no secret) is compared byte by byte and
 * grown to the longest piece around it. Secrets of 4 to 7 bytes are masked
 * only whole (memmem). Pieces are looked for in the text as it came: the
 * visible form of a byte next to a shorter piece (\xA2 before 7 bytes of a
 * secret that go on with "2") is not a piece of the secret. */
#define SANITIZE_MAX_SECRETS  64
#define SANITIZE_MIN_SECRET   4
#define SANITIZE_MIN_FRAGMENT 8
#define SANITIZE_QUAD         4
#define SANITIZE_STRIDE       (SANITIZE_MIN_FRAGMENT - SANITIZE_QUAD + 1)
#define SANITIZE_MASK         "***"
struct sanitize_secret {
	char *text;
	size_t len;
};
static struct sanitize_secret sanitize_secrets[SANITIZE_MAX_SECRETS];
static size_t sanitize_nsecrets;
static size_t sanitize_nshort; /* secrets shorter than a piece: masked only whole */
/* A filter of every 4-byte window of the long secrets: one bit per hash,
 * 64 bits or more per window, so text that holds no secret almost never
 * sets one off (a hit is then compared byte by byte). A bit test has no
 * branch to mispredict, unlike a probe in a hash table. NULL: no long secret. */
static uint64_t *sanitize_quad_bits;
static unsigned sanitize_quad_shift; /* 32 - log2(bits) */

static uint32_t sanitize_quad_at(const char *s)
{
	uint32_t w;
	memcpy(&w, s, sizeof(w));
	return w;
}

static uint32_t sanitize_quad_hash(uint32_t w)
{
	return (w * 0x9E3779B1u) >> sanitize_quad_shift;
}

static bool sanitize_quad_maybe(uint32_t w)
{
	uint32_t h = sanitize_quad_hash(w);
	return (sanitize_quad_bits[h >> 6] >> (h & 63)) & 1;
}

static void sanitize_quads_build(void)
{
	size_t n = 0;
	for (size_t i = 0; i < sanitize_nsecrets; i++)
		if (sanitize_secrets[i].len >= SANITIZE_MIN_FRAGMENT)
			n += sanitize_secrets[i].len - SANITIZE_QUAD + 1;
	free(sanitize_quad_bits);
	sanitize_quad_bits = NULL;
	if (n == 0)
		return;
	/* 4 KiB at least (fits the L1 cache next to the text), 128 KiB at most:
	 * huge secrets only make hits, which are checked, more frequent */
	unsigned log2 = 15;
	while (log2 < 20 && ((size_t)1 << log2) < n * 64)
		log2++;
	sanitize_quad_shift = 32 - log2;
	sanitize_quad_bits = xcalloc(((size_t)1 << log2) / 64, sizeof(uint64_t));
	for (size_t i = 0; i < sanitize_nsecrets; i++) {
		const struct sanitize_secret *sec = &sanitize_secrets[i];
		for (size_t j = 0; sec->len >= SANITIZE_MIN_FRAGMENT && j + SANITIZE_QUAD <= sec->len; j++) {
			uint32_t h = sanitize_quad_hash(sanitize_quad_at(sec->text + j));
			sanitize_quad_bits[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
}

static void sanitize_add_one(const char *secret, size_t len)
{
	if (len < SANITIZE_MIN_SECRET)
		return;
	for (size_t i = 0; i < sanitize_nsecrets; i++)
		if (sanitize_secrets[i].len == len && memcmp(sanitize_secrets[i].text, secret, len) == 0)
			return;
	if (sanitize_nsecrets == SANITIZE_MAX_SECRETS) {
		/* more secrets than slots: refuse to run blind rather than leak */
		fprintf(stderr, "sitrep: more than %d secrets configured\n", SANITIZE_MAX_SECRETS);
		abort();
	}
	sanitize_secrets[sanitize_nsecrets++] = (struct sanitize_secret){xstrndup(secret, len), len};
	if (len < SANITIZE_MIN_FRAGMENT)
		sanitize_nshort++;
	sanitize_quads_build();
}

void sanitize_add_secret(const char *secret)
{
	if (secret == NULL)
		return;
	sanitize_add_one(secret, strlen(secret));
	/* Text that was sanitized once already shows the secret's visible form
	 * (a bidi mark as <U+202E>, a stray byte as \xFF): mask that too. */
	struct sanitize_buf b = {.cap = strlen(secret) * SANITIZE_GROWTH_MAX + 16};
	b.p = xmalloc(b.cap);
	sanitize_run(&b, secret, strlen(secret));
	if (b.len != strlen(secret) || memcmp(b.p, secret, b.len) != 0)
		sanitize_add_one(b.p, b.len);
	explicit_bzero(b.p, b.len);
	free(b.p);
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
	explicit_bzero(userinfo, strlen(userinfo));
	free(userinfo);
}

void sanitize_forget_secrets(void)
{
	for (size_t i = 0; i < sanitize_nsecrets; i++) {
		explicit_bzero(sanitize_secrets[i].text, sanitize_secrets[i].len);
		free(sanitize_secrets[i].text);
		sanitize_secrets[i] = (struct sanitize_secret){NULL, 0};
	}
	sanitize_nsecrets = 0;
	sanitize_nshort = 0;
	free(sanitize_quad_bits);
	sanitize_quad_bits = NULL;
}

/* Keeps the earlier of [*start, *end) and [a, b), or both as one when they
 * overlap. */
static void sanitize_merge(size_t *start, size_t *end, size_t a, size_t b)
{
	if (*start == *end || b < *start) {
		*start = a;
		*end = b;
	} else if (a <= *end) {
		*start = a < *start ? a : *start;
		*end = b > *end ? b : *end;
	}
}

/* The longest piece of any long secret that holds s[p..p+4), not reaching
 * before floor: widens [*start, *end) to cover it when it is long enough. */
static void sanitize_grow(const char *s, size_t len, size_t floor, size_t p, size_t *start, size_t *end)
{
	for (size_t i = 0; i < sanitize_nsecrets; i++) {
		const struct sanitize_secret *sec = &sanitize_secrets[i];
		if (sec->len < SANITIZE_MIN_FRAGMENT)
			continue;
		for (size_t j = 0; j + SANITIZE_QUAD <= sec->len; j++) {
			if (memcmp(sec->text + j, s + p, SANITIZE_QUAD) != 0)
				continue;
			size_t l = 0, r = SANITIZE_QUAD;
			while (l < j && p - l > floor && sec->text[j - l - 1] == s[p - l - 1])
				l++;
			while (j + r < sec->len && p + r < len && sec->text[j + r] == s[p + r])
				r++;
			if (l + r < SANITIZE_MIN_FRAGMENT)
				continue;
			sanitize_merge(start, end, p - l, p + r);
		}
	}
}

/* The first stretch of s[from..len) to mask, [*start, *end): a whole short
 * secret, or the pieces of long secrets found at one probe (they overlap, so
 * together they are one stretch). Only stretches that start before upto are
 * looked for (the caller's limit ends the output before the others); a
 * stretch may end past it. False when there is none. */
static bool sanitize_find(const char *s, size_t len, size_t from, size_t upto, size_t *start, size_t *end)
{
	*start = *end = 0;
	if (sanitize_quad_bits != NULL && len >= SANITIZE_QUAD) {
		/* a stretch that starts before upto has a probe before upto + 4 */
		size_t last = upto + SANITIZE_QUAD - 1;
		if (last > len - SANITIZE_QUAD)
			last = len - SANITIZE_QUAD;
		for (size_t p = from; p <= last; p += SANITIZE_STRIDE) {
			if (!sanitize_quad_maybe(sanitize_quad_at(s + p)))
				continue;
			sanitize_grow(s, len, from, p, start, end);
			if (*start != *end)
				break;
		}
	}
	for (size_t i = 0; i < sanitize_nsecrets && sanitize_nshort > 0; i++) {
		const struct sanitize_secret *sec = &sanitize_secrets[i];
		if (sec->len >= SANITIZE_MIN_FRAGMENT)
			continue;
		/* a hit counts when it starts before what was found (or upto) or overlaps it */
		size_t stop = (*start != *end ? *end : upto) + sec->len - 1;
		if (stop > len)
			stop = len;
		const char *hit = stop > from ? memmem(s + from, stop - from, sec->text, sec->len) : NULL;
		if (hit != NULL)
			sanitize_merge(start, end, (size_t)(hit - s), (size_t)(hit - s) + sec->len);
	}
	return *start != *end;
}

char *sanitize(const char *in, size_t len, size_t max_out)
{
	struct sanitize_buf b = {.cap = len + 16, .limit = max_out};
	b.p = xmalloc(b.cap);
	size_t pos = 0;
	while (pos < len && !b.cut) {
		size_t start = len, end = len;
		if (sanitize_nsecrets > 0) {
			/* every input byte gives at least one output byte: a stretch
			 * that starts past the room left is never reached */
			size_t upto = max_out != 0 ? pos + (max_out - b.len) + 1 : len;
			if (upto > len)
				upto = len;
			if (!sanitize_find(in, len, pos, upto, &start, &end))
				start = end = len;
		}
		sanitize_run(&b, in + pos, start - pos);
		if (start < len)
			sanitize_put(&b, SANITIZE_MASK, strlen(SANITIZE_MASK), false);
		pos = end;
	}
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
