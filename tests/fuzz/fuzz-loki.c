/* fuzz-loki: the Loki query_range answer parser: every stream's values merged
 * in time order. The body comes from the network. The next poll starts at the
 * newest timestamp + 1, so a timestamp must leave room for that. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "backends/loginput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loki_entry *e = NULL;
	size_t n = 0;
	char *err = NULL;
	if (loki_parse((const char *)data, size, &e, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (e[i].line == NULL || e[i].ns <= 0 || e[i].ns == INT64_MAX)
				abort();
			if (i > 0 && e[i].ns < e[i - 1].ns)
				abort();
		}
		loki_entries_free(e, n);
	} else if (err == NULL) {
		abort();
	}
	free(err);
	return 0;
}
