/* fuzz-stream: what an observer reads. The input is a share stream as it
 * might arrive from a broken or hostile driver (or a damaged recording):
 * split into lines by the stream reader, in chunks whose sizes come from the
 * input's first byte, each line parsed by stream_parse, and every pane of a
 * state or pane record rebuilt by its kind's from_json and written back with
 * to_json. Invariants: nothing crashes or leaks; a line past the reader's
 * limit is refused; every string of a rebuilt model is inert (no control
 * byte, no ESC, no C1 control, no bidi override). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/stream.h"

static void fuzz_stream_inert(const cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (cJSON_IsString(j) && j->valuestring != NULL) {
			const unsigned char *p = (const unsigned char *)j->valuestring;
			for (; *p != '\0'; p++) {
				if (*p < 0x20 || *p == 0x7f)
					abort();
				if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
					abort();
				if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
					abort();
			}
		}
		fuzz_stream_inert(j->child);
	}
}

static void fuzz_stream_pane(const cJSON *pane)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(pane, "kind");
	const struct kind_ops *k = cJSON_IsString(kind) ? kind_find(kind->valuestring) : NULL;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(pane, "data");
	if (k == NULL || k->from_json == NULL)
		return;
	void *model = k->from_json(data);
	if (model == NULL) {
		if (cJSON_IsObject(data) && k != &kind_empty)
			abort(); /* an object always makes a model */
		return;
	}
	cJSON *out = k->to_json(model);
	fuzz_stream_inert(out);
	cJSON_Delete(out);
	k->free(model);
}

static int fuzz_stream_line(const char *line, size_t len, void *arg)
{
	(void)arg;
	struct stream_record r;
	char err[200];
	if (len > 65536)
		abort(); /* the reader's limit below */
	if (stream_parse(line, len, &r, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	const cJSON *p;
	if (r.type == STREAM_STATE) {
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r.root, "panes"))
		{
			fuzz_stream_pane(p);
		}
	} else if (r.type == STREAM_PANE) {
		fuzz_stream_pane(cJSON_GetObjectItemCaseSensitive(r.root, "pane"));
	}
	stream_record_clear(&r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	struct stream_reader rd = {.max = 65536};
	char err[200];
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (stream_reader_feed(&rd, (const char *)data + off, n, fuzz_stream_line, NULL, err,
		                       sizeof(err)) < 0)
			break;
	}
	stream_reader_end(&rd, err, sizeof(err));
	stream_reader_clear(&rd);
	return 0;
}
