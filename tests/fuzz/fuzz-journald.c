/* fuzz-journald: one line of `journalctl -o json`, split from the input at
 * newlines as the journald input does. A journal entry holds whatever any
 * process logged, including binary MESSAGE fields sent as byte arrays. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "backends/loginput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);
		struct journald_entry e;
		memset(&e, 0, sizeof(e));
		if (journald_parse_line(p, len, &e) == 0) {
			if (e.text == NULL || strlen(e.text) > e.len || e.priority < -1 || e.priority > 7)
				abort();
			(void)journald_priority_sev(e.priority);
			free(e.text);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}
