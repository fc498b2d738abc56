/* sanitize: every string that came from outside passes through here before it
 * enters a snapshot. The result is valid UTF-8 with no byte that a terminal
 * would act on: C0/C1 controls, DEL, ESC sequences, CR, BS, invalid UTF-8 and
 * bidi overrides become visible, inert text: ^[ for ESC, <U+009B> for C1
 * controls and bidi overrides, \xNN for bytes that are not UTF-8. TAB becomes
 * a space. */
#ifndef SITREP_SANITIZE_H
#define SITREP_SANITIZE_H

#include <stdarg.h>
#include <stddef.h>

/* The most output bytes one input byte can become (\xNN; a secret's mask is
 * shorter than the secret): an input of at most max_out / SANITIZE_GROWTH_MAX
 * bytes is never cut. */
#define SANITIZE_GROWTH_MAX 4

/* Cut marker appended when a string is longer than its limit. */
#define SANITIZE_CUT_MARK "…[cut]"

/* Returns a newly allocated sanitized copy of in[0..len), at most max_out bytes
 * before the cut marker (0: no limit). Caller frees. Never returns NULL (aborts on OOM). */
char *sanitize(const char *in, size_t len, size_t max_out);
/* sanitize() of a NUL-terminated string; NULL gives NULL. */
char *sanitize_str(const char *in);
/* sanitize() of a formatted message (an error text that quotes outside
 * strings), at most max_out bytes. Caller frees. */
char *sanitize_vprintf(size_t max_out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Sanitizes into a caller buffer of size cap (always NUL-terminated); returns length. */
size_t sanitize_into(char *out, size_t cap, const char *in, size_t len);

/* Redaction: every string that leaves sitrep (screen, --once, audit log,
 * timeline, error messages) passes the sanitizer, so the sanitizer is the one
 * place that masks secrets: once registered, a secret (4 bytes or more)
 * comes out as "***" wherever it appears, even inside a server's error body
 * that echoes a header. The secret is masked before max_out cuts the text,
 * so a cut never shows part of it; and any piece of 8 bytes or more of a
 * secret (what is left of it in a text cut before it got here: a prefix at
 * the end, a suffix at the start, or a piece anywhere) is masked as well.
 * Register while the config loads, before any work runs on other threads.
 * The value is copied; its visible form, when sanitizing changes it, is
 * registered too. */
void sanitize_add_secret(const char *secret);
/* Registers the userinfo of a URL (scheme://user:password@host/...): the
 * password alone and user:password. No userinfo: nothing. */
void sanitize_add_url_secret(const char *url);
/* Wipes and forgets every registered secret (at exit, and for tests). */
void sanitize_forget_secrets(void);

#endif
