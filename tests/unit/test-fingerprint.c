/* test-fingerprint: volatile parts are masked, so occurrences of one message
 * share a fingerprint and different messages do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sitrep/kinds/logs.h"

static char buf[512];

static const char *mask(const char *s)
{
	fingerprint_mask(s, strlen(s), buf, sizeof(buf), NULL);
	return buf;
}

static uint64_t hash(const char *s)
{
	char tmp[512];
	return fingerprint_mask(s, strlen(s), tmp, sizeof(tmp), NULL);
}

static void test_masks(void **state)
{
	assert_string_equal(mask("user 4711 timed out after 30s"), "user <n> timed out after <n>s");
	assert_string_equal(mask("from 10.0.0.7:5432 and 192.168.1.1"), "from <ip> and <ip>");
	assert_string_equal(mask("peer 2001:db8::1 reset"), "peer <ip> reset");
	assert_string_equal(mask("req 7d9f2c1e-1b2a-4c3d-9e8f-0a1b2c3d4e5f failed"), "req <uuid> failed");
	assert_string_equal(mask("commit 8f3a9c21 and ptr 0x7ffd1234"), "commit <hex> and ptr <hex>");
	assert_string_equal(mask("at 2024-05-01T10:00:12.345Z job"), "at <ts> job");
	assert_string_equal(mask("2024/05/01 10:00:01 [error] x"), "<ts> [error] x");
	assert_string_equal(mask("took 10:00:01,123 total"), "took <ts> total");
	assert_string_equal(mask("open() \"/srv/www/a.html\" failed"), "open() \"<str>\" failed");
	assert_string_equal(mask("key 'abc' missing, don't retry"), "key '<str>' missing, don't retry");
	assert_string_equal(mask("GET /users/123/orders/9"), "GET /users/<n>/orders/<n>");
	assert_string_equal(mask("/tmp/sess_ab12cd34ef"), "/tmp/sess_<hex>");
	assert_string_equal(mask("value 3.14 and 1,000"), "value <n> and <n>");
	/* Words that only look like hex stay. */
	assert_string_equal(mask("decade facade added"), "decade facade added");
	assert_string_equal(mask("trailing   \r"), "trailing");
}

static void test_grouping(void **state)
{
	const char *a = "2024/05/01 10:00:01 [error] 2842#2842: *1 open() \"/srv/www/missing.html\" "
	                "failed (2: No such file or directory), client: 127.0.0.1, server: localhost";
	const char *b = "2024/05/02 11:12:13 [error] 99#99: *1234 open() \"/srv/www/x.png\" "
	                "failed (2: No such file or directory), client: 10.9.8.7, server: localhost";
	const char *c = "2024/05/02 11:12:13 [error] 99#99: *1234 connect() failed (111: "
	                "Connection refused) while connecting to upstream";
	assert_int_equal(hash(a), hash(b));
	assert_int_not_equal(hash(a), hash(c));
	/* JSON lines: the message member is fingerprinted, not the whole object. */
	const char *j1 = "{\"ts\":\"2024-05-01T10:00:10Z\",\"level\":\"error\",\"msg\":\"payment 1 "
	                 "failed\"}";
	const char *j2 = "{\"ts\":\"2024-05-01T10:00:11Z\",\"level\":\"error\",\"msg\":\"payment 2 "
	                 "failed\"}";
	const char *j3 = "{\"ts\":\"2024-05-01T10:00:11Z\",\"level\":\"error\",\"msg\":\"db down\"}";
	assert_int_equal(hash(j1), hash(j2));
	assert_int_not_equal(hash(j1), hash(j3));
	assert_string_equal(mask(j1), "payment <n> failed");
}

static void test_limits(void **state)
{
	/* Only the first FINGERPRINT_INPUT_MAX bytes count; output is cut safely. */
	static char big[4096];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char small[16];
	size_t n;
	fingerprint_mask(big, strlen(big), small, sizeof(small), &n);
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	big[3000] = 'b';
	char tmp[16];
	assert_int_equal(fingerprint_mask(big, strlen(big), tmp, sizeof(tmp), NULL),
	                 fingerprint_mask(big, FINGERPRINT_INPUT_MAX, tmp, sizeof(tmp), NULL));
	/* Unterminated quotes and binary bytes do not crash or loop. */
	const char odd[] = "\"unterminated \x01\xff\x00 end";
	fingerprint_mask(odd, sizeof(odd) - 1, tmp, sizeof(tmp), NULL);
	fingerprint_mask("", 0, tmp, sizeof(tmp), &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_masks),
	    cmocka_unit_test(test_grouping),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
