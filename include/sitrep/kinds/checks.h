/* checks: the data model of a checks pane (kind "checks"), filled by the
 * http source (backends/http.c). Each configured check is a synthetic
 * probe: an HTTP(S) request judged by its status, a text or regex in the
 * body and its latency, or a TCP connect. A row says ok or failing and why,
 * in words made from the config ("status 200 but "Book now" missing"), never
 * from the body. Every string is sanitized. */
#ifndef SITREP_CHECKS_H
#define SITREP_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

struct kind_ops;
struct pane_ops;

/* Latencies kept per check for the sparkline (one per refresh). */
#define CHECKS_HISTORY 120

enum check_type { CHECK_HTTP, CHECK_TCP };

struct check {
	char *name;   /* the config's "name": the row's identity */
	char *target; /* "GET https://shop.example/booking", "tcp 127.0.0.1:5432" */
	enum check_type type;
	bool checked;      /* false until its first result */
	bool ok;           /* meaningful once checked */
	long status;       /* HTTP status, 0 when none (TCP, or no answer) */
	double latency_ms; /* < 0 when none (no answer) */
	char *reason;      /* why it fails, NULL when ok or not checked yet */
	int tls_days;      /* days left on the server's certificate, -1 unknown */
	double *history;   /* latencies oldest first, NaN where no answer came */
	size_t nhistory;
};

struct checks_data {
	struct check *checks;
	size_t nchecks;
};

/* What an HTTP check expects; the judge below holds an answer against it.
 * The texts are the config's, so a reason quotes the config and never the
 * body. */
struct check_expect {
	long status;           /* 0: any status below 400 */
	char *text;            /* a literal the body must hold, NULL: none */
	char *regex;           /* a PCRE2 pattern the body must match, NULL: none */
	void *re;              /* its compiled form (pcre2_code *) */
	double max_latency_ms; /* 0: no limit */
};

/* Compiles pattern into e (UTF-8, invalid UTF-8 in a body tolerated). 0, or
 * -1 with the reason and offset in err. */
int checks_expect_regex(struct check_expect *e, const char *pattern, char *err, size_t cap);
/* Frees what e holds (not e). */
void checks_expect_clear(struct check_expect *e);
/* Judges an answer: for HTTP (http true) the status, then the text and the
 * regex in body[0..len) (truncated: only a prefix arrived), then the latency;
 * for TCP only the latency. True when it passes; else *reason is a new
 * sanitized sentence: `status 200 but "Book now" missing`, `412 ms > 300 ms`. */
bool checks_judge(const struct check_expect *e, bool http, long status, const char *body, size_t len,
                  bool truncated, double latency_ms, char **reason);

/* Allocates an empty model of n checks (all zero); free with checks_data_free. */
struct checks_data *checks_data_new(size_t n);
void checks_data_free(void *data);
/* Checks that have a result and fail. */
size_t checks_failing(const struct checks_data *d);
/* The check called name, NULL when none. */
const struct check *checks_find(const struct checks_data *d, const char *name);

extern const struct kind_ops kind_checks;
/* The pane that draws it (tui/pane-checks.c). */
extern const struct pane_ops pane_checks;

#endif
