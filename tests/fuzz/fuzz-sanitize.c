/* fuzz-sanitize: the sanitizer's promise, checked on every output: valid
 * UTF-8, and no C0 or C1 control, DEL, ESC or bidi control left, whatever the
 * input and the length limit. A violation aborts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/core/sanitize.h"

/* Aborts unless out[0..len) keeps the promise and is NUL-terminated there. */
static void fuzz_sanitize_check(const char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)out;
	if (strlen(out) != len)
		abort();
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = fuzz_utf8_decode(s + i, len - i, &cp);
		if (n == 0 || fuzz_utf8_forbidden(cp))
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
