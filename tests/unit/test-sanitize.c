/* Unit tests of the sanitizer: nothing a terminal would act on survives. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sitrep/core/sanitize.h"

static void expect(const char *in, size_t len, const char *want)
{
	char *out = sanitize(in, len, 0);
	if (strcmp(out, want) != 0)
		fail_msg("sanitize gave \"%s\", want \"%s\"", out, want);
	free(out);
}

/* No byte below 0x20, no DEL, no C1 in UTF-8, no ESC anywhere. */
static void assert_inert(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		assert_false(*p < 0x20 || *p == 0x7F);
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			fail_msg("C1 control left in output");
		if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE)
			fail_msg("bidi override left in output");
	}
}

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	expect("GET /index.html 200", 19, "GET /index.html 200");
	expect("caf\xc3\xa9 \xe2\x9c\x93", 9, "caf\xc3\xa9 \xe2\x9c\x93");
}

static void test_controls_visible(void **state)
{
	(void)state;
	expect("\x1b[31mred\x1b[0m", 12, "^[[31mred^[[0m");
	expect("a\rb\bc\x7f", 6, "a^Mb^Hc^?");
	expect("tab\there", 8, "tab here");
	expect("nul\0byte", 8, "nul^@byte");
	expect("osc\x1b]52;c;aGk=\x07", 15, "osc^[]52;c;aGk=^G");
	expect("\xc2\x9b"
	       "31m",
	       5, "<U+009B>31m");
	expect("\xe2\x80\xae"
	       "evil",
	       7, "<U+202E>evil");
}

static void test_invalid_utf8_visible(void **state)
{
	(void)state;
	expect("\xff\xfe", 2, "\\xFF\\xFE");
	expect("\xc0\xaf", 2, "\\xC0\\xAF");          /* overlong */
	expect("\xed\xa0\x80", 3, "\\xED\\xA0\\x80"); /* surrogate */
	expect("ab\xe2\x82", 4, "ab\\xE2\\x82");      /* truncated */
}

static void test_cut_marks(void **state)
{
	(void)state;
	char *big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	char *out = sanitize(big, 1 << 20, 100);
	assert_int_equal(strlen(out), 100 + strlen(SANITIZE_CUT_MARK));
	assert_non_null(strstr(out, SANITIZE_CUT_MARK));
	free(out);
	free(big);
	/* the cut never splits a multibyte character */
	out = sanitize("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 3);
	assert_string_equal(out, "\xc3\xa9" SANITIZE_CUT_MARK);
	free(out);
}

static void test_random_bytes_always_inert(void **state)
{
	(void)state;
	unsigned char buf[4096];
	srand(42);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rand();
		char *out = sanitize((const char *)buf, sizeof(buf), 0);
		assert_inert(out);
		free(out);
	}
}

static void test_into_buffer(void **state)
{
	(void)state;
	char small[8];
	size_t n = sanitize_into(small, sizeof(small), "\x1b[2Jclear", 9);
	assert_true(n < sizeof(small));
	assert_inert(small);
	assert_int_equal(small[0], '^');
}

/* A registered secret never comes out, wherever it sits in the text, even
 * cut across formatted messages; URL userinfo registers its password. */
static void test_secrets_redacted(void **state)
{
	sanitize_add_secret("s3cr3t-token");
	sanitize_add_secret("abc"); /* too short to register: it would mask ordinary text */
	char *out = sanitize_str("Authorization: Bearer s3cr3t-token\x1b[2J and s3cr3t-tokens");
	assert_null(strstr(out, "s3cr3t"));
	assert_non_null(strstr(out, "Bearer ***^[[2J and ***s"));
	assert_null(strchr(out, '\x1b'));
	free(out);
	out = sanitize_str("abc stays");
	assert_string_equal(out, "abc stays");
	free(out);
	sanitize_add_url_secret("http://loki:pa55w0rd@loki.example:3100/x@y");
	out = sanitize_str("GET http://loki:pa55w0rd@loki.example:3100 failed");
	assert_null(strstr(out, "pa55w0rd"));
	free(out);
	char buf[64];
	sanitize_into(buf, sizeof(buf), "token=s3cr3t-token", 18);
	assert_string_equal(buf, "token=***");
	sanitize_forget_secrets();
	out = sanitize_str("s3cr3t-token");
	assert_string_equal(out, "s3cr3t-token");
	free(out);
}

/* ---- pieces of secrets: masked before any cut, and wherever they sit ---- */

/* 62 characters of upper case and digits: the texts around it are lower
 * case, so any upper case or digit in an output is a leaked piece. */
static const char tok62[] = "Q7XK2M9PV4RT8WZ3N6BY5HC1JD0FG7LS2QA9EU4IO8TP3MX6KV1RB5NZ0WC7YH";

/* Fails when out holds any min-byte piece of secret. */
static void assert_no_piece(const char *out, const char *secret, size_t min)
{
	size_t sl = strlen(secret);
	for (size_t i = 0; i + min <= sl; i++)
		if (memmem(out, strlen(out), secret + i, min) != NULL)
			fail_msg("%zu bytes of the secret from its byte %zu (%.*s) in \"%s\"", min, i,
			         (int)min, secret + i, out);
}

static void assert_no_upper_or_digit(const char *out)
{
	for (const char *p = out; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			fail_msg("\"%s\" holds a piece of the secret at \"%s\"", out, p);
}

/* The report of issue 17: the token at byte 40 of an error body, the text
 * cut at 80. Masked first, then cut: not one character of it is left, at
 * any limit. */
static void test_mask_before_cut(void **state)
{
	(void)state;
	assert_int_equal(strlen(tok62), 62);
	sanitize_add_secret(tok62);
	char body[300];
	int n =
	    snprintf(body, sizeof(body), "unauthorized: you sent header bearer %s; check the token", tok62);
	assert_int_equal(strstr(body, tok62) - body, 37);
	for (size_t limit = 1; limit <= (size_t)n + 4; limit++) {
		char *out = sanitize(body, (size_t)n, limit);
		assert_no_upper_or_digit(out);
		free(out);
	}
	char *out = sanitize(body, (size_t)n, 80);
	assert_string_equal(out, "unauthorized: you sent header bearer ***; check the token");
	free(out);
	out = sanitize(body, (size_t)n, 40);
	assert_string_equal(out, "unauthorized: you sent header bearer ***…[cut]");
	free(out);
	/* sanitize_into cuts the same way */
	char small[64];
	for (size_t cap = 1; cap <= sizeof(small); cap++) {
		sanitize_into(small, cap, body, (size_t)n);
		assert_no_upper_or_digit(small);
	}
	sanitize_forget_secrets();
}

/* A text cut before it came here holds a piece: 8 bytes or more of it are
 * masked at the end, at the start and in the middle; 7 are not a secret. */
static void test_pieces_masked(void **state)
{
	(void)state;
	sanitize_add_secret(tok62);
	char text[200];
	/* a prefix at the end of a cut text */
	snprintf(text, sizeof(text), "header was bearer %.8s", tok62);
	char *out = sanitize_str(text);
	assert_string_equal(out, "header was bearer ***");
	free(out);
	snprintf(text, sizeof(text), "header was bearer %.7s", tok62);
	out = sanitize_str(text);
	assert_string_equal(out, text); /* 7 bytes: too short to tell from text */
	free(out);
	/* a suffix at the start */
	snprintf(text, sizeof(text), "%s and more", tok62 + 54);
	out = sanitize_str(text);
	assert_string_equal(out, "*** and more");
	free(out);
	snprintf(text, sizeof(text), "%s and more", tok62 + 55);
	out = sanitize_str(text);
	assert_string_equal(out, text);
	free(out);
	/* the middle, at every length and offset from 8 bytes up */
	for (size_t at = 0; at + 8 <= 62; at += 3) {
		for (size_t l = 8; at + l <= 62; l++) {
			snprintf(text, sizeof(text), "left %.*s right", (int)l, tok62 + at);
			out = sanitize_str(text);
			assert_string_equal(out, "left *** right");
			free(out);
		}
	}
	/* right after a byte the secret does not have at that place */
	snprintf(text, sizeof(text), "x%.20sx%.9s", tok62 + 1, tok62 + 30);
	out = sanitize_str(text);
	assert_string_equal(out, "x***x***");
	free(out);
	sanitize_forget_secrets();
}

/* Several secrets, short and long, side by side and overlapping. */
static void test_several_secrets(void **state)
{
	(void)state;
	const char *a = "AAAA1111BBBB2222CCCC3333", *b = "ZZZZ9999YYYY8888", *shorty = "K7Q5";
	sanitize_add_secret(a);
	sanitize_add_secret(b);
	sanitize_add_secret(shorty);
	char text[200];
	snprintf(text, sizeof(text), "a=%s b=%s s=%s", a, b, shorty);
	char *out = sanitize_str(text);
	assert_string_equal(out, "a=*** b=*** s=***");
	free(out);
	/* a's tail runs into b's head: both pieces go */
	snprintf(text, sizeof(text), "joined %s%.10s end", a + 10, b);
	out = sanitize_str(text);
	assert_no_piece(out, a, 8);
	assert_no_piece(out, b, 8);
	assert_non_null(strstr(out, "joined ***"));
	free(out);
	/* the short secret next to a piece of a long one */
	snprintf(text, sizeof(text), "%s%.12s", shorty, b + 2);
	out = sanitize_str(text);
	assert_null(strstr(out, shorty));
	assert_no_piece(out, b, 8);
	free(out);
	/* 3 bytes of the short one are ordinary text */
	out = sanitize_str("K7Q and ZZZZ999");
	assert_string_equal(out, "K7Q and ZZZZ999");
	free(out);
	sanitize_forget_secrets();
}

/* Cut at every offset, before (a capped read) and by the limit (after):
 * never 8 bytes of the secret; by the limit, never one byte. Also with
 * controls and multibyte text around it. */
static void test_cut_every_offset(void **state)
{
	(void)state;
	sanitize_add_secret(tok62);
	char text[400];
	int n = snprintf(text, sizeof(text), "caf\xc3\xa9 \x7f auth\x7f: bearer %s\tx %s, %.30s end", tok62,
	                 tok62, tok62 + 20);
	for (size_t k = 0; k <= (size_t)n; k++) {
		char *out = sanitize(text, k, 0);
		assert_no_piece(out, tok62, 8);
		assert_inert(out);
		free(out);
		out = sanitize(text, (size_t)n, k);
		assert_no_upper_or_digit(out);
		free(out);
		/* both: a text cut at k then held to a limit */
		out = sanitize(text, k, k / 2 + 1);
		assert_no_piece(out, tok62, 8);
		free(out);
	}
	sanitize_forget_secrets();
}

/* Random texts built of pieces of several secrets and noise: the output
 * never holds 8 bytes of any, checked against every window. Pieces are found
 * in the text as it came; the visible form of a byte next to a shorter piece
 * (\xA2 before 7 bytes of a secret that go on with "2") is not looked at, so
 * the secrets here use letters that no visible form has. */
static void random_pieces(const char *const *secrets, size_t nsecrets, bool binary_noise, unsigned seed)
{
	for (size_t i = 0; i < nsecrets; i++)
		sanitize_add_secret(secrets[i]);
	srand(seed);
	char text[2048];
	for (int round = 0; round < 2000; round++) {
		size_t n = 0;
		while (n < 1500) {
			int what = rand() % 4;
			if (what == 0) {
				const char *s = secrets[(size_t)rand() % nsecrets];
				size_t sl = strlen(s), at = (size_t)rand() % sl,
				       l = 1 + (size_t)rand() % (sl - at);
				memcpy(text + n, s + at, l);
				n += l;
			} else if (what == 1 || !binary_noise) {
				size_t l = 1 + (size_t)rand() % 12;
				for (size_t j = 0; j < l; j++)
					text[n++] = " .,;:=\"'/"[rand() % 9];
			} else {
				size_t l = 1 + (size_t)rand() % 12;
				for (size_t j = 0; j < l; j++)
					text[n++] = (char)rand();
			}
		}
		size_t limit = (size_t)rand() % 3 == 0 ? 0 : (size_t)rand() % 1600;
		char *out = sanitize(text, n, limit);
		for (size_t i = 0; i < nsecrets; i++)
			assert_no_piece(out, secrets[i], 8);
		assert_inert(out);
		free(out);
	}
	sanitize_forget_secrets();
}

static void test_random_pieces(void **state)
{
	(void)state;
	/* lower case but x, no digit: a control or a stray byte shows as ^M, \xFF or <U+202E> */
	const char *lower[] = {"qmvkzrtwplhgnbdjscfy-wqoeiu.zmktrpa", "pass-word-long",
	                       "ghp_kqlmnbvcwzpsqrtwyuioae", "abcd"};
	random_pieces(lower, 4, true, 17);
	/* upper case and digits among printable text, multibyte too */
	const char *upper[] = {tok62, "PA55-W0RD-9137", "GHP_ZX81KQ0LM2NB7VC3XZ5PS9QR4TW6YU1IO0AE", "K7Q5"};
	random_pieces(upper, 4, false, 23);
}

/* A secret's visible form (what sanitize made of it once) is masked too. */
static void test_visible_form_masked(void **state)
{
	(void)state;
	sanitize_add_secret("tok\xe2\x80\xae-rev-3141");
	char *once = sanitize_str("x tok\xe2\x80\xae-rev-3141 y");
	assert_string_equal(once, "x *** y");
	free(once);
	char *twice = sanitize_str("x tok<U+202E>-rev-3141 y");
	assert_string_equal(twice, "x *** y");
	free(twice);
	sanitize_forget_secrets();
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One round of sanitizing the lines, in seconds. */
static double time_lines(char *const *lines, size_t n)
{
	double t0 = now_s();
	for (int rep = 0; rep < 10; rep++)
		for (size_t i = 0; i < n; i++)
			free(sanitize(lines[i], strlen(lines[i]), 4096));
	return now_s() - t0;
}

/* The log pane's hot path: a typical line that holds no secret costs about
 * the same with secrets registered as without. */
static void test_cost_without_secret(void **state)
{
	(void)state;
	enum { N = 2000 };
	char **lines = malloc(N * sizeof(*lines));
	for (size_t i = 0; i < N; i++) {
		lines[i] = malloc(200);
		snprintf(
		    lines[i], 200,
		    "2024-05-01T10:00:%02zuZ web-%zu GET /api/v1/users/%zu HTTP/1.1 200 %zu bytes in %zu ms "
		    "user-agent=\"Mozilla/5.0\"",
		    i % 60, i % 7, i * 7919, i * 31, i % 900);
	}
	/* rounds alternate, the cheapest of each kind counts: the machine may be busy */
	double bare = 1e9, with = 1e9;
	for (int round = 0; round < 15; round++) {
		double t = time_lines(lines, N);
		bare = t < bare ? t : bare;
		sanitize_add_secret(tok62);
		sanitize_add_secret("pa55-w0rd-9137");
		sanitize_add_secret("glpat-xY9zW8vU7tS6rQ5pO4nM");
		t = time_lines(lines, N);
		with = t < with ? t : with;
		sanitize_forget_secrets();
	}
	print_message("# %d lines x10: %.2f ms without secrets, %.2f ms with three registered (%.2fx)\n", N,
	              bare * 1e3, with * 1e3, with / bare);
	/* generous for a busy machine; the figure above is what to read */
	assert_true(with < bare * 2.0 + 0.002);
	for (size_t i = 0; i < N; i++)
		free(lines[i]);
	free(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text_unchanged),
	    cmocka_unit_test(test_controls_visible),
	    cmocka_unit_test(test_invalid_utf8_visible),
	    cmocka_unit_test(test_cut_marks),
	    cmocka_unit_test(test_random_bytes_always_inert),
	    cmocka_unit_test(test_into_buffer),
	    cmocka_unit_test(test_secrets_redacted),
	    cmocka_unit_test(test_mask_before_cut),
	    cmocka_unit_test(test_pieces_masked),
	    cmocka_unit_test(test_several_secrets),
	    cmocka_unit_test(test_cut_every_offset),
	    cmocka_unit_test(test_random_pieces),
	    cmocka_unit_test(test_visible_form_masked),
	    cmocka_unit_test(test_cost_without_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
