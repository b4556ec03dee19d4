/* Unit tests for common/redact: addresses shown without credentials. */
#include "http.h"
#include "redact.h"
#include "unit.h"

static const char *r(const char *url)
{
	static char buf[512];
	return redact_url(url, buf, sizeof buf);
}

/* A buffer as a pointer, for CHECK_STR. */
static const char *r_keep(const char *s) { return s; }

static void test_userinfo(void)
{
	CHECK_STR(r("http://admin:s3cret@127.0.0.1:1/metrics"),
	          "http://127.0.0.1:1/metrics", "user and password dropped");
	CHECK_STR(r("http://admin@kato:8000"), "http://kato:8000", "user only");
	CHECK_STR(r("tcp://u:pw@10.0.0.1:2375"), "tcp://10.0.0.1:2375",
	          "DOCKER_HOST tcp:// with userinfo");
	CHECK_STR(r("redis://default:hunter2@redis:6379/0"), "redis://redis:6379/0",
	          "redis://");
	CHECK_STR(r("rediss://:hunter2@redis:6380"), "rediss://redis:6380",
	          "rediss:// with a password and no user");
	CHECK_STR(r("http://u:p@ss@host/x"), "http://host/x",
	          "unescaped '@' in the password: up to the last '@'");
	CHECK_STR(r("http://u:pa/ss@host/x"), "http://host/x",
	          "unescaped '/' in the password");
	CHECK_STR(r("http://u:p?ss@host"), "http://REDACTED@host",
	          "unescaped '?' in the password: cut and say so");
	CHECK_STR(r("u:pw@host:1"), "host:1", "no scheme");
	CHECK_STR(r("http://[::1]:8000/a"), "http://[::1]:8000/a", "IPv6 kept");
	CHECK_STR(r("http://kato:8000"), "http://kato:8000", "nothing to hide");
	CHECK_STR(r("unix:///run/docker.sock"), "unix:///run/docker.sock",
	          "unix socket kept");
	CHECK_STR(r(""), "", "empty");
	CHECK_STR(r(NULL), "", "NULL");
}

static void test_query(void)
{
	CHECK_STR(r("http://h/x?token=abc&n=1"), "http://h/x?token=REDACTED&n=1",
	          "token value redacted, others kept");
	CHECK_STR(r("http://h/?API_KEY=1&Password=2&client_secret=3&auth=4&X-Amz-Signature=5"),
	          "http://h/?API_KEY=REDACTED&Password=REDACTED&client_secret=REDACTED"
	          "&auth=REDACTED&X-Amz-Signature=REDACTED",
	          "key, password, secret, auth, signature in any case");
	CHECK_STR(r("http://h/?%74oken=abc"), "http://h/?%74oken=REDACTED",
	          "percent-escaped name");
	CHECK_STR(r("http://h/#access_token=abc&state=1"),
	          "http://h/#access_token=REDACTED&state=1", "fragment too");
	CHECK_STR(r("http://h/?a=1&b"), "http://h/?a=1&b", "plain query kept");
	CHECK_STR(r("http://h/?email=a@b&n=1"), "http://h/?email=REDACTED&n=1",
	          "an '@' in the query is not userinfo, but its value is hidden");
	CHECK_STR(r("http://h/?next=http://u:pw@x/&n=1"),
	          "http://h/?next=REDACTED&n=1", "a URL with credentials in a value");
	CHECK_STR(r("http://h/?next=http%3A%2F%2Fu%3Apw%40x"), "http://h/?next=REDACTED",
	          "... percent-escaped too");
	CHECK_STR(r("unix://u:p/x/?d:s3cret@h&n=1"), "unix://u:p/x/?REDACTED&n=1",
	          "a query parameter whose name holds an @ goes whole");
	CHECK_STR(r("redis://h/x?k:pw@/=v"), "redis://h/x?REDACTED", "... with or without =");
}

static void test_bounds(void)
{
	char small[8];
	redact_url("http://u:p@host:8000", small, sizeof small);
	CHECK_STR(r_keep(small), "http://", "cut short, NUL-terminated");
	char none[1] = {'x'};
	redact_url("http://h", none, 1);
	CHECK(none[0] == '\0', "one byte: empty string");
}

static void test_http_target(void)
{
	http_target t;
	char err[HTTP_ERR_LEN];
	CHECK(http_target_parse(&t, "http://admin:s3cret@kato:8000/", err) == 0,
	      "a URL with credentials is taken");
	CHECK(strstr(t.base, "s3cret") != NULL, "requests still carry them");
	CHECK(strstr(t.display, "s3cret") == NULL, "display does not");
	CHECK(http_target_parse(&t, "http://admin:s3cret@kato:80x0", err) == -1 &&
	          strstr(err, "s3cret") == NULL && strstr(err, "kato:80x0"),
	      "a bad port is refused without the password: %s", err);
	CHECK(http_target_parse(&t, "ftp://admin:s3cret@kato", err) == -1 &&
	          strstr(err, "s3cret") == NULL,
	      "a bad scheme is refused without the password: %s", err);
	CHECK(http_target_parse(&t, "http://kato:8000/?token=abc", err) == -1 &&
	          strstr(err, "abc") == NULL,
	      "a query is refused, its token not shown: %s", err);
	http_client c;
	CHECK(http_target_parse(&t, "tcp://u:pw@127.0.0.1:2375", err) == 0 &&
	          http_client_init(&c, &t, err) == 0, "tcp:// client");
	http_req q = {.path = "/_ping?sig=xyz"};
	char w[600];
	http_where(&c, &q, w, sizeof w);
	CHECK_STR(r_keep(w), "http://127.0.0.1:2375/_ping?sig=REDACTED",
	          "http_where drops credentials and tokens");
	http_client_free(&c);
}

int main(void)
{
	test_userinfo();
	test_query();
	test_bounds();
	test_http_target();
	return unit_done();
}
