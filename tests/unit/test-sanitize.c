/* Unit tests of the sanitizer: nothing a terminal would act on survives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/sanitize.h"

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
	expect("\xc2\x9b" "31m", 5, "<U+009B>31m");
	expect("\xe2\x80\xae" "evil", 7, "<U+202E>evil");
}

static void test_invalid_utf8_visible(void **state)
{
	(void)state;
	expect("\xff\xfe", 2, "\\xFF\\xFE");
	expect("\xc0\xaf", 2, "\\xC0\\xAF");             /* overlong */
	expect("\xed\xa0\x80", 3, "\\xED\\xA0\\x80");    /* surrogate */
	expect("ab\xe2\x82", 4, "ab\\xE2\\x82");        /* truncated */
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
