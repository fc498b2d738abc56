/* stream: the share stream's format, one place for both ends. A record is
 * one line of JSON (no raw line break inside: cJSON escapes them) of at most
 * STREAM_RECORD_MAX bytes, with "stream" (the version), "type", "seq" and
 * "time" (the driver's wall clock, ms). The driver writes "state" (the whole
 * dashboard), "pane" (one pane published), "event", "heartbeat", "skipped"
 * and "bye"; an observer writes one "hello" and nothing else. A pane is the
 * --once --json pane object (its "data" is the kind's to_json) with a few
 * additive members; observers rebuild it with the kind's from_json. Only
 * what already passed the sanitizer is in it: the same snapshots the
 * driver's screen draws. docs/stream.md is the reference. */
#ifndef SITREP_STREAM_H
#define SITREP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct app;
struct source;
struct event;

#define STREAM_VERSION 1
/* The longest record either end accepts (a pane of 10000 log lines fits). */
#define STREAM_RECORD_MAX (8u << 20)
/* The longest hello a driver reads. */
#define STREAM_HELLO_MAX 1024

enum stream_type {
	STREAM_HELLO,
	STREAM_STATE,
	STREAM_PANE,
	STREAM_EVENT,
	STREAM_HEARTBEAT,
	STREAM_SKIPPED,
	STREAM_BYE,
	STREAM_TYPE_COUNT
};

const char *stream_type_name(enum stream_type t);

/* ---- writing (the driver) ---- */

/* A record's envelope: {"stream":1,"type":...,"seq":seq,"time":now}. */
cJSON *stream_envelope(enum stream_type t, uint64_t seq, int64_t time_ms);
/* The pane object of src: app_pane_json plus "index", "title",
 * "refresh_ms", "updated_ms" and "error_since" (wall clock ms). */
cJSON *stream_pane(const struct app *app, const struct source *src);
/* The whole state: driver, every pane, the deploy marks, the newest
 * timeline entries (as events), watching. */
cJSON *stream_state(const struct app *app, uint64_t seq, int64_t time_ms, int watching);
cJSON *stream_event_json(const struct event *ev);
/* One line, newline included; caller frees; NULL when longer than
 * STREAM_RECORD_MAX (never sent: the pane is left out, see stream.md). */
char *stream_line(const cJSON *record, size_t *len);

/* ---- reading (observers, replay, the fuzz target) ---- */

/* A parsed record: root is owned, the rest points into it. */
struct stream_record {
	cJSON *root;
	enum stream_type type;
	uint64_t seq;
	int64_t time_ms;
};

/* Parses one line (without its newline). 0, or -1 with a sentence in err:
 * not JSON, not an object, another version ("the driver speaks stream
 * version 2; this sitrep reads version 1"), an unknown type, a member of
 * the wrong type. */
int stream_parse(const char *line, size_t len, struct stream_record *rec, char *err, size_t cap);
void stream_record_clear(struct stream_record *rec);

/* Splits bytes into lines as they come. */
struct stream_reader {
	char *buf;
	size_t len, cap;
	size_t max; /* the longest line: STREAM_RECORD_MAX unless set */
};
typedef int (*stream_line_cb)(const char *line, size_t len, void *arg);
/* Feeds bytes; cb gets each whole line (a non-zero return stops and is
 * returned). -1 with err when a line grows past max ("a record of more than
 * 8 MiB"). */
int stream_reader_feed(struct stream_reader *r, const char *data, size_t len, stream_line_cb cb, void *arg,
                       char *err, size_t cap);
/* At the end of the input: -1 with err when a record was cut short. */
int stream_reader_end(const struct stream_reader *r, char *err, size_t cap);
void stream_reader_clear(struct stream_reader *r);

#endif
