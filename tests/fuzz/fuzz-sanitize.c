/* fuzz-sanitize: the sanitizer's promise, checked on every output: valid
 * UTF-8, and no C0 or C1 control, DEL, ESC or bidi control left, whatever the
 * input and the length limit. A violation aborts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/core/sanitize.h"

/* Decodes one UTF-8 character at s (strictly: no overlongs, surrogates or
 * code points past U+10FFFF); its length, or 0 when invalid. */
static size_t fuzz_sanitize_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		n = 2, v = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, v = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, v = s[0] & 0x07, min = 0x10000;
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

static bool fuzz_sanitize_forbidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

/* Aborts unless out[0..len) keeps the promise and is NUL-terminated there. */
static void fuzz_sanitize_check(const char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)out;
	if (strlen(out) != len)
		abort();
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = fuzz_sanitize_decode(s + i, len - i, &cp);
		if (n == 0 || fuzz_sanitize_forbidden(cp))
			abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *out = sanitize(in, size, 0);
	fuzz_sanitize_check(out, strlen(out));
	free(out);

	/* a limit taken from the first byte: cuts land anywhere */
	size_t limit = size > 0 ? data[0] % 64 + 1 : 1;
	out = sanitize(in, size, limit);
	size_t len = strlen(out);
	fuzz_sanitize_check(out, len);
	if (len > limit + strlen(SANITIZE_CUT_MARK))
		abort();
	free(out);

	/* caller buffers from tiny to roomy */
	static const size_t caps[] = {1, 2, 3, 5, 8, 9, 16, 64};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char buf[64];
		size_t n = sanitize_into(buf, caps[i], in, size);
		if (n >= caps[i])
			abort();
		fuzz_sanitize_check(buf, n);
	}
	return 0;
}
