/* test_splice.c - kato-alerts' splice: data.thresholds added to a frame
 * without printing the frame again. */
#include "../../cmd/kato-alerts/splice.c"

#include <stdlib.h>

#include "js.h"
#include "unit.h"

/* Splice "thresholds":{"cpu":1} into s's data; "" when splice_open says
 * no.  Static buffer: one result at a time. */
static const char *sp(const char *s)
{
	static char out[1024];
	long at = splice_open(s, strlen(s), "data");
	if (at < 0)
		return "";
	size_t n = splice_member(out, s, strlen(s), at, "thresholds", "{\"cpu\":1}");
	out[n] = '\0';
	return out;
}

int main(void)
{
	CHECK(!strcmp(sp("{\"type\":\"f\",\"data\":{\"a\":1}}"),
	              "{\"type\":\"f\",\"data\":{\"thresholds\":{\"cpu\":1},\"a\":1}}"),
	      "first member of data, a comma before the others");
	CHECK(!strcmp(sp("{\"data\":{}}"), "{\"data\":{\"thresholds\":{\"cpu\":1}}}"),
	      "an empty data gets no comma");
	CHECK(!strcmp(sp("{\"data\":{ } }"), "{\"data\":{\"thresholds\":{\"cpu\":1} } }"),
	      "... nor with blanks inside");
	CHECK(!strcmp(sp(" { \"x\" : [1,{\"data\":{}},\"}\"] , \"s\":\"da\\\"ta\", \"data\" : {\"k\":[]}}"),
	              " { \"x\" : [1,{\"data\":{}},\"}\"] , \"s\":\"da\\\"ta\", \"data\" : {\"thresholds\":{\"cpu\":1},\"k\":[]}}"),
	      "only the top-level data, past nested ones, strings and escapes");
	CHECK(!strcmp(sp("{\"data\":[1]}"), ""), "data not an object: no");
	CHECK(!strcmp(sp("{\"datum\":{}}"), ""), "no data: no");
	CHECK(!strcmp(sp("{\"d\\u0061ta\":{}}"), ""), "an escaped name is not matched");
	CHECK(!strcmp(sp("{\"d\\u0061ta\":{\"k\":1},\"data\":{\"k\":2}}"), ""),
	      "... nor a plain one after it: a parser takes the first");
	CHECK(!strcmp(sp("[1,2]"), ""), "not an object: no");
	CHECK(!strcmp(sp("{\"a\":1"), ""), "cut short: no");
	/* every result of a frame that parses, parses, with the member */
	const char *frames[] = {"{\"type\":\"realtime_update\",\"data\":{\"m\":{\"x\":[1,2,{\"y\":\"}{\"}]},\"n\":null}}",
	                        "{\"data\":{\"a\":\"\\u00e9\\n\"},\"z\":true}"};
	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		char why[128];
		cJSON *j = js_parse(sp(frames[i]), strlen(sp(frames[i])), why, sizeof why);
		double v = 0;
		CHECK(j && js_num(j, "data.thresholds.cpu", &v) == 1 && v == 1,
		      "spliced frame %zu parses and has data.thresholds (%s)", i, j ? "" : why);
		cJSON_Delete(j);
	}
	return unit_done();
}
