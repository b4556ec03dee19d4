/* test_alerts.c - kato-alerts' rule engine, driven with hand-made frames. */
#include "../../cmd/kato-alerts/rules.c"

#include "unit.h"

static alerts *eng;
static cJSON *out;

/* Evaluate frame text at second t; returns the number of messages. */
static int eval_at(const char *text, int64_t t)
{
	char err[ALERTS_ERR_LEN], iso[CLOCK_ISO_LEN];
	cJSON_Delete(out);
	out = cJSON_CreateArray();
	cJSON *f = cJSON_Parse(text);
	int64_t ms = 1795632300000LL + t * 1000;
	clock_iso_ms(iso, ms);
	int n = alerts_eval(eng, f ? f : cJSON_CreateNull(), ms, iso, out, err);
	cJSON_Delete(f);
	return n;
}

/* "state:id:level" of message i, or "". */
static const char *msg(int i)
{
	static char buf[512];
	const cJSON *m = cJSON_GetArrayItem(out, i);
	const char *type = js_str(m, "type");
	if (!type)
		return "";
	if (!strcmp(type, "active_alerts")) {
		snprintf(buf, sizeof buf, "active:%d",
		         cJSON_GetArraySize(cJSON_GetObjectItem(m, "alerts")));
		return buf;
	}
	const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "alerts"), 0);
	snprintf(buf, sizeof buf, "%s:%s:%s", js_str(m, "state"), js_str(m, "id"),
	         js_str(a, "level"));
	return buf;
}

static char *cpu(double v)
{
	static char buf[256];
	snprintf(buf, sizeof buf,
	         "{\"type\":\"realtime_update\",\"data\":{\"containers\":"
	         "{\"aggregated\":{\"total_cpu_percent\":%g}}}}", v);
	return buf;
}

static void fresh(const alerts_cfg *c)
{
	alerts_free(eng);
	eng = alerts_new(c);
}

int main(void)
{
	alerts_cfg c;
	alerts_cfg_defaults(&c);
	CHECK(c.cpu == 80 && c.cpu_error == 90 && c.mem == 85 && c.mem_error == 95,
	      "default cpu and memory thresholds");
	CHECK(c.err_rate == 0.05 && c.err_rate_error == 0.10 && c.consecutive == 1 &&
	      c.cooldown_ms == 60000 && c.hysteresis == 0.05,
	      "default error rate, consecutive frames, cooldown, hysteresis");

	fresh(&c);
	CHECK(eval_at("{\"type\":\"realtime_update\"}", 0) == 1, "an empty frame: one message");
	CHECK_STR(msg(0), "active:0", "it is the initial, empty active_alerts");
	CHECK(eval_at("{\"type\":\"realtime_update\"}", 3) == 0, "then nothing while nothing changes");

	CHECK(eval_at(cpu(85), 6) == 2, "85 %%: an alert and active_alerts");
	CHECK_STR(msg(0), "firing:high_cpu:warning", "high_cpu fires as a warning");
	CHECK_STR(msg(1), "active:1", "active_alerts holds it");
	CHECK(alerts_firing(eng) == 1, "one alert fires");
	CHECK(eval_at(cpu(90), 9) == 2 && !strcmp(msg(0), "firing:high_cpu:error"),
	      "90 %% turns it into an error at once");
	CHECK(eval_at(cpu(86), 12) == 0, "86 %% (over 85.5) keeps the error level");
	CHECK(eval_at(cpu(85), 15) == 2 && !strcmp(msg(0), "firing:high_cpu:warning"),
	      "85 %% (under 90 less 5 %%) drops it to warning");
	CHECK(eval_at(cpu(76), 18) == 0, "76 %% is in the hysteresis band: still firing");
	CHECK(eval_at(cpu(75.9), 21) == 0, "75.9 %% once is not enough to resolve it");
	CHECK(eval_at(cpu(75.9), 24) == 2 && !strcmp(msg(0), "resolved:high_cpu:info"),
	      "75.9 %% twice in a row resolves it");
	{
		const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "alerts"), 0);
		CHECK_STR(js_str(r, "message"),
		          "Resolved after 18 s: Container CPU at 85.0% (threshold 80%). "
		          "Container CPU back to 75.9% (threshold 80%)",
		          "the resolved message says what fired, and for how long");
		double d = 0;
		CHECK(js_num(r, "duration_s", &d) && d == 18, "duration_s 18");
	}
	CHECK(alerts_firing(eng) == 0 && eng->n == 0, "nothing fires or is tracked");

	/* cooldown on frame time, and frame time going backwards */
	c.cooldown_ms = 10000;
	fresh(&c);
	eval_at(cpu(85), 0);
	CHECK(eval_at(cpu(85), 9) == 0, "no reminder within the cooldown");
	CHECK(eval_at(cpu(85), 10) == 1 && !strcmp(msg(0), "firing:high_cpu:warning"),
	      "a reminder once the cooldown has passed, without active_alerts");
	CHECK(eval_at(cpu(85), 5) == 0, "time going back: no reminder");
	CHECK(eval_at(cpu(85), 14) == 0, "and the cooldown restarts from there");
	CHECK(eval_at(cpu(85), 15) == 1, "reminder 10 s after the step back");
	CHECK(eval_at("{\"data\":{\"containers\":{\"aggregated\":{\"total_cpu_percent\":null}}}}", 40) == 1,
	      "a null value while firing still reminds");
	const cJSON *a0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "alerts"), 0);
	CHECK(cJSON_GetObjectItem(a0, "value") && cJSON_GetObjectItem(a0, "value")->valuedouble == 85,
	      "with the last measured value");

	/* consecutive frames */
	c.consecutive = 3;
	c.cooldown_ms = 60000;
	fresh(&c);
	eval_at(cpu(50), 0);
	CHECK(eval_at(cpu(85), 3) == 0 && eval_at(cpu(85), 6) == 0, "2 of 3 frames: nothing");
	CHECK(eval_at(cpu(80), 9) == 0, "80 %% (not over) breaks the run");
	CHECK(eval_at(cpu(85), 12) == 0 && eval_at("{\"data\":{}}", 15) == 0 &&
	      eval_at(cpu(85), 18) == 0, "a frame without the value does not break the run");
	CHECK(eval_at(cpu(85), 21) == 2 && !strcmp(msg(0), "firing:high_cpu:warning"),
	      "the third frame over fires");

	/* containers */
	alerts_cfg_defaults(&c);
	snprintf(c.containers, sizeof c.containers, "kato,kato-*");
	fresh(&c);
	CHECK(eval_at("{\"data\":{\"containers\":{\"containers\":[{\"name\":\"/kato-redis\",\"status\":\"exited\"},"
	              "{\"name\":\"other\",\"status\":\"exited\"},{\"name\":\"kato\"},{\"status\":\"exited\"},7]}}}", 0) == 2,
	      "a stopped selected container fires; unselected, status-less and nameless ones do not");
	CHECK_STR(msg(0), "firing:container_down:kato-redis:error", "the leading / of a name is dropped");
	CHECK(eval_at("{\"data\":{\"containers\":{\"error\":\"down\"}}}", 3) == 0,
	      "an error section holds the alert");
	CHECK(eval_at("{\"data\":{\"containers\":{\"containers\":[]}}}", 6) == 3 &&
	      !strcmp(msg(0), "firing:container_down:kato:error") &&
	      !strcmp(msg(1), "firing:container_down:kato-redis:error"),
	      "a container no longer listed is missing (sent again: a new cause), "
	      "and so is one that was running");
	CHECK(eval_at("{\"data\":{\"containers\":{\"containers\":[]}}}", 7) == 0,
	      "and stays so");

	/* a long name makes a truncated but usable id */
	char big[2048] = "{\"data\":{\"containers\":{\"containers\":[{\"status\":\"exited\",\"name\":\"kato-";
	size_t l = strlen(big);
	memset(big + l, 'x', 600);
	strcpy(big + l + 600, "\"}]}}}");
	CHECK(eval_at(big, 9) == 2, "a 600-byte container name is handled");

	/* KATO */
	alerts_cfg_defaults(&c);
	fresh(&c);
	CHECK(eval_at("{\"data\":{\"metrics\":{\"error\":\"no data yet from kato-metrics\"}},"
	              "\"sources\":{\"kato-metrics\":{\"ok\":false,\"error\":\"no data yet\"}}}", 0) == 1,
	      "no data yet: kato_unhealthy does not fire");
	CHECK(eval_at("{\"data\":{\"metrics\":{\"performance\":{\"error_rate\":0.02}},\"health\":{\"status\":\"healthy\"}},"
	              "\"sources\":{\"kato-metrics\":{\"ok\":false,\"error\":\"KATO /metrics reports an error: db\"}}}", 3) == 2,
	      "kato-metrics ok:false fires even if a section looks fine");
	CHECK_STR(msg(0), "firing:kato_unhealthy:error", "as an error");
	CHECK(eval_at("{\"data\":{\"metrics\":{\"error\":null},\"health\":{\"status\":\"degraded\",\"issues\":[1,\"slow\"]}}}", 6) == 2 &&
	      !strcmp(msg(0), "firing:kato_unhealthy:warning"), "degraded is a warning");
	CHECK(eval_at("{\"data\":{\"metrics\":{},\"health\":{\"status\":\"healthy\"}}}", 9) == 0 &&
	      eval_at("{\"data\":{\"metrics\":{},\"health\":{\"status\":\"healthy\"}}}", 12) == 2 &&
	      !strcmp(msg(0), "resolved:kato_unhealthy:info"), "healthy twice resolves");

	/* junk does not crash and fires nothing */
	const char *junk[] = {"[]", "{\"data\":[1,2]}", "{\"data\":{\"containers\":\"x\",\"metrics\":7}}",
	                      "{\"stale\":{\"a\":1},\"sources\":[]}", "{\"stale\":[1,null,\"\"]}",
	                      "{\"data\":{\"containers\":{\"aggregated\":{\"total_cpu_percent\":\"99\"}}}}"};
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
		CHECK(eval_at(junk[i], 20 + (int64_t)i) == 0, "junk frame %zu: no messages", i);
	CHECK(alerts_firing(eng) == 0, "and nothing fires");

	cJSON_Delete(out);
	alerts_free(eng);
	return unit_done();
}
