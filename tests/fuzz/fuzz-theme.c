/* fuzz-theme: theme_parse, the reader of themes/NAME.json, a file a user may
 * write or download. Every role it fills must hold a colour ncurses accepts. */
#include <stdlib.h>

#include "fuzz.h"
#include "tui/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct theme theme;
	char err[400];
	if (theme_parse(&theme, "fuzz", (const char *)data, size, err, sizeof(err)) == 0) {
		for (int r = 0; r < ROLE_COUNT; r++) {
			const struct role_style *s = &theme.roles[r];
			if (s->fg < -1 || s->fg > 255 || s->bg < -1 || s->bg > 255)
				abort();
		}
	}
	return 0;
}
