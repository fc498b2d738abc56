/* fuzz: the entry point every target in tests/fuzz/ defines. libFuzzer calls
 * it with generated inputs; standalone.c calls it with each seed file. A
 * target returns 0 and reports a broken invariant by aborting. */
#ifndef SITREP_FUZZ_H
#define SITREP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes one UTF-8 character at s (strictly: no overlongs, surrogates or
 * code points past U+10FFFF); its length, or 0 when invalid. The targets'
 * own decoder, apart from the product's, so a bug in one cannot hide in both. */
static inline size_t fuzz_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
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

/* What the sanitizer never lets through: C0 and C1 controls, DEL, bidi
 * controls, line and paragraph separators, the BOM. */
static inline bool fuzz_utf8_forbidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

#endif
