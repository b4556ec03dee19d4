/* Unit tests for common/: clock, ndj, cfg, js, http target parsing. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "backoff.h"
#include "cfg.h"
#include "clock.h"
#include "http.h"
#include "js.h"
#include "ndj.h"
#include "unit.h"

static void test_clock(void)
{
	char buf[CLOCK_ISO_LEN];
	CHECK_STR(clock_iso_ms(buf, 1795632347538LL), "2026-11-25T18:45:47.538Z",
	          "ISO timestamp has milliseconds and Z");
	CHECK_STR(clock_iso_ms(buf, 0), "1970-01-01T00:00:00.000Z", "epoch");
	int64_t ms = 0;
	CHECK(clock_parse_iso("2026-11-25T18:45:47.538Z", &ms) == 0 &&
	          ms == 1795632347538LL, "parse back an ISO timestamp");
	CHECK(clock_parse_iso("2026-11-25T18:45:47.538123456Z", &ms) == 0 &&
	          ms == 1795632347538LL, "nanosecond fractions are cut to ms");
	CHECK(clock_parse_iso("2026-11-25T18:45:47Z", &ms) == 0 &&
	          ms == 1795632347000LL, "no fraction");
	CHECK(clock_parse_iso("yesterday", &ms) == -1, "garbage is refused");
	CHECK(clock_parse_iso("2026-11-25T18:45:47.5+02:00", &ms) == -1,
	      "non-UTC offsets are refused");

	int64_t ns;
	CHECK(clock_parse_seconds("3", &ns) == 0 && ns == 3000000000LL, "3 s");
	CHECK(clock_parse_seconds("0.1", &ns) == 0 && ns == 100000000LL, "0.1 s");
	CHECK(clock_parse_seconds("0", &ns) == -1, "0 s is refused");
	CHECK(clock_parse_seconds("3x", &ns) == -1, "3x is refused");
	CHECK(clock_parse_seconds("nan", &ns) == -1, "nan is refused");

	tick_t t;
	tick_init(&t, 1000000000LL);
	CHECK(tick_take(&t) == 1, "tick 0 is due at once");
	CHECK(tick_take(&t) == 0, "tick 1 is not due yet");
	t.start_ns -= 5500000000LL; /* pretend 5.5 s went by */
	CHECK(tick_take(&t) == 5, "a late loop skips missed ticks, no burst");
	CHECK(tick_deadline_ns(&t) == t.start_ns + 6000000000LL,
	      "the schedule stays on start + k * interval");
}

/* An fd to read text from (a deleted temporary file: any size fits). */
static int pipe_with(const char *text)
{
	char path[] = "/tmp/kl-unit-ndjXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	ssize_t w = write(fd, text, strlen(text));
	(void)w;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_ndj(void)
{
	int fd = pipe_with("{\"a\":1}\r\n\n0123456789ABCDEF\n{\"b\":2}\ntail");
	ndj_reader r;
	CHECK(ndj_reader_init(&r, fd, 10) == 0, "reader init");
	char *line;
	size_t len;
	CHECK(ndj_getline(&r, &line, &len) == NDJ_LINE && len == 7 &&
	          strcmp(line, "{\"a\":1}") == 0, "first line, CR stripped");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_LINE && len == 0,
	      "empty line is a line");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_TOOLONG && r.lineno == 3,
	      "overlong line reported with its number");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_LINE &&
	          strcmp(line, "{\"b\":2}") == 0 && r.lineno == 4,
	      "the line after an overlong one is intact");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_LINE &&
	          strcmp(line, "tail") == 0, "last line without newline");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_EOF, "then EOF");
	ndj_reader_free(&r);
	close(fd);

	/* An overlong line much bigger than the buffer, in many reads. */
	char *big = malloc(100000);
	memset(big, 'x', 99990);
	strcpy(big + 99990, "\nok\n");
	fd = pipe_with(big);
	free(big);
	ndj_reader_init(&r, fd, 100);
	CHECK(ndj_getline(&r, &line, &len) == NDJ_TOOLONG, "100 kB line skipped");
	CHECK(ndj_getline(&r, &line, &len) == NDJ_LINE && strcmp(line, "ok") == 0,
	      "next line fine");
	ndj_reader_free(&r);
	close(fd);
}

static void test_cfg(void)
{
	char path[] = "/tmp/kl-unit-envXXXXXX";
	int fd = mkstemp(path);
	const char *text = "# comment\n\nexport A_ONE=yes\nB_TWO = \"quoted # not comment\"\n"
	                   "C_THREE=0.25 # trailing\nD_FOUR='off'\n";
	ssize_t w = write(fd, text, strlen(text));
	(void)w;
	close(fd);
	char err[CFG_ERR_LEN];
	CHECK(cfg_load_file(path, err) == 0, "env file loads");
	CHECK_STR(cfg_get("B_TWO"), "quoted # not comment", "quoted value");
	int b = -1;
	CHECK(cfg_bool("A_ONE", 0, &b, err) == 0 && b == 1, "export yes -> true");
	CHECK(cfg_bool("D_FOUR", 1, &b, err) == 0 && b == 0, "'off' -> false");
	CHECK(cfg_bool("NOT_SET_X", 1, &b, err) == 0 && b == 1, "default");
	double d = 0;
	CHECK(cfg_double("C_THREE", 1, &d, err) == 0 && d == 0.25,
	      "number with trailing comment");
	setenv("C_THREE", "0.5", 1);
	CHECK(cfg_double("C_THREE", 1, &d, err) == 0 && d == 0.5,
	      "environment beats the env file");
	setenv("A_ONE", "maybe", 1);
	CHECK(cfg_bool("A_ONE", 0, &b, err) == -1 && strstr(err, "A_ONE=maybe"),
	      "bad boolean is an error naming key and value");
	cfg_free();
	unlink(path);
	CHECK(cfg_load_file(path, err) == -1 && strstr(err, path),
	      "missing file is an error naming it");
}

/* The grammar fixture shared with scripts/kato-live's test: every key of
 * grammar.expected comes out of grammar.env as written there. */
static void test_cfg_grammar(void)
{
	char err[CFG_ERR_LEN] = "", envp[1024], expp[1024];
	const char *top = getenv("TOP"); /* the checkout (tests/lib/common.bash) */
	snprintf(envp, sizeof envp, "%s/tests/fixtures/env/grammar.env", top ? top : ".");
	snprintf(expp, sizeof expp, "%s/tests/fixtures/env/grammar.expected", top ? top : ".");
	CHECK(cfg_load_file(envp, err) == 0, "grammar.env loads (%s)", err);
	FILE *f = fopen(expp, "r");
	CHECK(f != NULL, "grammar.expected opens");
	char line[512];
	int n = 0;
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *got = cfg_get(line);
		CHECK(got && !strcmp(got, eq + 1), "grammar: %s is '%s' (got '%s')", line,
		      eq + 1, got ? got : "(unset)");
		n++;
	}
	if (f)
		fclose(f);
	CHECK(n == 9, "grammar: 9 keys checked");
	char bad1[] = "X=\"open", bad2[] = "X='a' b", bad3[] = "1X=a", bad4[] = "noequals";
	char *k, *v;
	const char *why;
	CHECK(cfg_parse_line(bad1, &k, &v, &why) == -1 && !strcmp(why, "quote not closed"),
	      "grammar: an open quote is an error");
	CHECK(cfg_parse_line(bad2, &k, &v, &why) == -1, "grammar: text after a quote is an error");
	CHECK(cfg_parse_line(bad3, &k, &v, &why) == -1, "grammar: a key starting with a digit is an error");
	CHECK(cfg_parse_line(bad4, &k, &v, &why) == -1, "grammar: a line without = is an error");
	cfg_free();
}

static void test_js(void)
{
	char err[128];
	const char *t = "{\"a\":{\"b\":5000000000,\"s\":\"x\"}}";
	cJSON *j = js_parse(t, strlen(t), err, sizeof err);
	double v = 0;
	CHECK(j && js_num(j, "a.b", &v) && v == 5e9, "big counters survive");
	CHECK(!js_num(j, "a.s", &v), "a string is not a number");
	CHECK(!js_num(j, "a.zz", &v), "missing is not a number");
	CHECK_STR(js_str(j, "a.s"), "x", "string by path");
	cJSON_Delete(j);
	CHECK(!js_parse("{\"a\":", 5, err, sizeof err) && strstr(err, "invalid JSON"),
	      "truncated JSON refused");
	CHECK(!js_parse("{} x", 4, err, sizeof err) && strstr(err, "trailing"),
	      "trailing garbage refused");
	/* Found by the fuzzers: cJSON takes these as they are. */
	CHECK(!js_parse("{\"s\":\"a\0b\"}", 10, err, sizeof err) &&
	          strstr(err, "byte 7: a control character"),
	      "a raw NUL in a string is refused, not cut short");
	CHECK(!js_parse("{}\0junk", 7, err, sizeof err), "junk after a NUL refused");
	CHECK(!js_parse("\x01{}", 3, err, sizeof err), "a control character between tokens refused");
	CHECK(!js_parse("[\"\xc3\"]", 5, err, sizeof err) && strstr(err, "byte 2: not UTF-8"),
	      "a cut UTF-8 sequence is refused");
	CHECK(!js_parse("[\"\xc0\xaf\"]", 6, err, sizeof err), "overlong UTF-8 refused");
	CHECK(!js_parse("[\"\xed\xa0\x80\"]", 7, err, sizeof err), "an encoded surrogate refused");
	CHECK(!js_parse("[\"\xf4\x90\x80\x80\"]", 8, err, sizeof err), "past U+10FFFF refused");
	j = js_parse("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\t\"]\r\n", 21, err, sizeof err);
	CHECK(j && cJSON_GetArraySize(j) == 1, "UTF-8 and white space accepted");
	cJSON_Delete(j);
	/* An error text quotes the start of a body: it must stay UTF-8. */
	char ex[8];
	http_req br = {.body = "caf\xc3\xa9\xff\n\xe2\x82", .len = 10};
	CHECK(http_body_excerpt(&br, ex, sizeof ex) == 7 &&
	          !strcmp(ex, "caf\xc3\xa9? "),
	      "body excerpt: whole characters kept, a bad byte made '?'");
	br.body = "abcde\xc3\xa9";
	br.len = 7;
	CHECK(http_body_excerpt(&br, ex, 7) == 5 && !strcmp(ex, "abcde"),
	      "body excerpt: a character that does not fit is left out, not cut");
	br.body = "x\xe2\x82";
	br.len = 3;
	CHECK(http_body_excerpt(&br, ex, sizeof ex) == 3 && !strcmp(ex, "x??"),
	      "body excerpt: a sequence cut by the end of the body is '?'");
	CHECK_NEAR(js_round(12.3456, 2), 12.35, 1e-9, "round");
	CHECK(js_round(2.5, 0) == 3 && js_round(-2.5, 0) == -3, "round: half away from zero");
	CHECK(js_round(0.49999999999999994, 0) == 0, "round: just under a half");
	CHECK(js_round(0.125, 2) == 0.13 && js_round(-0.125, 2) == -0.13, "round: 2 decimals");
	CHECK(js_round(1e300, 2) == 1e300 && js_round(-1e17, 1) == -1e17, "round: huge values unchanged");
	CHECK(isnan(js_round(NAN, 2)), "round: NaN stays NaN");
}

static void test_http_target(void)
{
	http_target t;
	char err[HTTP_ERR_LEN];
	CHECK(http_target_parse(&t, "unix:///var/run/docker.sock", err) == 0 &&
	          strcmp(t.unix_path, "/var/run/docker.sock") == 0,
	      "unix:// target");
	CHECK(http_target_parse(&t, "tcp://127.0.0.1:2375", err) == 0 &&
	          strcmp(t.base, "http://127.0.0.1:2375") == 0 && !t.unix_path[0],
	      "tcp:// target");
	CHECK(http_target_parse(&t, "http://kato:8000/", err) == 0 &&
	          strcmp(t.base, "http://kato:8000") == 0, "trailing slash dropped");
	CHECK(http_target_parse(&t, "ftp://x", err) == -1 && strstr(err, "ftp://x"),
	      "unknown scheme refused with the address in the message");
	CHECK(http_target_parse(&t, "unix://relative.sock", err) == -1,
	      "relative unix path refused");

	/* A refused connection says so, with the URL. */
	http_client c;
	http_target_parse(&t, "http://127.0.0.1:1", err);
	http_client_init(&c, &t, err);
	http_req r = {.path = "/metrics"};
	CHECK(http_get(&c, &r) == 0 && r.status == 0 &&
	          strstr(r.err, "GET http://127.0.0.1:1/metrics: Connection refused"),
	      "connection refused: %s", r.err);
	http_req_free(&r);
	http_client_free(&c);

	http_target_parse(&t, "unix:///nonexistent/kl.sock", err);
	http_client_init(&c, &t, err);
	CHECK(http_get(&c, &r) == 0 &&
	          strstr(r.err, "unix:///nonexistent/kl.sock /metrics: No such file"),
	      "missing socket: %s", r.err);
	http_req_free(&r);
	http_client_free(&c);
}

static void test_backoff(void)
{
	backoff b;
	backoff_init(&b, 100, 1000);
	int64_t d1 = backoff_next(&b), d2 = backoff_next(&b);
	for (int i = 0; i < 10; i++)
		backoff_next(&b);
	int64_t dn = backoff_next(&b);
	CHECK(d1 >= 80 && d1 <= 120, "first delay near base (%lld)", (long long)d1);
	CHECK(d2 >= 160 && d2 <= 240, "then doubles (%lld)", (long long)d2);
	CHECK(dn >= 800 && dn <= 1200, "capped (%lld)", (long long)dn);
	backoff_reset(&b);
	d1 = backoff_next(&b);
	CHECK(d1 <= 120, "reset");
}

int main(void)
{
	test_clock();
	test_ndj();
	test_cfg();
	test_cfg_grammar();
	test_js();
	test_http_target();
	test_backoff();
	return unit_done();
}
